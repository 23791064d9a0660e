import type { IDataObject } from 'n8n-workflow';

type Recipient = { emailAddress?: { address?: string; name?: string } };

function address(r: Recipient | undefined) {
	return r?.emailAddress?.address;
}

function addresses(list: unknown) {
	return Array.isArray(list) ? (list as Recipient[]).map(address).filter(Boolean) : undefined;
}

/** Flat message fields for the common case (workflows compare "from" to a string, not a nested object). */
export function simplifyMessage(message: IDataObject): IDataObject {
	const out: IDataObject = {};
	const set = (key: string, value: unknown) => {
		if (value !== undefined) out[key] = value as IDataObject[keyof IDataObject];
	};
	// What a person reads first, then recipients and state, then the IDs workflows pass on.
	set('subject', message.subject);
	set('from', address(message.from as Recipient));
	set('fromName', (message.from as Recipient | undefined)?.emailAddress?.name);
	set('receivedDateTime', message.receivedDateTime);
	set('bodyPreview', message.bodyPreview);
	set('to', addresses(message.toRecipients));
	set('cc', addresses(message.ccRecipients));
	set('bcc', addresses(message.bccRecipients));
	set('replyTo', addresses(message.replyTo));
	set('sentDateTime', message.sentDateTime);
	set('isRead', message.isRead);
	set('isDraft', message.isDraft);
	set('importance', message.importance);
	set('hasAttachments', message.hasAttachments);
	set('categories', message.categories);
	set('flagStatus', (message.flag as IDataObject | undefined)?.flagStatus);
	const body = message.body as IDataObject | undefined;
	if (body) {
		set('bodyContentType', body.contentType);
		set('body', body.content);
	}
	set('webLink', message.webLink);
	set('id', message.id);
	set('conversationId', message.conversationId);
	set('parentFolderId', message.parentFolderId);
	set('internetMessageId', message.internetMessageId);
	return out;
}

/** The fields a simplified message needs when the user picked none. */
export const SIMPLE_SELECT = [
	'id',
	'conversationId',
	'subject',
	'from',
	'toRecipients',
	'ccRecipients',
	'bccRecipients',
	'replyTo',
	'receivedDateTime',
	'sentDateTime',
	'isRead',
	'isDraft',
	'importance',
	'hasAttachments',
	'categories',
	'flag',
	'bodyPreview',
	'parentFolderId',
	'internetMessageId',
	'webLink',
];
