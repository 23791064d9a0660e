/** Parameters the action node and the trigger show alike. */
import type { INodeProperties } from 'n8n-workflow';

/** Graph's message importance values, in the order a user reads them. */
export const IMPORTANCE_OPTIONS = [
	{ name: 'Low', value: 'low' },
	{ name: 'Normal', value: 'normal' },
	{ name: 'High', value: 'high' },
];

export const ATTACHMENT_PREFIX_OPTION: INodeProperties = {
	displayName: 'Attachment Property Prefix',
	name: 'attachmentPrefix',
	type: 'string',
	default: 'attachment_',
	description: 'Downloaded attachments go to binary properties named prefix + index (attachment_0, attachment_1, ...)',
};

export const DOWNLOAD_ATTACHMENTS_OPTION: INodeProperties = {
	displayName: 'Download Attachments',
	name: 'downloadAttachments',
	type: 'boolean',
	default: false,
	description: 'Whether to download the file attachments of each message into binary properties',
};

export const MAX_ATTACHMENT_SIZE_OPTION: INodeProperties = {
	displayName: 'Max Attachment Size (MB)',
	name: 'maxAttachmentSizeMb',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 25,
	description: 'Attachments larger than this are listed in "skippedAttachments" instead of being downloaded',
};

/** The action node's Get and Get Many show them together; the trigger sorts them among its own options. */
export const downloadAttachmentOptions: INodeProperties[] = [
	ATTACHMENT_PREFIX_OPTION,
	DOWNLOAD_ATTACHMENTS_OPTION,
	MAX_ATTACHMENT_SIZE_OPTION,
];
