/**
 * Attachments written to a message: small ones inline (POST .../attachments), big ones through an upload session
 * whose URL is on another host name than Graph (as outlook.office.com is), carries its own opaque token and must
 * be called without Authorization. Content is written straight into one buffer of the announced size.
 */
import type { EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import type { StoredMessage } from '../core/state';
import { jsonBody, odataContext, splitPath, type MailboxCall } from './call';
import { badRequest, GraphFault } from './errors';
import { newAttachmentId, newOpaqueToken } from './ids';
import { attachmentJson } from './serialize';
import { fileAttachment } from './send';
import { isoNow, touch } from './store';

export const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024; // chunks must be smaller than this
const SESSION_IDLE_MS = 15 * 60 * 1000;

interface UploadSession {
	id: string;
	token: string;
	mailboxId: string;
	messageId: string;
	name: string;
	contentType: string;
	isInline: boolean;
	contentId?: string;
	size: number;
	received: number;
	content?: Buffer;
	expiresAt: number;
}

const sessions = new WeakMap<EmulatorContext, Map<string, UploadSession>>();

function sessionsOf(ctx: EmulatorContext): Map<string, UploadSession> {
	let m = sessions.get(ctx);
	if (!m) sessions.set(ctx, (m = new Map()));
	const now = ctx.clock.now();
	for (const [id, s] of m) if (s.expiresAt <= now) m.delete(id);
	return m;
}

export function addAttachment(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const att = fileAttachment(call.ctx, jsonBody(call));
	if (att.size > 3 * 1024 * 1024) {
		throw new GraphFault(
			413,
			'ErrorRequestEntityTooLarge',
			'Attachments larger than 3 MB must be uploaded with an upload session.',
		);
	}
	msg.attachments.push(att);
	touch(call.ctx, call.store, msg);
	return {
		status: 201,
		body: {
			'@odata.context': odataContext(call, `messages('${msg.id}')/attachments/$entity`),
			...attachmentJson(att, true),
		},
	};
}

/** Graph's upload URLs live on outlook.office.com, not graph.microsoft.com: here, `localhost` vs `127.0.0.1`. */
function uploadHost(baseUrl: string): string {
	const u = new URL(baseUrl);
	if (u.hostname === '127.0.0.1') u.hostname = 'localhost';
	else if (u.hostname === 'localhost') u.hostname = '127.0.0.1';
	return u.origin;
}

export function createUploadSession(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const item = jsonBody<{ AttachmentItem?: Record<string, unknown> }>(call).AttachmentItem;
	if (!item || typeof item !== 'object')
		throw badRequest("The parameter 'AttachmentItem' is required.", 'ErrorInvalidParameter');
	if (String(item.attachmentType ?? '').toLowerCase() !== 'file')
		throw badRequest("Only attachmentType 'file' can be uploaded in a session.", 'ErrorInvalidParameter');
	if (typeof item.name !== 'string' || !item.name)
		throw badRequest('The attachment name is required.', 'ErrorInvalidParameter');
	const size = Number(item.size);
	if (!Number.isInteger(size) || size <= 0)
		throw badRequest('The attachment size must be a positive integer.', 'ErrorInvalidParameter');
	if (size > MAX_ATTACHMENT_BYTES) {
		throw badRequest(
			`The attachment size ${size} exceeds the maximum of ${MAX_ATTACHMENT_BYTES} bytes (150 MB).`,
			'ErrorAttachmentSizeShouldNotExceedMaximumSize',
		);
	}
	const session: UploadSession = {
		id: newOpaqueToken(18),
		token: newOpaqueToken(32),
		mailboxId: call.mailbox.id,
		messageId: msg.id,
		name: item.name,
		contentType:
			typeof item.contentType === 'string' && item.contentType ? item.contentType : 'application/octet-stream',
		isInline: item.isInline === true,
		contentId: typeof item.contentId === 'string' ? item.contentId : undefined,
		size,
		received: 0,
		expiresAt: call.ctx.clock.now() + SESSION_IDLE_MS,
	};
	sessionsOf(call.ctx).set(session.id, session);
	const uploadUrl = `${uploadHost(call.baseUrl)}/api/gv1.0/users('${call.mailbox.id}')/messages('${msg.id}')/AttachmentSessions('${session.id}')?authtoken=${session.token}`;
	return {
		status: 201,
		body: {
			'@odata.context': `${call.baseUrl}/v1.0/$metadata#microsoft.graph.uploadSession`,
			uploadUrl,
			expirationDateTime: new Date(session.expiresAt).toISOString(),
			nextExpectedRanges: ['0-'],
		},
	};
}

function fail(ctx: EmulatorContext, status: number, code: string, message: string): EmuResponse {
	return ctx.graphError(status, code, message);
}

function sessionStatus(req: EmuRequest, s: UploadSession): Record<string, unknown> {
	return {
		'@odata.context': `${req.baseUrl}/api/v2.0/$metadata#Users('${s.mailboxId}')/Messages('${s.messageId}')/AttachmentSessions/$entity`,
		ExpirationDateTime: new Date(s.expiresAt).toISOString(),
		NextExpectedRanges: [`${s.received}`],
	};
}

/** The upload URL's handler: PUT chunks, GET status, DELETE cancels. */
export function handleUpload(ctx: EmulatorContext, req: EmuRequest): EmuResponse {
	req.logTags.kind = 'upload';
	const seg = splitPath(req.rawPath);
	// api, gv1.0, users, {mailbox}, messages, {message}, AttachmentSessions, {session}
	if (
		seg.length !== 8 ||
		seg[2] !== 'users' ||
		seg[4] !== 'messages' ||
		seg[6].toLowerCase() !== 'attachmentsessions'
	) {
		return fail(ctx, 404, 'ResourceNotFound', 'The upload session URL is not valid.');
	}
	if (req.headers.authorization !== undefined) {
		return fail(
			ctx,
			401,
			'InvalidAudienceForResource',
			`The audience claim value is invalid for current resource. Upload session URLs authenticate with their own token and must be called without an Authorization header.`,
		);
	}
	const store = sessionsOf(ctx);
	const s = store.get(seg[7]);
	if (!s || s.mailboxId !== seg[3] || s.messageId !== seg[5])
		return fail(ctx, 404, 'ErrorItemNotFound', 'The upload session was not found or has expired.');
	if (req.query.get('authtoken') !== s.token)
		return fail(ctx, 401, 'InvalidAuthenticationToken', 'The upload session token is missing or invalid.');
	req.logTags.mailbox = ctx.state.mailboxes.find((m) => m.id === s.mailboxId)?.upn;
	const method = req.method.toUpperCase();
	if (method === 'GET') return { status: 200, body: sessionStatus(req, s) };
	if (method === 'DELETE') {
		store.delete(s.id);
		return { status: 204 };
	}
	if (method !== 'PUT')
		return fail(ctx, 405, 'ErrorInvalidRequest', `The HTTP method '${method}' is not supported for upload sessions.`);

	const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range']?.trim() ?? '');
	if (!range)
		return fail(
			ctx,
			400,
			'ErrorInvalidContentRange',
			'The Content-Range header is missing or malformed; expected "bytes start-end/total".',
		);
	const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
	const length = end - start + 1;
	if (total !== s.size)
		return fail(
			ctx,
			400,
			'ErrorInvalidContentRange',
			`The total size ${total} does not match the session's attachment size ${s.size}.`,
		);
	if (length <= 0 || end >= s.size)
		return fail(
			ctx,
			400,
			'ErrorInvalidContentRange',
			`The range ${start}-${end} is not within the attachment's ${s.size} bytes.`,
		);
	if (length >= MAX_CHUNK_BYTES || req.body.length >= MAX_CHUNK_BYTES) {
		return fail(
			ctx,
			413,
			'ErrorRequestEntityTooLarge',
			'Each byte range of an upload session must be smaller than 4 MB.',
		);
	}
	if (start !== s.received) {
		return fail(
			ctx,
			416,
			'ErrorInvalidContentRange',
			`The range ${start}-${end} does not start at the next expected byte ${s.received}.`,
		);
	}
	if (req.body.length !== length) {
		return fail(
			ctx,
			400,
			'ErrorInvalidContentRange',
			`The body has ${req.body.length} bytes but Content-Range announces ${length}.`,
		);
	}
	if (!s.content) s.content = Buffer.alloc(s.size);
	req.body.copy(s.content, start);
	s.received = end + 1;
	s.expiresAt = ctx.clock.now() + SESSION_IDLE_MS;
	if (s.received < s.size) return { status: 200, body: sessionStatus(req, s) };

	store.delete(s.id);
	const msgStore = ctx.state.stores.get(s.mailboxId);
	const msg = msgStore?.messages.get(s.messageId);
	if (!msgStore || !msg) return fail(ctx, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
	const attachment = {
		id: newAttachmentId(),
		name: s.name,
		contentType: s.contentType,
		size: s.size,
		isInline: s.isInline,
		contentId: s.contentId,
		content: s.content,
		lastModifiedDateTime: isoNow(ctx),
	};
	msg.attachments.push(attachment);
	touch(ctx, msgStore, msg);
	return {
		status: 201,
		headers: {
			Location: `${req.baseUrl}/api/v2.0/Users('${s.mailboxId}')/Messages('${msg.id}')/Attachments('${attachment.id}')`,
		},
	};
}
