import type { INodeProperties } from 'n8n-workflow';

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
