import {
	NodeOperationError,
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { graphRequest, messagePath, userPath } from '../../transport';
import type { BatchableOperation, ItemRequest } from '../common/batchable';
import { mailboxField } from '../common/descriptions';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { splitList } from '../common/recipients';
import { outputFields, outputMode } from '../common/output';
import { shapeMessage } from '../../helpers/output';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			{
				displayName: 'Categories',
				name: 'categories',
				type: 'string',
				default: '',
				description: "Comma-separated category names; replaces the message's categories (empty clears them)",
			},
			{
				displayName: 'Flag',
				name: 'flagStatus',
				type: 'options',
				options: [
					{ name: 'Not Flagged', value: 'notFlagged' },
					{ name: 'Flagged', value: 'flagged' },
					{ name: 'Complete', value: 'complete' },
				],
				default: 'flagged',
			},
			{
				displayName: 'Read Status',
				name: 'readStatus',
				type: 'options',
				options: [
					{ name: 'Read', value: 'read' },
					{ name: 'Unread', value: 'unread' },
				],
				default: 'read',
			},
		],
	},
	...outputFields(false),
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['update'] } }, properties);

function request(this: IExecuteFunctions, itemIndex: number): ItemRequest {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const body: IDataObject = {};
	if (fields.readStatus !== undefined) body.isRead = fields.readStatus === 'read';
	if (fields.categories !== undefined) body.categories = splitList(fields.categories);
	if (fields.flagStatus !== undefined) body.flag = { flagStatus: fields.flagStatus };
	if (Object.keys(body).length === 0) {
		throw new NodeOperationError(this.getNode(), 'Nothing to update', {
			itemIndex,
			description: 'Add at least one field under "Update Fields": Read Status, Categories or Flag.',
		});
	}
	return { mailbox, method: 'PATCH', path: `${userPath.call(this, mailbox)}${messagePath(messageId)}`, body };
}

function result(this: IExecuteFunctions, itemIndex: number, body: unknown): INodeExecutionData[] {
	const mode = outputMode.call(this, itemIndex);
	return [{ json: shapeMessage(mode === 'selected' ? 'raw' : mode, body as IDataObject) }];
}

export const batch: BatchableOperation = { request, result };

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	// PATCH sets absolute values, so repeating it is harmless.
	const message = await graphRequest.call(this, { ...request.call(this, itemIndex), idempotent: true });
	return result.call(this, itemIndex, message);
}
