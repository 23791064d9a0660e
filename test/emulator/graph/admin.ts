/** Mail admin operations (inbound delivery, inspection, Exchange-style moves, delta resets) and scenario seeding. */
import { AdminError } from '../core/admin';
import type { EmulatorContext } from '../core/context';
import type { Mailbox, MailboxStore, Recipient, StoredAttachment, StoredMessage } from '../core/state';
import { newAttachmentId } from './ids';
import {
	folderForAdmin,
	findFolder,
	findMailbox,
	immutableIdOf,
	insertMessage,
	isoNow,
	lookupMessage,
	moveMessage,
	sideOf,
	touch,
} from './store';
import { flushOutbound, outboundBacklog } from './send';
import { concurrencyPeaks } from './throttle';

function mailboxOf(ctx: EmulatorContext, ref: unknown, param = 'Mailbox'): Mailbox {
	if (typeof ref !== 'string' || !ref) throw new AdminError(`Parameter ${param} is required`);
	const m = findMailbox(ctx.state, ref);
	if (!m) throw new AdminError(`The mailbox '${ref}' was not found.`, 404, 'ManagementObjectNotFound');
	return m;
}

function adminMessage(store: MailboxStore, mailbox: Mailbox, id: unknown): StoredMessage {
	const msg = lookupMessage(store, String(id ?? ''));
	if (!msg)
		throw new AdminError(`The message '${id}' was not found in ${mailbox.upn}.`, 404, 'ManagementObjectNotFound');
	return msg;
}

function recipient(v: unknown, fallback: Recipient): Recipient {
	if (typeof v === 'string' && v) {
		const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(v);
		return m ? { name: m[1] || m[2], address: m[2] } : { address: v, name: v };
	}
	if (v && typeof v === 'object' && typeof (v as Recipient).address === 'string') return v as Recipient;
	return fallback;
}

function attachmentsOf(ctx: EmulatorContext, v: unknown): StoredAttachment[] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v))
		throw new AdminError('Attachments must be an array of {Name, ContentType, Size | ContentBase64}');
	return v.map((a: Record<string, unknown>, i) => {
		let content: Buffer;
		if (typeof a.ContentBase64 === 'string') content = Buffer.from(a.ContentBase64, 'base64');
		else if (Number.isInteger(a.Size) && (a.Size as number) >= 0)
			content = Buffer.alloc(a.Size as number, 0x41 + (i % 26));
		else throw new AdminError('Each attachment needs Size or ContentBase64');
		return {
			id: newAttachmentId(),
			name: typeof a.Name === 'string' ? a.Name : `attachment${i + 1}.bin`,
			contentType: typeof a.ContentType === 'string' ? a.ContentType : 'application/octet-stream',
			size: content.length,
			isInline: a.IsInline === true,
			contentId: typeof a.ContentId === 'string' ? a.ContentId : undefined,
			content,
			lastModifiedDateTime: isoNow(ctx),
		};
	});
}

/** What Get-MailboxMessages shows of a message (PowerShell-style names). */
export function adminView(store: MailboxStore, m: StoredMessage): Record<string, unknown> {
	const folder = store.folders.find((f) => f.id === m.folderId);
	return {
		Id: m.id,
		ImmutableId: immutableIdOf(store, m.id),
		Folder: folder?.wellKnownName ?? folder?.displayName,
		FolderId: m.folderId,
		Subject: m.subject,
		From: m.from?.address,
		To: m.toRecipients.map((r) => r.address),
		Cc: m.ccRecipients.map((r) => r.address),
		Bcc: m.bccRecipients.map((r) => r.address),
		ReplyTo: m.replyTo.map((r) => r.address),
		Body: m.body,
		BodyType: m.bodyType,
		Importance: m.importance,
		IsRead: m.isRead,
		IsDraft: m.isDraft,
		Categories: [...m.categories],
		Flag: m.flag.flagStatus,
		ReceivedDateTime: m.receivedDateTime,
		SentDateTime: m.sentDateTime,
		InternetMessageId: m.internetMessageId,
		ConversationId: m.conversationId,
		InternetMessageHeaders: m.internetMessageHeaders.map((h) => ({ ...h })),
		ExtendedProperties: (m.singleValueExtendedProperties ?? []).map((p) => ({ Id: p.id, Value: p.value })),
		Attachments: m.attachments.map((a) => ({
			Id: a.id,
			Name: a.name,
			ContentType: a.contentType,
			Size: a.size,
			IsInline: a.isInline,
		})),
		Version: m.version,
	};
}

