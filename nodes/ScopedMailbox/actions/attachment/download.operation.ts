import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { attachmentPath, graphRequest, messagePath, userPath } from '../../transport';
import { mailboxField } from '../common/descriptions';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { downloadAttachment } from '../../helpers/messageAttachments';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	{
		displayName: 'Attachment ID',
		name: 'attachmentId',
		type: 'string',
		required: true,
		default: '',
		description: 'The ID of the attachment, as Attachment → List returns it',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the output binary field to put the file in',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['attachment'], operation: ['download'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	const attachmentId = this.getNodeParameter('attachmentId', itemIndex) as string;
	const property = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
	const metadata = (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(messageId)}${attachmentPath(attachmentId)}`,
		qs: { $select: 'id,name,contentType,size,isInline,lastModifiedDateTime' },
		mailbox,
		idempotent: true,
	})) as IDataObject;
	const binary = await downloadAttachment.call(this, mailbox, messageId, metadata);
	const json: IDataObject = { ...metadata, messageId };
	delete json['@odata.type'];
	delete json['@odata.context'];
	return [{ json, binary: { [property]: binary } }];
}
