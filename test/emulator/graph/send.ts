/** sendMail, draft send, reply/replyAll/forward (and their create* draft forms), and delivery to tenant mailboxes. */
import type { AccessTokenClaims, EmulatorContext, EmuResponse } from '../core/context';
import type { Mailbox, Recipient, StoredAttachment, StoredMessage } from '../core/state';
import { authorizeMailboxAccess } from '../exchange/authorize';
import { idsFor, jsonBody, odataContext, type MailboxCall } from './call';
import { badRequest, GraphFault } from './errors';
import { newAttachmentId } from './ids';
import { applyPatch, validHeaders } from './messages';
import { bodyAs, messageJson, recipientFromJson } from './serialize';
import { findMailbox, insertMessage, isoNow, removeMessage, wellKnown, type NewMessage } from './store';

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

function recipientList(v: unknown, name: string): Recipient[] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v))
		throw badRequest(`Invalid value for '${name}': a collection of recipients is expected.`, 'RequestBodyRead');
	return v.map((r) => {
		const rec = recipientFromJson(r);
		if (!rec || !ADDRESS.test(rec.address)) {
			throw badRequest(
				`At least one recipient isn't valid., Recipient '${rec?.address ?? ''}' isn't resolved. All recipients must be resolved before a message can be submitted.`,
				'ErrorInvalidRecipients',
			);
		}
		return rec;
	});
}

export function fileAttachments(ctx: EmulatorContext, v: unknown): StoredAttachment[] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v)) throw badRequest('attachments must be a collection.', 'RequestBodyRead');
	return v.map((a) => fileAttachment(ctx, a));
}

export function fileAttachment(ctx: EmulatorContext, a: unknown): StoredAttachment {
	const x = (a ?? {}) as Record<string, unknown>;
	const type = String(x['@odata.type'] ?? '').toLowerCase();
	if (type !== '#microsoft.graph.fileattachment') {
		throw badRequest(
			"The attachment's '@odata.type' must be '#microsoft.graph.fileAttachment' (item and reference attachments are not emulated).",
			'ErrorInvalidRequest',
		);
	}
	if (typeof x.name !== 'string' || !x.name)
		throw badRequest('The attachment name is required.', 'ErrorInvalidRequest');
	if (typeof x.contentBytes !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(x.contentBytes.replace(/\s/g, ''))) {
		throw badRequest("Cannot convert the literal to the expected type 'Edm.Binary'.", 'RequestBodyRead');
	}
	const content = Buffer.from(x.contentBytes, 'base64');
	return {
		id: newAttachmentId(),
		name: x.name,
		contentType: typeof x.contentType === 'string' && x.contentType ? x.contentType : 'application/octet-stream',
		size: content.length,
		isInline: x.isInline === true,
		contentId: typeof x.contentId === 'string' ? x.contentId : undefined,
		content,
		lastModifiedDateTime: isoNow(ctx),
	};
}

const PROPERTY_ID =
	/^(String|Integer|Boolean|SystemTime|Binary|Long|Double|Short|Currency|Float|CLSID)\s+(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}\s+(Name\s+\S.*|Id\s+0x[0-9a-f]{1,4})|0x[0-9a-f]{1,4})$/i;

/**
 * `singleValueExtendedProperties: [{id, value}]` on a new message. Ids: `{type} {guid} Name {name}`,
 * `{type} {guid} Id 0x..` or `{type} 0x..` (Graph's extended-properties overview); anything else is refused.
 */
function extendedProperties(v: unknown): StoredMessage['singleValueExtendedProperties'] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v)) throw badRequest('singleValueExtendedProperties must be a collection.', 'RequestBodyRead');
	return v.map((p) => {
		const x = (p ?? {}) as { id?: unknown; value?: unknown };
		if (typeof x.id !== 'string' || !PROPERTY_ID.test(x.id.trim()))
			throw badRequest(`The property ID '${String(x.id ?? '')}' is not valid.`, 'ErrorInvalidProperty');
		if (typeof x.value !== 'string')
			throw badRequest('The value of an extended property must be a string.', 'RequestBodyRead');
		return { id: x.id.trim().replace(/\s+/g, ' '), value: x.value };
	});
}

