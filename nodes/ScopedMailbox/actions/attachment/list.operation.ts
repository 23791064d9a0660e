import {
	updateDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { mailboxField } from '../common/descriptions';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { listAttachments } from '../../helpers/messageAttachments';

const properties: INodeProperties[] = [mailboxField, messageLocator];

export const description = updateDisplayOptions(
	{ show: { resource: ['attachment'], operation: ['list'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	const attachments = await listAttachments.call(this, mailbox, messageId);
	return attachments.map((attachment) => {
		const { '@odata.type': type, ...rest } = attachment;
		return {
			json: { ...rest, messageId, type: typeof type === 'string' ? type.replace('#microsoft.graph.', '') : undefined },
		};
	});
}
