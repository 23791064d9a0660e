import {
	updateDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { graphRequest, messagePath, userPath } from '../../transport';
import type { BatchableOperation, ItemRequest } from '../common/batchable';
import { mailboxField } from '../common/descriptions';
import { messageIdValue, messageLocator } from '../../helpers/locators';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	{
		displayName: 'Deleting moves the message to Deleted Items, as Outlook does.',
		name: 'deleteNotice',
		type: 'notice',
		default: '',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['delete'] } }, properties);

function request(this: IExecuteFunctions, itemIndex: number): ItemRequest {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	return { mailbox, method: 'DELETE', path: `${userPath.call(this, mailbox)}${messagePath(messageId)}` };
}

function result(this: IExecuteFunctions, itemIndex: number): INodeExecutionData[] {
	return [{ json: { deleted: true, id: messageIdValue.call(this, itemIndex) } }];
}

export const batch: BatchableOperation = { request, result };

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	await graphRequest.call(this, { ...request.call(this, itemIndex), idempotent: true });
	return result.call(this, itemIndex);
}