/** A Graph `message` resource from a request body, as far as mail clients set it. */
export function messageFromJson(
	ctx: EmulatorContext,
	mailbox: Mailbox,
	json: Record<string, unknown>,
	claims?: AccessTokenClaims,
): NewMessage {
	const body = json.body as { contentType?: unknown; content?: unknown } | undefined;
	const importance = json.importance ?? 'normal';
	if (importance !== 'low' && importance !== 'normal' && importance !== 'high') {
		throw badRequest(`The string '${String(importance)}' is not a valid enumeration type constant.`, 'RequestBodyRead');
	}
	const self: Recipient = { address: mailbox.upn, name: mailbox.displayName };
	const from = json.from !== undefined ? recipientFromJson(json.from) : self;
	let sender = from ?? self;
	if (from && from.address.toLowerCase() !== mailbox.upn.toLowerCase()) {
		// A delegate sends from a mailbox they hold SendAs / SendOnBehalf on (Exchange checks the from mailbox).
		const fromBox = claims?.idtyp === 'user' ? findMailbox(ctx.state, from.address) : undefined;
		const grant = fromBox ? authorizeMailboxAccess(ctx, claims!, fromBox, 'send') : undefined;
		if (!grant || !grant.allowed) {
			throw new GraphFault(
				403,
				'ErrorSendAsDenied',
				'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
			);
		}
		if (/SendOnBehalf/.test(grant.via)) sender = self;
	}
	return {
		subject: typeof json.subject === 'string' ? json.subject : '',
		bodyType: String(body?.contentType ?? 'text').toLowerCase() === 'html' ? 'html' : 'text',
		body: typeof body?.content === 'string' ? body.content : '',
		from: from ?? self,
		sender,
		toRecipients: recipientList(json.toRecipients, 'toRecipients'),
		ccRecipients: recipientList(json.ccRecipients, 'ccRecipients'),
		bccRecipients: recipientList(json.bccRecipients, 'bccRecipients'),
		replyTo: recipientList(json.replyTo, 'replyTo'),
		importance,
		categories: Array.isArray(json.categories) ? json.categories.filter((c): c is string => typeof c === 'string') : [],
		internetMessageHeaders: validHeaders(json.internetMessageHeaders),
		singleValueExtendedProperties: extendedProperties(json.singleValueExtendedProperties),
		attachments: fileAttachments(ctx, json.attachments),
	};
}

/** Tenant mailboxes an address reaches: a mailbox, or the members of a mail-enabled group. */
function resolveTargets(ctx: EmulatorContext, address: string): Mailbox[] {
	const lower = address.toLowerCase();
	const box =
		findMailbox(ctx.state, lower) ??
		ctx.state.mailboxes.find((m) => `${m.alias}@${ctx.state.tenant.domain}`.toLowerCase() === lower);
	if (box) return [box];
	const group = ctx.state.groups.find((g) => g.primarySmtpAddress.toLowerCase() === lower);
	if (group) return ctx.state.mailboxes.filter((m) => group.memberIds.includes(m.id));
	return [];
}

/**
 * Delivers a sent message to every tenant mailbox among its recipients (external ones are accepted and dropped).
 * Attachment content buffers are shared between copies: they are never mutated.
 */
export function deliver(ctx: EmulatorContext, m: NewMessage, folder = 'inbox'): StoredMessage[] {
	const targets = new Map<string, Mailbox>();
	for (const r of [...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])]) {
		for (const box of resolveTargets(ctx, r.address)) targets.set(box.id, box);
	}
	const out: StoredMessage[] = [];
	for (const box of targets.values()) {
		const store = ctx.ensureStore(box.id);
		const f = folder === 'inbox' ? wellKnown(store, 'inbox') : wellKnown(store, folder);
		out.push(
			insertMessage(ctx, store, f.id, {
				...m,
				bccRecipients: [],
				isRead: false,
				isDraft: false,
				// Named properties of the sender's item stay in the sender's mailbox.
				singleValueExtendedProperties: [],
				attachments: (m.attachments ?? []).map((a) => ({ ...a, id: newAttachmentId() })),
			}),
		);
	}
	return out;
}

function requireRecipients(m: NewMessage): void {
	if (!m.toRecipients?.length && !m.ccRecipients?.length && !m.bccRecipients?.length) {
		throw badRequest(
			"At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
			'ErrorInvalidRecipients',
		);
	}
}