function byNewest(a: StoredMessage, b: StoredMessage): number {
	return Date.parse(b.receivedDateTime) - Date.parse(a.receivedDateTime) || b.version - a.version;
}

export function deliverInbound(
	ctx: EmulatorContext,
	body: Record<string, unknown>,
): { Ids: string[]; ImmutableIds: string[] } {
	const targets = (Array.isArray(body.To) ? body.To : [body.To]).map((t) => mailboxOf(ctx, t, 'To'));
	const count = body.Count === undefined ? 1 : Number(body.Count);
	if (!Number.isInteger(count) || count < 1 || count > 100_000)
		throw new AdminError('Count must be an integer from 1 to 100000');
	const importance = (body.Importance as string | undefined)?.toLowerCase() ?? 'normal';
	if (!['low', 'normal', 'high'].includes(importance)) throw new AdminError('Importance must be Low, Normal or High');
	let receivedDateTime: string | undefined;
	if (body.ReceivedDateTime !== undefined) {
		const at = Date.parse(String(body.ReceivedDateTime));
		if (Number.isNaN(at)) throw new AdminError('ReceivedDateTime must be an ISO date');
		receivedDateTime = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
	}
	const from = recipient(body.From, { address: 'sender@fabrikam.example', name: 'Fabrikam Sender' });
	// One set of attachment buffers for all copies: delivering many large messages stays memory-lean.
	const attachments = attachmentsOf(ctx, body.Attachments);
	const ids: string[] = [];
	const immutableIds: string[] = [];
	for (const target of targets) {
		const store = ctx.ensureStore(target.id);
		const folder = folderForAdmin(store, body.Folder as string | undefined);
		for (let i = 0; i < count; i++) {
			const subject = typeof body.Subject === 'string' ? body.Subject : `Test message ${store.version + 1}`;
			const msg = insertMessage(ctx, store, folder.id, {
				subject,
				body: typeof body.Body === 'string' ? body.Body : `Body of ${subject}`,
				bodyType: String(body.BodyType ?? 'text').toLowerCase() === 'html' ? 'html' : 'text',
				from,
				toRecipients: [{ address: target.upn, name: target.displayName }],
				importance: importance as StoredMessage['importance'],
				isRead: body.IsRead === true,
				receivedDateTime,
				sentDateTime: receivedDateTime,
				attachments: attachments.map((a) => ({ ...a, id: newAttachmentId() })),
				internetMessageHeaders: Array.isArray(body.InternetMessageHeaders)
					? (body.InternetMessageHeaders as StoredMessage['internetMessageHeaders'])
					: [],
				categories: Array.isArray(body.Categories) ? (body.Categories as string[]) : [],
			});
			ids.push(msg.id);
			immutableIds.push(immutableIdOf(store, msg.id));
		}
	}
	return { Ids: ids, ImmutableIds: immutableIds };
}

export function seedMessages(ctx: EmulatorContext, mailbox: Mailbox, folder: string, count: number): void {
	deliverInbound(ctx, { To: mailbox.id, Folder: folder, Count: count });
}

