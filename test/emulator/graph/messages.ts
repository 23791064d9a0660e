/** Message list, get, PATCH, move/copy, DELETE and attachment reads. */
import type { EmuResponse } from '../core/context';
import type { MailFolder, StoredMessage } from '../core/state';
import { idsFor, jsonBody, odataContext, queryString, type MailboxCall } from './call';
import { badRequest, GraphFault, notFound } from './errors';
import {
	applyList,
	encodeSkipToken,
	parseListOptions,
	parseSelect,
	preferredBodyType,
	preferredPageSize,
} from './query';
import { attachmentJson, messageJson, recipientFromJson } from './serialize';
import {
	copyMessage,
	findFolder,
	lookupMessage,
	messagesIn,
	moveMessage,
	removeMessage,
	touch,
	wellKnown,
} from './store';

export function folderContext(folder: MailFolder | undefined): string {
	return folder ? `mailFolders('${folder.wellKnownName ?? folder.id}')/messages` : 'messages';
}

export function findMessage(call: MailboxCall, id: string, folder?: MailFolder): StoredMessage {
	// Either id format is accepted; a REST id from before a move names nothing (404 ErrorItemNotFound).
	const msg = lookupMessage(call.store, id);
	if (!msg || (folder && msg.folderId !== folder.id)) throw notFound();
	return msg;
}

export function listMessages(call: MailboxCall, folder: MailFolder | undefined): EmuResponse {
	const settings = call.ctx.state.settings;
	const opts = parseListOptions(call.query, settings.pageSizeMax);
	const preferred = preferredPageSize(call.headers.prefer);
	const pageSize = opts.top ?? Math.min(preferred ?? settings.pageSizeDefault, settings.pageSizeMax);
	const all = applyList(messagesIn(call.store, folder?.id), opts);
	const page = all.slice(opts.skip, opts.skip + pageSize);
	const bodyType = preferredBodyType(call.headers.prefer);
	const ctxTail = folderContext(folder) + (opts.select ? `(${opts.select.join(',')})` : '');
	const body: Record<string, unknown> = { '@odata.context': odataContext(call, ctxTail) };
	if (opts.count) body['@odata.count'] = all.length;
	const idOf = idsFor(call);
	body.value = page.map((m) =>
		messageJson(m, {
			idOf,
			select: opts.select,
			bodyType,
			expandAttachments: opts.expandAttachments,
			withoutBody: call.basicOnly,
		}),
	);
	if (opts.skip + pageSize < all.length) {
		const next = [...call.query.entries()].filter(([k]) => k !== '$skip' && k !== '$skiptoken');
		if (opts.search !== undefined) next.push(['$skiptoken', encodeSkipToken(opts.skip + pageSize)]);
		else next.push(['$skip', String(opts.skip + pageSize)]);
		body['@odata.nextLink'] = `${call.baseUrl}${call.rawPath}?${queryString(next)}`;
	}
	const headers: Record<string, string> = {};
	const applied = [
		preferred !== undefined && opts.top === undefined ? `odata.maxpagesize=${pageSize}` : '',
		bodyType ? `outlook.body-content-type="${bodyType}"` : '',
	]
		.filter(Boolean)
		.join(', ');
	if (applied) headers['Preference-Applied'] = applied;
	return { status: 200, headers, body };
}

export function getMessage(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const select = parseSelect(call.query, 'message');
	const expand = call.query.get('$expand');
	if (expand !== null && !/^attachments(\(.*\))?$/i.test(expand.trim())) {
		throw badRequest(
			`Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.message'.`,
		);
	}
	const bodyType = preferredBodyType(call.headers.prefer);
	const json = messageJson(msg, {
		idOf: idsFor(call),
		select,
		bodyType,
		expandAttachments: expand !== null,
		withoutBody: call.basicOnly,
	});
	const headers: Record<string, string> = bodyType
		? { 'Preference-Applied': `outlook.body-content-type="${bodyType}"` }
		: {};
	return { status: 200, headers, body: { '@odata.context': odataContext(call, 'messages/$entity'), ...json } };
}