/**
 * Exchange Online's sending limits, after the 202 (sources: docs/fidelity.md "Sends (i13-sends)"):
 * - message rate: at most `messageRatePerMinute` submissions per mailbox in any 60 s; the excess is not
 *   refused but waits in the Outbox and goes out as the window allows (so N messages take about N/30 minutes);
 * - recipient rate: `recipientRatePerDay` recipients per mailbox per rolling 24 h; a message over it still got
 *   its 202, is not delivered, and a non-delivery report (554 5.2.0 ...SubmissionQuotaExceededException) lands
 *   in the sender's Inbox;
 * - the copy in Sent Items is made after the 202: nothing shows in the mailbox for `sentItemsDelaySeconds`,
 *   then the message sits in the Outbox until submitted, then moves to Sent Items.
 * Everything runs on the emulator clock and is applied lazily (flushOutbound) before any Graph request or mail
 * admin read, so Advance-Clock drains the queue without real waiting.
 */
interface Outbound {
	mailboxId: string;
	message: NewMessage;
	saveToSentItems: boolean;
	visibleAt: number;
	submitAt: number;
	outboxId?: string;
	submitted: boolean;
}

interface SenderLog {
	/** Submission times (emulator clock) of the last messages, for the per-minute window. */
	submissions: number[];
	/** [time, recipient count] of delivered messages in the last 24 h. */
	recipients: Array<[number, number]>;
}

const queues = new WeakMap<EmulatorContext, Outbound[]>();
const senders = new WeakMap<EmulatorContext, Map<string, SenderLog>>();

function senderLog(ctx: EmulatorContext, mailboxId: string): SenderLog {
	let all = senders.get(ctx);
	if (!all) senders.set(ctx, (all = new Map()));
	let log = all.get(mailboxId);
	if (!log) all.set(mailboxId, (log = { submissions: [], recipients: [] }));
	return log;
}

/** When the next message of this mailbox may be submitted: the 30th-previous submission plus a minute. */
function nextSubmissionSlot(ctx: EmulatorContext, mailboxId: string, now: number): number {
	const rate = ctx.state.settings.messageRatePerMinute;
	const log = senderLog(ctx, mailboxId);
	let at = now;
	if (rate > 0 && log.submissions.length >= rate)
		at = Math.max(now, log.submissions[log.submissions.length - rate] + 60_000);
	log.submissions.push(at);
	if (rate > 0 && log.submissions.length > rate * 2) log.submissions.splice(0, log.submissions.length - rate);
	return at;
}

function recipientCount(m: NewMessage): number {
	return (m.toRecipients?.length ?? 0) + (m.ccRecipients?.length ?? 0) + (m.bccRecipients?.length ?? 0);
}

function nonDeliveryReport(ctx: EmulatorContext, sender: Mailbox, m: NewMessage, at: string): void {
	const store = ctx.ensureStore(sender.id);
	const to = [...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])].map((r) => r.address);
	insertMessage(ctx, store, wellKnown(store, 'inbox').id, {
		subject: `Undeliverable: ${m.subject ?? ''}`,
		bodyType: 'text',
		body: `Your message couldn't be delivered to ${to.join('; ')}.\n\nYou've exceeded the number of recipients you can send to in a day.\n\nRemote Server returned '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Message submission quota exceeded.[EndDiagnosticData]'`,
		from: { address: `postmaster@${ctx.state.tenant.domain}`, name: 'Microsoft Outlook' },
		toRecipients: [{ address: sender.upn, name: sender.displayName }],
		receivedDateTime: at,
		sentDateTime: at,
		isRead: false,
	});
}

