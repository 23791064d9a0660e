import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

// Graph accepts only custom X- headers in internetMessageHeaders; anything else is rejected by Exchange, and
// CR/LF would be header injection.
const HEADER_NAME = /^X-[A-Za-z0-9-]{1,74}$/;

export function customHeaders(
	this: IExecuteFunctions,
	entries: Array<{ name?: string; value?: string }>,
	itemIndex: number,
): Array<{ name: string; value: string }> {
	return entries.map(({ name = '', value = '' }) => {
		const trimmed = name.trim();
		if (!HEADER_NAME.test(trimmed)) {
			throw new NodeOperationError(this.getNode(), `Custom header "${trimmed}" is not allowed`, {
				itemIndex,
				description:
					'Microsoft Graph accepts only custom headers whose name starts with "X-" and contains letters, digits and hyphens (e.g. X-Ticket-Id).',
			});
		}
		const text = String(value);
		if (/[\r\n]/.test(text)) {
			throw new NodeOperationError(this.getNode(), `Custom header "${trimmed}" has a line break in its value`, {
				itemIndex,
				description: 'Header values must be a single line.',
			});
		}
		return { name: trimmed, value: text };
	});
}
