/**
 * Graph v1.0 request handling: token, mailbox resolution (/users/{id|upn}, /me), route, per-app-per-mailbox
 * limits (latency is served inside the concurrency window), Exchange authorization, then the handler.
 * Direct requests and $batch's inner requests both come through `handleGraphCall`.
 */
import type { AccessTokenClaims, EmulatorContext, EmuResponse } from '../core/context';
import type { Mailbox, MailFolder } from '../core/state';
import { authorizeMailboxAccess, type MailCapability } from '../exchange/authorize';
import type { GraphCall, MailboxCall } from './call';
import { cloudRefusal } from './cloud';
import { messagesDelta } from './delta';
import { badRequest, GraphFault } from './errors';
import { createChildFolder, getFolder, listFolders, resolveFolder } from './folders';
import {
	deleteAttachment,
	deleteMessage,
	findMessage,
	getAttachment,
	getMessage,
	listAttachments,
	listMessages,
	moveOrCopy,
	patchMessage,
} from './messages';
import { needsBody } from './query';
import { createDraft, createReplyOrForward, flushOutbound, replyOrForward, sendDraft, sendMail } from './send';
import { findMailbox } from './store';
import { admit } from './throttle';
import { addAttachment, createUploadSession } from './upload';

/** Graph's request size limit (attachments above ~3 MB need an upload session). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

type Need = MailCapability | 'readOrBasic';
interface Plan {
	need: Need;
	run(call: MailboxCall): EmuResponse | Promise<EmuResponse>;
}

const ID_SHAPE = /^[A-Za-z0-9+/=_-]{16,}$/;
const malformed = (): GraphFault => badRequest('Id is malformed.', 'ErrorInvalidIdMalformed');

function checkId(id: string): string {
	if (!ID_SHAPE.test(id)) throw malformed();
	return id;
}

function noSegment(seg: string): GraphFault {
	return badRequest(`Resource not found for the segment '${seg}'.`);
}

function methodNotAllowed(method: string): GraphFault {
	return new GraphFault(
		405,
		'ErrorInvalidRequest',
		`The OData request is not supported: the HTTP method '${method}' is not allowed on this resource.`,
	);
}

function readNeed(call: GraphCall): Need {
	const sel = call.query.get('$select');
	const select = sel === null ? undefined : sel.split(',').map((s) => s.trim());
	const body = needsBody({ select, expandAttachments: call.query.has('$expand') });
	return body === 'yes' ? 'read' : body === 'no' ? 'readBasic' : 'readOrBasic';
}

/** mailFolders/{a}/childFolders/{b}/... -> the folder refs and what follows them. */
function folderChain(rest: string[]): { refs: string[]; after: string[] } {
	const refs = [rest[1]];
	let i = 2;
	while (rest[i]?.toLowerCase() === 'childfolders' && rest[i + 1] !== undefined && rest[i + 2] !== undefined) {
		refs.push(rest[i + 1]);
		i += 2;
	}
	// A trailing childFolders/{id} with nothing after it is a folder get.
	if (rest[i]?.toLowerCase() === 'childfolders' && rest[i + 1] !== undefined && rest[i + 2] === undefined) {
		refs.push(rest[i + 1]);
		i += 2;
	}
	return { refs, after: rest.slice(i) };
}

function resolveChain(call: MailboxCall, refs: string[]): MailFolder {
	let folder: MailFolder | undefined;
	for (const ref of refs) {
		try {
			folder = resolveFolder(call, ref, folder);
		} catch (err) {
			if (!ID_SHAPE.test(ref)) throw malformed();
			throw err;
		}
	}
	return folder as MailFolder;
}