/** Submits what is due and files what has become visible; idempotent, cheap when nothing waits. */
export function flushOutbound(ctx: EmulatorContext): void {
	const queue = queues.get(ctx);
	if (!queue?.length) return;
	const now = ctx.clock.now();
	const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
	for (const entry of [...queue].sort((a, b) => a.submitAt - b.submitAt)) {
		const sender = ctx.state.mailboxes.find((b) => b.id === entry.mailboxId);
		const store = ctx.ensureStore(entry.mailboxId);
		if (!entry.submitted && now >= entry.submitAt) {
			entry.submitted = true;
			const at = iso(entry.submitAt);
			entry.message = { ...entry.message, sentDateTime: at, receivedDateTime: at };
			const limit = ctx.state.settings.recipientRatePerDay;
			const log = senderLog(ctx, entry.mailboxId);
			log.recipients = log.recipients.filter(([t]) => t > entry.submitAt - 24 * 3600_000);
			const used = log.recipients.reduce((n, [, c]) => n + c, 0);
			const count = recipientCount(entry.message);
			if (limit > 0 && used + count > limit) {
				if (sender) nonDeliveryReport(ctx, sender, entry.message, at);
			} else {
				log.recipients.push([entry.submitAt, count]);
				deliver(ctx, entry.message);
			}
		}
		if (now < entry.visibleAt) continue;
		const queued = entry.outboxId ? store.messages.get(entry.outboxId) : undefined;
		if (!entry.submitted) {
			if (!queued)
				entry.outboxId = insertMessage(ctx, store, wellKnown(store, 'outbox').id, {
					...entry.message,
					sentDateTime: undefined,
					isRead: true,
					isDraft: false,
				}).id;
			continue;
		}
		if (queued) removeMessage(store, queued);
		if (entry.saveToSentItems)
			insertMessage(ctx, store, wellKnown(store, 'sentitems').id, { ...entry.message, isRead: true, isDraft: false });
		queue.splice(queue.indexOf(entry), 1);
	}
}

/** For tests and the bench: messages accepted (202) but not yet submitted or not yet filed, per mailbox. */
export function outboundBacklog(
	ctx: EmulatorContext,
	mailboxId?: string,
): { queued: number; nextSubmitAt?: string; recipientsLast24h?: number } {
	flushOutbound(ctx);
	const now = ctx.clock.now();
	const recipientsLast24h = mailboxId
		? senderLog(ctx, mailboxId)
				.recipients.filter(([t]) => t > now - 24 * 3600_000)
				.reduce((n, [, c]) => n + c, 0)
		: undefined;
	const entries = (queues.get(ctx) ?? []).filter((e) => !mailboxId || e.mailboxId === mailboxId);
	const waiting = entries.filter((e) => !e.submitted).map((e) => e.submitAt);
	return {
		queued: entries.length,
		nextSubmitAt: waiting.length ? new Date(Math.min(...waiting)).toISOString() : undefined,
		recipientsLast24h,
	};
}

function submit(call: MailboxCall, m: NewMessage, saveToSentItems: boolean): void {
	requireRecipients(m);
	const ctx = call.ctx;
	const now = ctx.clock.now();
	let queue = queues.get(ctx);
	if (!queue) queues.set(ctx, (queue = []));
	queue.push({
		mailboxId: call.mailbox.id,
		message: { ...m, isDraft: false },
		saveToSentItems,
		visibleAt: now + ctx.state.settings.sentItemsDelaySeconds * 1000,
		submitAt: nextSubmissionSlot(ctx, call.mailbox.id, now),
		submitted: false,
	});
	flushOutbound(ctx);
}

export function sendMail(call: MailboxCall): EmuResponse {
	const json = jsonBody<{ message?: unknown; saveToSentItems?: unknown }>(call);
	if (!json.message || typeof json.message !== 'object')
		throw badRequest('Empty Payload. JSON content expected.', 'ErrorInvalidRequest');
	if (
		json.saveToSentItems !== undefined &&
		typeof json.saveToSentItems !== 'boolean' &&
		json.saveToSentItems !== 'true' &&
		json.saveToSentItems !== 'false'
	) {
		throw badRequest(
			"Cannot convert a primitive value to the expected type 'Edm.Boolean'. See the inner exception for more details.",
			'RequestBodyRead',
		);
	}
	const m = messageFromJson(call.ctx, call.mailbox, json.message as Record<string, unknown>, call.claims);
	submit(call, m, json.saveToSentItems !== false && json.saveToSentItems !== 'false');
	return { status: 202 };
}

/** A draft's send: it moves to Sent Items (new id) and is delivered. */
export function sendDraft(call: MailboxCall, draft: StoredMessage): EmuResponse {
	if (!draft.isDraft) throw badRequest('Only draft messages can be sent.', 'ErrorInvalidOperation');
	requireRecipients(draft);
	// The draft leaves Drafts at once; it is filed in Sent Items (new id) through the same limits as sendMail.
	removeMessage(call.store, draft);
	const { id: _id, folderId: _folder, version: _version, changeKey: _key, ...content } = draft;
	submit(call, content, true);
	return { status: 202 };
}

