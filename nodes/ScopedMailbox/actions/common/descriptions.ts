import type { INodeProperties } from 'n8n-workflow';

import { messageLocator } from './message';

/** Every operation acts on one named mailbox; scoping in Exchange is per mailbox, so it is never implicit. */
export const mailboxField: INodeProperties = {
	displayName: 'Mailbox',
	name: 'mailbox',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. shared@contoso.com',
	description:
		'User principal name (e.g. shared@contoso.com) or Entra object ID of the mailbox to act on, usually a shared mailbox',
};

/** Graph's message importance values, in the order a user reads them. */
export const IMPORTANCE_OPTIONS = [
	{ name: 'Low', value: 'low' },
	{ name: 'Normal', value: 'normal' },
	{ name: 'High', value: 'high' },
];

/** The message picker (resource locator); the name stays for the operations that import it. */
export const messageIdField: INodeProperties = messageLocator;

export const WELL_KNOWN_FOLDERS = [
	{ name: 'Inbox', value: 'inbox' },
	{ name: 'Sent Items', value: 'sentitems' },
	{ name: 'Drafts', value: 'drafts' },
	{ name: 'Deleted Items', value: 'deleteditems' },
	{ name: 'Junk Email', value: 'junkemail' },
	{ name: 'Archive', value: 'archive' },
	{ name: 'Outbox', value: 'outbox' },
];

/** A folder: picked from the mailbox's folder tree (subfolders included), or typed as an ID / well-known name. */
export function folderLocator(overrides: Partial<INodeProperties>): INodeProperties {
	return {
		displayName: 'Folder',
		name: 'folder',
		type: 'resourceLocator',
		default: { mode: 'list', value: 'inbox', cachedResultName: 'Inbox' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'searchFolders', searchable: true },
			},
			{
				displayName: 'ID or Well-Known Name',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. inbox, sentitems or AAMkAGI2...',
			},
		],
		description:
			'Folder of the mailbox. Well-known names: inbox, sentitems, drafts, deleteditems, junkemail, archive, outbox.',
		...overrides,
	} as INodeProperties;
}

export const bodyContentTypeField: INodeProperties = {
	displayName: 'Body Format',
	name: 'bodyContentType',
	type: 'options',
	options: [
		{ name: 'Text', value: 'text' },
		{ name: 'HTML', value: 'html' },
	],
	default: 'text',
};

export const attachmentsField: INodeProperties = {
	displayName: 'Attachments (Binary Properties)',
	name: 'attachments',
	type: 'string',
	default: '',
	placeholder: 'e.g. data, invoice, attachment_0',
	description:
		'Comma-separated names of binary properties of the input item to attach. Files above 3 MB (up to 150 MB) go through an upload session, which needs Mail.ReadWrite on the mailbox.',
};

export const downloadAttachmentOptions: INodeProperties[] = [
	{
		displayName: 'Attachment Property Prefix',
		name: 'attachmentPrefix',
		type: 'string',
		default: 'attachment_',
		description:
			'Downloaded attachments go to binary properties named prefix + index (attachment_0, attachment_1, ...)',
	},
	{
		displayName: 'Download Attachments',
		name: 'downloadAttachments',
		type: 'boolean',
		default: false,
		description: 'Whether to download the file attachments of each message into binary properties',
	},
	{
		displayName: 'Max Attachment Size (MB)',
		name: 'maxAttachmentSizeMb',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 25,
		description: 'Attachments larger than this are listed in "skippedAttachments" instead of being downloaded',
	},
];