function messagePlan(
	method: string,
	call: GraphCall,
	r: string[],
	folderOf: (c: MailboxCall) => MailFolder | undefined,
): Plan {
	// r starts after 'messages'
	if (r.length === 0) {
		if (method === 'GET') return { need: readNeed(call), run: (c) => listMessages(c, folderOf(c)) };
		if (method === 'POST') return { need: 'readWrite', run: (c) => createDraft(c, folderOf(c)?.id) };
		throw methodNotAllowed(method);
	}
	const id = r[0];
	const msg = (c: MailboxCall) => findMessage(c, checkId(id), folderOf(c));
	if (r.length === 1) {
		if (method === 'GET') return { need: readNeed(call), run: (c) => getMessage(c, msg(c)) };
		if (method === 'PATCH') return { need: 'readWrite', run: (c) => patchMessage(c, msg(c)) };
		if (method === 'DELETE') return { need: 'readWrite', run: (c) => deleteMessage(c, msg(c)) };
		throw methodNotAllowed(method);
	}
	const action = r[1];
	if (action.toLowerCase() === 'attachments') {
		if (r.length === 2) {
			if (method === 'GET') return { need: 'read', run: (c) => listAttachments(c, msg(c)) };
			if (method === 'POST') return { need: 'readWrite', run: (c) => addAttachment(c, msg(c)) };
			throw methodNotAllowed(method);
		}
		if (r.length === 3 && r[2].toLowerCase() === 'createuploadsession') {
			if (method === 'POST') return { need: 'readWrite', run: (c) => createUploadSession(c, msg(c)) };
			throw methodNotAllowed(method);
		}
		const attId = r[2];
		if (r.length === 3) {
			if (method === 'GET') return { need: 'read', run: (c) => getAttachment(c, msg(c), checkId(attId), false) };
			if (method === 'DELETE') return { need: 'readWrite', run: (c) => deleteAttachment(c, msg(c), checkId(attId)) };
			throw methodNotAllowed(method);
		}
		if (r.length === 4 && r[3] === '$value') {
			if (method === 'GET') return { need: 'read', run: (c) => getAttachment(c, msg(c), checkId(attId), true) };
			throw methodNotAllowed(method);
		}
		throw noSegment(r[3]);
	}
	if (r.length !== 2) throw noSegment(r[2]);
	const post = (need: Need, run: Plan['run']): Plan => {
		if (method !== 'POST') throw methodNotAllowed(method);
		return { need, run };
	};
	switch (action.toLowerCase()) {
		case 'send':
			return post('readWrite', (c) => sendDraft(c, msg(c)));
		case 'reply':
			return post('send', (c) => replyOrForward(c, msg(c), 'reply'));
		case 'replyall':
			return post('send', (c) => replyOrForward(c, msg(c), 'replyAll'));
		case 'forward':
			return post('send', (c) => replyOrForward(c, msg(c), 'forward'));
		case 'createreply':
			return post('readWrite', (c) => createReplyOrForward(c, msg(c), 'reply'));
		case 'createreplyall':
			return post('readWrite', (c) => createReplyOrForward(c, msg(c), 'replyAll'));
		case 'createforward':
			return post('readWrite', (c) => createReplyOrForward(c, msg(c), 'forward'));
		case 'move':
			return post('readWrite', (c) => moveOrCopy(c, msg(c), 'move'));
		case 'copy':
			return post('readWrite', (c) => moveOrCopy(c, msg(c), 'copy'));
		default:
			throw noSegment(action);
	}
}

function plan(method: string, call: GraphCall, rest: string[]): Plan {
	const head = rest[0]?.toLowerCase();
	if (head === 'sendmail' && rest.length === 1) {
		if (method !== 'POST') throw methodNotAllowed(method);
		return { need: 'send', run: sendMail };
	}
	if (head === 'messages') return messagePlan(method, call, rest.slice(1), () => undefined);
	if (head === 'mailfolders') {
		if (rest.length === 1) {
			if (method === 'GET') return { need: 'readBasic', run: (c) => listFolders(c, undefined) };
			if (method === 'POST') return { need: 'readWrite', run: (c) => createChildFolder(c, undefined) };
			throw methodNotAllowed(method);
		}
		const { refs, after } = folderChain(rest);
		const folderOf = (c: MailboxCall) => resolveChain(c, refs);
		if (after.length === 0) {
			if (method === 'GET') return { need: 'readBasic', run: (c) => getFolder(c, folderOf(c)) };
			throw methodNotAllowed(method);
		}
		const sub = after[0].toLowerCase();
		if (sub === 'childfolders' && after.length === 1) {
			if (method === 'GET') return { need: 'readBasic', run: (c) => listFolders(c, folderOf(c)) };
			if (method === 'POST') return { need: 'readWrite', run: (c) => createChildFolder(c, folderOf(c)) };
			throw methodNotAllowed(method);
		}
		if (sub === 'messages') {
			if (after.length === 2 && after[1].toLowerCase() === 'delta') {
				if (method !== 'GET') throw methodNotAllowed(method);
				return { need: readNeed(call), run: (c) => messagesDelta(c, folderOf(c)) };
			}
			return messagePlan(method, call, after.slice(1), folderOf);
		}
		throw noSegment(after[0]);
	}
	throw noSegment(rest[0] ?? '');
}

function userJson(call: GraphCall, mailbox: Mailbox): EmuResponse {
	return {
		status: 200,
		body: {
			'@odata.context': `${call.baseUrl}/v1.0/$metadata#users/$entity`,
			id: mailbox.id,
			displayName: mailbox.displayName,
			mail: mailbox.upn,
			userPrincipalName: mailbox.upn,
			businessPhones: [],
			givenName: null,
			surname: null,
			jobTitle: null,
			mobilePhone: null,
			officeLocation: null,
			preferredLanguage: null,
		},
	};
}