type ReplyKind = 'reply' | 'replyAll' | 'forward';

function compose(call: MailboxCall, original: StoredMessage, kind: ReplyKind): NewMessage {
	const json = jsonBody<{ comment?: unknown; message?: Record<string, unknown>; toRecipients?: unknown }>(call);
	const comment = typeof json.comment === 'string' ? json.comment : '';
	const self = call.mailbox.upn.toLowerCase();
	const notSelf = (r: Recipient): boolean => r.address.toLowerCase() !== self;
	let to: Recipient[] = [];
	let cc: Recipient[] = [];
	if (kind !== 'forward') {
		to = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
		if (kind === 'replyAll') {
			to = [...to, ...original.toRecipients.filter(notSelf)];
			cc = original.ccRecipients.filter(notSelf);
		}
	} else {
		to = recipientList(json.toRecipients, 'toRecipients');
	}
	const quoted = bodyAs(original, 'text').content;
	const prefix = kind === 'forward' ? 'FW: ' : 'RE: ';
	const m: NewMessage = {
		subject: original.subject.startsWith(prefix) ? original.subject : prefix + original.subject,
		bodyType: 'text',
		body: `${comment}\n\n-----Original Message-----\n${quoted}`,
		from: { address: call.mailbox.upn, name: call.mailbox.displayName },
		toRecipients: to,
		ccRecipients: cc,
		conversationId: original.conversationId,
		attachments: kind === 'forward' ? original.attachments.map((a) => ({ ...a, id: newAttachmentId() })) : [],
	};
	if (json.message) {
		const extra = messageFromJson(call.ctx, call.mailbox, { ...json.message, from: undefined });
		if (extra.toRecipients?.length)
			m.toRecipients = kind === 'forward' ? [...(m.toRecipients ?? []), ...extra.toRecipients] : extra.toRecipients;
		if (extra.ccRecipients?.length) m.ccRecipients = extra.ccRecipients;
		if (extra.bccRecipients?.length) m.bccRecipients = extra.bccRecipients;
		if (extra.attachments?.length) m.attachments = [...(m.attachments ?? []), ...extra.attachments];
		if (extra.internetMessageHeaders?.length) m.internetMessageHeaders = extra.internetMessageHeaders;
		if (extra.singleValueExtendedProperties?.length)
			m.singleValueExtendedProperties = extra.singleValueExtendedProperties;
		if ((json.message as { importance?: unknown }).importance) m.importance = extra.importance;
	}
	return m;
}

export function replyOrForward(call: MailboxCall, original: StoredMessage, kind: ReplyKind): EmuResponse {
	submit(call, compose(call, original, kind), true);
	return { status: 202 };
}

export function createReplyOrForward(call: MailboxCall, original: StoredMessage, kind: ReplyKind): EmuResponse {
	const draft = insertMessage(call.ctx, call.store, wellKnown(call.store, 'drafts').id, {
		...compose(call, original, kind),
		isDraft: true,
		isRead: true,
	});
	return {
		status: 201,
		body: { '@odata.context': odataContext(call, 'messages/$entity'), ...messageJson(draft, { idOf: idsFor(call) }) },
	};
}

/** POST /messages (or /mailFolders/{id}/messages): a new draft. */
export function createDraft(call: MailboxCall, folderId: string | undefined): EmuResponse {
	const json = jsonBody(call);
	const m = messageFromJson(call.ctx, call.mailbox, json, call.claims);
	const draft = insertMessage(call.ctx, call.store, folderId ?? wellKnown(call.store, 'drafts').id, {
		...m,
		isDraft: true,
		isRead: true,
	});
	if (json.isRead !== undefined || json.flag !== undefined)
		applyPatch(draft, { isRead: json.isRead ?? true, ...(json.flag ? { flag: json.flag } : {}) });
	return {
		status: 201,
		body: { '@odata.context': odataContext(call, 'messages/$entity'), ...messageJson(draft, { idOf: idsFor(call) }) },
	};
}
