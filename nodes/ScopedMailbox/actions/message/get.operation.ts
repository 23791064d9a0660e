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
import { downloadAttachmentOptions } from '../../helpers/descriptions';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { downloadMessageAttachments, downloadOptions } from '../../helpers/messageAttachments';
import { outputFields, outputMode, selectFor } from '../common/output';
import { shapeMessage } from '../../helpers/output';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	...outputFields(),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [...downloadAttachmentOptions],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['get'] } }, properties);

function request(this: IExecuteFunctions, itemIndex: number): ItemRequest {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	// Simplified reads Graph's default fields (the body included), as Get always did.
	const select = selectFor.call(this, itemIndex, outputMode.call(this, itemIndex), []);
	const qs: IDataObject = {};
	if (select.length) qs.$select = select.join(',');
	return { mailbox, method: 'GET', path: `${userPath.call(this, mailbox)}${messagePath(messageId)}`, qs };
}

function result(this: IExecuteFunctions, itemIndex: number, body: unknown): INodeExecutionData[] {
	return [{ json: shapeMessage(outputMode.call(this, itemIndex), body as IDataObject) }];
}

export const batch: BatchableOperation = {
	request(itemIndex) {
		const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
		return options.downloadAttachments ? undefined : request.call(this, itemIndex);
	},
	result,
};

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const req = request.call(this, itemIndex);
	const message = (await graphRequest.call(this, { ...req, idempotent: true })) as IDataObject;
	const [out] = result.call(this, itemIndex, message);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (options.downloadAttachments) {
		const { binary, skipped } = await downloadMessageAttachments.call(
			this,
			req.mailbox,
			message.id as string,
			downloadOptions(options),
		);
		if (skipped.length) out.json.skippedAttachments = skipped;
		out.binary = binary;
	}
	return [out];
}