export function registerMailAdmin(ctx: EmulatorContext): void {
	ctx.admin.register('Deliver-Message', (body) => deliverInbound(ctx, body ?? {}));
	ctx.admin.register('Get-MailboxMessages', (body) => {
		flushOutbound(ctx);
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		let msgs = [...store.messages.values()];
		if (body?.Folder !== undefined) {
			const folder =
				findFolder(store, String(body.Folder)) ??
				store.folders.find((f) => f.displayName.toLowerCase() === String(body.Folder).toLowerCase());
			if (!folder)
				throw new AdminError(
					`The folder '${body.Folder}' was not found in ${mailbox.upn}.`,
					404,
					'ManagementObjectNotFound',
				);
			msgs = msgs.filter((m) => m.folderId === folder.id);
		}
		return msgs.sort(byNewest).map((m) => adminView(store, m));
	});
	ctx.admin.register('Get-SentMessages', (body) => {
		flushOutbound(ctx);
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		const sent = findFolder(store, 'sentitems');
		return [...store.messages.values()]
			.filter((m) => m.folderId === sent?.id)
			.sort(byNewest)
			.map((m) => adminView(store, m));
	});
	// Keys are `appId|mailboxId`; Reset: true starts a new measurement.
	ctx.admin.register('Get-ConcurrencyPeak', (body) => concurrencyPeaks(ctx, body?.Reset === true));
	ctx.admin.register('Get-OutboundQueue', (body) => {
		const mailbox = body?.Mailbox !== undefined ? mailboxOf(ctx, body.Mailbox) : undefined;
		const backlog = outboundBacklog(ctx, mailbox?.id);
		return {
			Queued: backlog.queued,
			NextSubmitAt: backlog.nextSubmitAt ?? null,
			...(backlog.recipientsLast24h !== undefined ? { RecipientsLast24h: backlog.recipientsLast24h } : {}),
		};
	});
	ctx.admin.register('Get-MailboxFolders', (body) => {
		flushOutbound(ctx);
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		return store.folders.map((f) => ({
			Id: f.id,
			DisplayName: f.displayName,
			WellKnownName: f.wellKnownName,
			ParentFolderId: f.parentFolderId,
		}));
	});
	ctx.admin.register('Move-MailboxMessage', (body) => {
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		const msg = adminMessage(store, mailbox, body?.MessageId);
		const folder = folderForAdmin(store, String(body?.Folder ?? ''));
		const moved = moveMessage(store, msg, folder.id);
		return { Id: moved.id, ImmutableId: immutableIdOf(store, moved.id), FolderId: folder.id };
	});
	// A person changing a message in Outlook (which, unlike Graph's PATCH, may also edit a received message's
	// subject or body). Changing the read state alone keeps lastModifiedDateTime.
	ctx.admin.register('Set-MailboxMessage', (body) => {
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		const msg = adminMessage(store, mailbox, body?.MessageId);
		const wasRead = msg.isRead;
		const keys = ['IsRead', 'FlagStatus', 'Categories', 'Subject', 'Body', 'Importance'].filter(
			(k) => body?.[k] !== undefined,
		);
		if (body?.IsRead !== undefined) msg.isRead = body.IsRead === true;
		if (body?.FlagStatus !== undefined)
			msg.flag = { flagStatus: String(body.FlagStatus) as StoredMessage['flag']['flagStatus'] };
		if (Array.isArray(body?.Categories)) msg.categories = (body.Categories as unknown[]).map(String);
		if (typeof body?.Subject === 'string') msg.subject = body.Subject;
		if (typeof body?.Body === 'string') msg.body = body.Body;
		if (typeof body?.Importance === 'string') msg.importance = body.Importance as StoredMessage['importance'];
		touch(ctx, store, msg, {
			readStateChanged: wasRead !== msg.isRead,
			readStateOnly: keys.length === 1 && keys[0] === 'IsRead',
		});
		return adminView(store, msg);
	});
	// What a changeType=created delta round reports besides new messages (delta.ts): Mode 'documented' (default:
	// @removed entries and read-state changes), 'all' (every update) or 'none'; Partial: extra entries carry only
	// id, isRead and parentFolderId.
	ctx.admin.register('Set-DeltaExtras', (body) => {
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const side = sideOf(ctx.ensureStore(mailbox.id));
		const mode = String(body?.Mode ?? 'documented');
		if (mode !== 'documented' && mode !== 'all' && mode !== 'none')
			throw new AdminError("Mode must be 'documented', 'all' or 'none'");
		side.createdExtras = mode;
		side.partialExtras = body?.Partial === true;
		return { Mailbox: mailbox.upn, Mode: mode, Partial: side.partialExtras };
	});
	ctx.admin.register('Reset-DeltaState', (body) => {
		const mailbox = mailboxOf(ctx, body?.Mailbox);
		const store = ctx.ensureStore(mailbox.id);
		const mode = String(body?.Mode ?? '410');
		if (mode !== '410' && mode !== 'syncStateNotFound')
			throw new AdminError("Mode must be '410' or 'syncStateNotFound'");
		let folderId: string | undefined;
		if (body?.Folder !== undefined) {
			const folder =
				findFolder(store, String(body.Folder)) ??
				store.folders.find((f) => f.displayName.toLowerCase() === String(body.Folder).toLowerCase());
			if (!folder)
				throw new AdminError(
					`The folder '${body.Folder}' was not found in ${mailbox.upn}.`,
					404,
					'ManagementObjectNotFound',
				);
			folderId = folder.id;
		}
		const side = sideOf(store);
		side.resets.push({ seq: side.resets.length + 1, folderId, mode });
		return { Mailbox: mailbox.upn, FolderId: folderId ?? null, Mode: mode };
	});
}
