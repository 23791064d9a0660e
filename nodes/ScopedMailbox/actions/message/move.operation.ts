import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { graphRequest, messagePath, userPath } from '../../transport';
import type { BatchableOperation, ItemRequest } from '../common/batchable';
import { mailboxField } from '../common/descriptions';
import { folderLocator, folderValue, messageIdValue, messageLocator } from '../../helpers/locators';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	folderLocator({
		displayName: 'Destination Folder',
		name: 'destinationFolder',
		required: true,
		default: { mode: 'list', value: '' },
		description: 'Folder to move the message to (a folder ID or well-known name such as archive)',
	}),
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['move'] } }, properties);

function request(this: IExecuteFunctions, itemIndex: number): ItemRequest {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	// The folder travels in the body as data, not in the path, so no encoding beyond JSON is needed.
	const destinationId = folderValue.call(this, 'destinationFolder', itemIndex, true);
	return {
		mailbox,
		method: 'POST',
		path: `${userPath.call(this, mailbox)}${messagePath(messageId)}/move`,
		body: { destinationId },
	};
}

function result(this: IExecuteFunctions, itemIndex: number, body: unknown): INodeExecutionData[] {
	const moved = body as IDataObject;
	return [
		{
			json: {
				moved: true,
				previousId: messageIdValue.call(this, itemIndex),
				// Exchange gives a moved message a new id.
				id: moved.id,
				parentFolderId: moved.parentFolderId,
				subject: moved.subject,
			},
		},
	];
}

export const batch: BatchableOperation = { request, result };

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	// A blind retry of a move that went through would fail with "not found", not move twice: safe to retry.
	const moved = await graphRequest.call(this, { ...request.call(this, itemIndex), idempotent: true });
	return result.call(this, itemIndex, moved);
}
