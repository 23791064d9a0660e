import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { attachmentsField, mailboxField } from '../common/descriptions';
import { sendOptionsField } from '../common/idempotency';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { parseRecipients } from '../common/recipients';
import { respond } from './reply.operation';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	{
		displayName: 'To',
		name: 'toRecipients',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. john@contoso.com',
		description: 'Comma-separated recipients',
	},
	{
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'Text placed above the forwarded message',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [attachmentsField],
	},
	sendOptionsField,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['message'], operation: ['forward'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const to = parseRecipients.call(this, this.getNodeParameter('toRecipients', itemIndex), 'To', itemIndex);
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	return await respond.call(this, itemIndex, {
		mailbox: this.getNodeParameter('mailbox', itemIndex) as string,
		messageId: messageIdValue.call(this, itemIndex),
		action: 'forward',
		draftAction: 'createForward',
		body: { comment: this.getNodeParameter('comment', itemIndex, '') as string, toRecipients: to },
		message: {},
		attachments: additional.attachments,
	});
}
