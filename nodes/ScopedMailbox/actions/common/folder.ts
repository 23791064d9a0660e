import { NodeOperationError, type IExecuteFunctions, type INodeParameterResourceLocator } from 'n8n-workflow';

/** The folder a resource locator names: '' means the whole mailbox where the operation allows it. */
export function folderValue(this: IExecuteFunctions, name: string, itemIndex: number, required: boolean): string {
	const raw = this.getNodeParameter(name, itemIndex, '') as INodeParameterResourceLocator | string;
	const value = String(typeof raw === 'object' && raw !== null ? (raw.value ?? '') : raw).trim();
	if (!value && required) {
		throw new NodeOperationError(this.getNode(), 'No folder chosen', {
			itemIndex,
			description: 'Pick a folder from the list or enter a folder ID or well-known name such as inbox.',
		});
	}
	return value;
}