const typeError = (edm: string): GraphFault =>
	badRequest(
		`Cannot convert a primitive value to the expected type '${edm}'. See the inner exception for more details.`,
		'RequestBodyRead',
	);

function recipients(v: unknown, name: string): StoredMessage['toRecipients'] {
	if (!Array.isArray(v))
		throw badRequest(`Invalid value for '${name}': a collection of recipients is expected.`, 'RequestBodyRead');
	return v.map((r) => {
		const rec = recipientFromJson(r);
		if (!rec)
			throw badRequest(`Invalid recipient in '${name}': emailAddress.address is required.`, 'ErrorInvalidRecipients');
		return rec;
	});
}

const ALWAYS = new Set(['isRead', 'categories', 'flag', 'importance', 'inferenceClassification']);
const DRAFT_ONLY = new Set([
	'subject',
	'body',
	'toRecipients',
	'ccRecipients',
	'bccRecipients',
	'replyTo',
	'from',
	'sender',
	'internetMessageHeaders',
]);

export function applyPatch(msg: StoredMessage, patch: Record<string, unknown>): void {
	for (const [key, value] of Object.entries(patch)) {
		if (key.startsWith('@odata.')) continue;
		if (!ALWAYS.has(key) && !DRAFT_ONLY.has(key)) {
			throw badRequest(
				`The property '${key}' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
				'RequestBodyRead',
			);
		}
		if (DRAFT_ONLY.has(key) && !msg.isDraft) {
			throw badRequest(
				`The property '${key}' can only be updated on a draft message.`,
				'ErrorInvalidPropertyUpdateSentMessage',
			);
		}
		switch (key) {
			case 'isRead':
				if (typeof value !== 'boolean') throw typeError('Edm.Boolean');
				msg.isRead = value;
				break;
			case 'categories':
				if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw typeError('Edm.String');
				msg.categories = [...(value as string[])];
				break;
			case 'flag': {
				const status = (value as { flagStatus?: unknown } | null)?.flagStatus;
				if (status !== 'notFlagged' && status !== 'flagged' && status !== 'complete')
					throw badRequest(
						`The string '${String(status)}' is not a valid enumeration type constant.`,
						'RequestBodyRead',
					);
				msg.flag = { flagStatus: status };
				break;
			}
			case 'importance':
				if (value !== 'low' && value !== 'normal' && value !== 'high')
					throw badRequest(
						`The string '${String(value)}' is not a valid enumeration type constant.`,
						'RequestBodyRead',
					);
				msg.importance = value;
				break;
			case 'inferenceClassification':
				break;
			case 'subject':
				if (typeof value !== 'string') throw typeError('Edm.String');
				msg.subject = value;
				break;
			case 'body': {
				const b = value as { contentType?: unknown; content?: unknown } | null;
				if (!b || typeof b.content !== 'string') throw typeError('Edm.String');
				msg.body = b.content;
				msg.bodyType = String(b.contentType ?? 'text').toLowerCase() === 'html' ? 'html' : 'text';
				break;
			}
			case 'toRecipients':
			case 'ccRecipients':
			case 'bccRecipients':
			case 'replyTo':
				msg[key] = recipients(value, key);
				break;
			case 'from':
			case 'sender':
				msg[key] = recipientFromJson(value);
				break;
			case 'internetMessageHeaders':
				msg.internetMessageHeaders = validHeaders(value);
				break;
		}
	}
}

/** Graph accepts only custom `X-` headers on messages it sends. */
export function validHeaders(v: unknown): StoredMessage['internetMessageHeaders'] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v)) throw badRequest('internetMessageHeaders must be a collection.', 'RequestBodyRead');
	return v.map((h) => {
		const name = (h as { name?: unknown })?.name;
		const value = (h as { value?: unknown })?.value;
		if (typeof name !== 'string' || typeof value !== 'string')
			throw badRequest('Each internet message header needs a name and a value.', 'InvalidInternetMessageHeader');
		if (!/^x-/i.test(name)) {
			throw badRequest(
				`The internet message header name '${name}' should start with 'x-' or 'X-'.`,
				'InvalidInternetMessageHeader',
			);
		}
		return { name, value };
	});
}

export function patchMessage(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const patch = jsonBody<Record<string, unknown>>(call);
	const wasRead = msg.isRead;
	applyPatch(msg, patch);
	const readStateChanged = wasRead !== msg.isRead;
	const keys = Object.keys(patch).filter((k) => !k.startsWith('@odata.'));
	touch(call.ctx, call.store, msg, { readStateChanged, readStateOnly: keys.length === 1 && keys[0] === 'isRead' });
	return {
		status: 200,
		body: { '@odata.context': odataContext(call, 'messages/$entity'), ...messageJson(msg, { idOf: idsFor(call) }) },
	};
}

export function destinationFolder(call: MailboxCall): MailFolder {
	const dest = jsonBody<{ destinationId?: unknown }>(call).destinationId;
	if (typeof dest !== 'string' || !dest)
		throw badRequest("The parameter 'destinationId' is required.", 'ErrorInvalidParameter');
	const folder = findFolder(call.store, dest);
	if (!folder) throw notFound();
	return folder;
}

export function moveOrCopy(call: MailboxCall, msg: StoredMessage, action: 'move' | 'copy'): EmuResponse {
	const folder = destinationFolder(call);
	const result =
		action === 'move' ? moveMessage(call.store, msg, folder.id) : copyMessage(call.ctx, call.store, msg, folder.id);
	return {
		status: 201,
		body: { '@odata.context': odataContext(call, 'messages/$entity'), ...messageJson(result, { idOf: idsFor(call) }) },
	};
}

/** Graph's DELETE moves the item to Deleted Items (a new id there); from Deleted Items it is gone. */
export function deleteMessage(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const deleted = wellKnown(call.store, 'deleteditems');
	if (msg.folderId === deleted.id) removeMessage(call.store, msg);
	else moveMessage(call.store, msg, deleted.id);
	return { status: 204 };
}

export function listAttachments(call: MailboxCall, msg: StoredMessage): EmuResponse {
	const raw = call.query.get('$select');
	const select = raw
		?.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	const value = msg.attachments.map((a) => {
		const full = attachmentJson(a, true);
		if (!select) return full;
		const out: Record<string, unknown> = { '@odata.type': full['@odata.type'], id: a.id };
		for (const s of select) {
			if (!(s in full))
				throw badRequest(
					`Could not find a property named '${s}' on type 'microsoft.graph.attachment'.`,
					'RequestBroker--ParseUri',
				);
			out[s] = full[s];
		}
		return out;
	});
	return { status: 200, body: { '@odata.context': odataContext(call, `messages('${msg.id}')/attachments`), value } };
}

export function findAttachment(msg: StoredMessage, id: string): StoredMessage['attachments'][number] {
	const a = msg.attachments.find((x) => x.id === id);
	if (!a) throw notFound();
	return a;
}

export function getAttachment(call: MailboxCall, msg: StoredMessage, id: string, raw: boolean): EmuResponse {
	const a = findAttachment(msg, id);
	if (raw) return { status: 200, headers: { 'Content-Type': a.contentType }, body: a.content };
	return {
		status: 200,
		body: {
			'@odata.context': odataContext(call, `messages('${msg.id}')/attachments/$entity`),
			...attachmentJson(a, true),
		},
	};
}

export function deleteAttachment(call: MailboxCall, msg: StoredMessage, id: string): EmuResponse {
	findAttachment(msg, id);
	msg.attachments = msg.attachments.filter((a) => a.id !== id);
	touch(call.ctx, call.store, msg);
	return { status: 204 };
}