/** GET /users/{id} is a directory read (User.Read*), not a mailbox one. */
function directoryRead(claims: AccessTokenClaims, mailbox: Mailbox): boolean {
	const roles = claims.roles ?? [];
	if (roles.some((r) => /^(User\.(Read|ReadBasic|ReadWrite)\.All|Directory\.(Read|ReadWrite)\.All)$/.test(r)))
		return true;
	const scopes = String(claims.scp ?? '').split(' ');
	const own = claims.oid === mailbox.id || (!!claims.upn && claims.upn.toLowerCase() === mailbox.upn.toLowerCase());
	if (own && scopes.some((s) => /^User\.(Read|ReadWrite|ReadBasic\.All|Read\.All)/.test(s))) return true;
	return scopes.some((s) => /^(User\.(ReadBasic|Read|ReadWrite)\.All|Directory\.(Read|ReadWrite)\.All)$/.test(s));
}

function faultResponse(ctx: EmulatorContext, err: unknown): EmuResponse {
	if (err instanceof GraphFault) return ctx.graphError(err.status, err.code, err.message, err.headers);
	throw err;
}

export async function handleGraphCall(ctx: EmulatorContext, call: GraphCall): Promise<EmuResponse> {
	call.logTags.kind = 'graph';
	if (call.body.length > MAX_REQUEST_BYTES) {
		return ctx.graphError(
			413,
			'ErrorRequestEntityTooLarge',
			'The request exceeds the maximum supported size of 4 MB. Use an upload session for large attachments.',
		);
	}
	// Sends waiting on Exchange's sending limits go out before anything is read or written.
	flushOutbound(ctx);
	const token = ctx.verifyGraphToken(call.headers.authorization);
	if (!token.ok) return token.response;
	const claims = token.claims;
	call.logTags.appId = claims.appid;
	const method = call.method.toUpperCase();
	const seg = call.segments;
	let mailbox: Mailbox | undefined;
	let rest: string[];
	const head = seg[0]?.toLowerCase();
	if (head === 'users' && seg.length >= 2) {
		mailbox = findMailbox(ctx.state, seg[1]);
		if (!mailbox) return ctx.graphError(404, 'ErrorInvalidUser', `The requested user '${seg[1]}' is invalid.`);
		rest = seg.slice(2);
	} else if (head === 'me') {
		if (claims.idtyp !== 'user')
			return ctx.graphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
		mailbox =
			ctx.state.mailboxes.find((m) => m.id === claims.oid) ??
			(claims.upn ? findMailbox(ctx.state, claims.upn) : undefined);
		if (!mailbox)
			return ctx.graphError(404, 'ErrorInvalidUser', `The requested user '${claims.upn ?? claims.oid}' is invalid.`);
		rest = seg.slice(1);
	} else {
		return ctx.graphError(400, 'BadRequest', `Resource not found for the segment '${seg[0] ?? ''}'.`);
	}
	call.logTags.mailbox = mailbox.upn;
	const refusal = cloudRefusal(ctx, seg, call.query);
	if (refusal) return refusal;
	if (rest.length === 0) {
		if (method !== 'GET')
			return ctx.graphError(405, 'ErrorInvalidRequest', `The HTTP method '${method}' is not allowed on this resource.`);
		if (!directoryRead(claims, mailbox))
			return ctx.graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
		return userJson(call, mailbox);
	}
	let p: Plan;
	try {
		p = plan(method, call, rest);
	} catch (err) {
		return faultResponse(ctx, err);
	}
	const admission = admit(ctx, claims.appid, mailbox.id);
	if (!admission.ok) {
		return ctx.graphError(429, 'ApplicationThrottled', admission.message, {
			'Retry-After': String(admission.retryAfter),
		});
	}
	try {
		await ctx.sleep(ctx.state.settings.latencyMs);
		let basicOnly = false;
		if (p.need === 'readOrBasic') {
			const full = authorizeMailboxAccess(ctx, claims, mailbox, 'read');
			if (!full.allowed) {
				const basic = authorizeMailboxAccess(ctx, claims, mailbox, 'readBasic');
				if (!basic.allowed) return full.response;
				basicOnly = true;
			}
		} else {
			const decision = authorizeMailboxAccess(ctx, claims, mailbox, p.need);
			if (!decision.allowed) return decision.response;
		}
		const mc: MailboxCall = { ...call, ctx, claims, mailbox, store: ctx.ensureStore(mailbox.id), rest, basicOnly };
		try {
			return await p.run(mc);
		} catch (err) {
			return faultResponse(ctx, err);
		}
	} finally {
		admission.release();
	}
}
