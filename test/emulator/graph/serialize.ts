/** Graph v1.0 JSON shapes of messages, folders and attachments. */
import type { MailboxStore, MailFolder, Recipient, StoredAttachment, StoredMessage } from '../core/state';
import { childFolders, messagesIn, parentOf } from './store';

export const MESSAGE_PROPERTIES = [
	'id',
	'createdDateTime',
	'lastModifiedDateTime',
	'changeKey',
	'categories',
	'receivedDateTime',
	'sentDateTime',
	'hasAttachments',
	'internetMessageId',
	'subject',
	'bodyPreview',
	'importance',
	'parentFolderId',
	'conversationId',
	'conversationIndex',
	'isDeliveryReceiptRequested',
	'isReadReceiptRequested',
	'isRead',
	'isDraft',
	'webLink',
	'inferenceClassification',
	'body',
	'uniqueBody',
	'sender',
	'from',
	'toRecipients',
	'ccRecipients',
	'bccRecipients',
	'replyTo',
	'flag',
	'internetMessageHeaders',
];
/** Returned only when selected, as Graph does. */
const SELECT_ONLY = new Set(['internetMessageHeaders', 'uniqueBody']);
export const BODY_PROPERTIES = new Set(['body', 'uniqueBody', 'bodyPreview']);

export const FOLDER_PROPERTIES = [
	'id',
	'displayName',
	'parentFolderId',
	'childFolderCount',
	'unreadItemCount',
	'totalItemCount',
	// No sizeInBytes: it is not on v1.0's mailFolder (msgraph-metadata v1.0-Prod.csdl; test/metadata oracle).
	'isHidden',
];

function address(r: Recipient | undefined): unknown {
	return r ? { emailAddress: { name: r.name ?? r.address, address: r.address } } : undefined;
}

function htmlToText(html: string): string {
	return html
		.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>/gi, '\n')
		.replace(/<\/(p|div|tr|li|h\d)>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&');
}

function textToHtml(text: string): string {
	const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
	return `<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${escaped.replace(/\n/g, '<br>')}</body></html>`;
}

export function bodyAs(
	msg: StoredMessage,
	want: 'text' | 'html' | undefined,
): { contentType: string; content: string } {
	const type = want ?? msg.bodyType;
	if (type === msg.bodyType) return { contentType: type, content: msg.body };
	return type === 'text'
		? { contentType: 'text', content: htmlToText(msg.body) }
		: { contentType: 'html', content: textToHtml(msg.body) };
}

export function hasAttachments(msg: StoredMessage): boolean {
	return msg.attachments.some((a) => !a.isInline);
}

export interface MessageView {
	select?: string[];
	bodyType?: 'text' | 'html';
	expandAttachments?: boolean;
	/** Mail.ReadBasic: body and preview are left out. */
	withoutBody?: boolean;
	webLinkBase?: string;
	/** The id as the request wants it (immutable ids with `Prefer: IdType="ImmutableId"`). */
	idOf?: (restId: string) => string;
}

export function messageJson(msg: StoredMessage, view: MessageView = {}): Record<string, unknown> {
	const preview = (msg.bodyType === 'html' ? htmlToText(msg.body) : msg.body).replace(/\s+/g, ' ').trim().slice(0, 255);
	const all: Record<string, () => unknown> = {
		id: () => (view.idOf ? view.idOf(msg.id) : msg.id),
		createdDateTime: () => msg.createdDateTime,
		lastModifiedDateTime: () => msg.lastModifiedDateTime,
		changeKey: () => msg.changeKey,
		categories: () => [...msg.categories],
		receivedDateTime: () => msg.receivedDateTime,
		sentDateTime: () => msg.sentDateTime ?? null,
		hasAttachments: () => hasAttachments(msg),
		internetMessageId: () => msg.internetMessageId,
		subject: () => msg.subject,
		bodyPreview: () => preview,
		importance: () => msg.importance,
		parentFolderId: () => msg.folderId,
		conversationId: () => msg.conversationId,
		conversationIndex: () => Buffer.from(msg.conversationId.slice(0, 22)).toString('base64'),
		isDeliveryReceiptRequested: () => false,
		isReadReceiptRequested: () => false,
		isRead: () => msg.isRead,
		isDraft: () => msg.isDraft,
		webLink: () =>
			`https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(msg.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
		inferenceClassification: () => 'focused',
		body: () => bodyAs(msg, view.bodyType),
		uniqueBody: () => bodyAs(msg, view.bodyType),
		sender: () => address(msg.sender) ?? null,
		from: () => address(msg.from) ?? null,
		toRecipients: () => msg.toRecipients.map(address),
		ccRecipients: () => msg.ccRecipients.map(address),
		bccRecipients: () => msg.bccRecipients.map(address),
		replyTo: () => msg.replyTo.map(address),
		flag: () => ({ flagStatus: msg.flag.flagStatus }),
		internetMessageHeaders: () => msg.internetMessageHeaders.map((h) => ({ ...h })),
	};
	const out: Record<string, unknown> = { '@odata.etag': `W/"${msg.changeKey}"` };
	const names = view.select
		? ['id', ...view.select.filter((s) => s !== 'id')]
		: MESSAGE_PROPERTIES.filter((p) => !SELECT_ONLY.has(p));
	for (const name of names) {
		if (view.withoutBody && BODY_PROPERTIES.has(name)) continue;
		out[name] = all[name]();
	}
	if (view.expandAttachments) out.attachments = msg.attachments.map((a) => attachmentJson(a, true));
	return out;
}

export function attachmentJson(a: StoredAttachment, withContent: boolean): Record<string, unknown> {
	const out: Record<string, unknown> = {
		'@odata.type': '#microsoft.graph.fileAttachment',
		'@odata.mediaContentType': a.contentType,
		id: a.id,
		lastModifiedDateTime: a.lastModifiedDateTime,
		name: a.name,
		contentType: a.contentType,
		size: a.size,
		isInline: a.isInline,
		contentId: a.contentId ?? null,
		contentLocation: null,
	};
	if (withContent) out.contentBytes = a.content.toString('base64');
	return out;
}

export function folderJson(store: MailboxStore, f: MailFolder, select?: string[]): Record<string, unknown> {
	const msgs = messagesIn(store, f.id);
	const all: Record<string, () => unknown> = {
		id: () => f.id,
		displayName: () => f.displayName,
		parentFolderId: () => parentOf(store, f),
		childFolderCount: () => childFolders(store, f.id).length,
		unreadItemCount: () => msgs.filter((m) => !m.isRead).length,
		totalItemCount: () => msgs.length,
		isHidden: () => false,
	};
	const out: Record<string, unknown> = {};
	for (const name of select ? ['id', ...select.filter((s) => s !== 'id')] : FOLDER_PROPERTIES) out[name] = all[name]();
	return out;
}

export function recipientFromJson(v: unknown): Recipient | undefined {
	const e = (v as { emailAddress?: { address?: unknown; name?: unknown } } | undefined)?.emailAddress;
	if (!e || typeof e.address !== 'string') return undefined;
	return { address: e.address, name: typeof e.name === 'string' ? e.name : undefined };
}
