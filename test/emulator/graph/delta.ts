/**
 * messages/delta for one folder. State tokens are self-contained (base64url JSON: mailbox, folder, watermarks,
 * cursor, $select, $filter, changeType, reset generation), so the server keeps nothing per token. Every change in a
 * mailbox takes its next version; a round reports what changed between two watermarks, in version order.
 */
import type { EmuResponse } from '../core/context';
import type { MailFolder } from '../core/state';
import type { MailboxCall } from './call';
import { idsFor } from './call';
import { badRequest, GraphFault } from './errors';
import { compileFilter, deltaFilterBound } from './filter';
import { parseSelect, parseTop, preferredBodyType, preferredPageSize } from './query';
import { messageJson } from './serialize';
import { sideOf } from './store';

interface DeltaState {
	m: string; // mailbox id
	f: string; // folder id
	w0: number; // changes with version > w0 (-1: initial sync, current items only)
	w1: number; // ... and <= w1 (0 in a deltaLink: not yet fixed)
	c: number; // cursor within the round: versions <= c were already reported
	r: number; // reset generation when the round started
	s?: string[];
	fl?: { op: 'ge' | 'gt'; at: number };
	ct?: 'created' | 'updated' | 'deleted';
	/** $orderby=receivedDateTime desc: the round is served in that order, paged by offset. */
	o?: 1;
	/** Offset within an ordered round. */
	k?: number;
	/** $expand=attachments */
	x?: 1;
	/** $top (page size when no Prefer: odata.maxpagesize) */
	t?: number;
}

/** Applying $filter returns at most 5,000 messages (Microsoft Learn, "Get incremental changes to messages"). */
const FILTERED_MAX = 5000;

const encode = (s: DeltaState): string => Buffer.from(JSON.stringify(s), 'utf8').toString('base64url');

function decode(token: string): DeltaState | undefined {
	try {
		const s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaState;
		if (typeof s.m !== 'string' || typeof s.f !== 'string' || typeof s.w0 !== 'number' || typeof s.r !== 'number')
			return undefined;
		return s;
	} catch {
		return undefined;
	}
}

function deltaPath(call: MailboxCall, folder: MailFolder): string {
	return `${call.baseUrl}/v1.0/users/${call.mailbox.id}/mailFolders('${folder.id}')/messages/delta`;
}

function restartUrl(call: MailboxCall, folder: MailFolder, s: DeltaState): string {
	const q: string[] = [];
	if (s.s) q.push(`$select=${s.s.join(',')}`);
	if (s.fl) q.push(`$filter=${encodeURIComponent(`receivedDateTime ${s.fl.op} ${new Date(s.fl.at).toISOString()}`)}`);
	if (s.ct) q.push(`changeType=${s.ct}`);
	if (s.o) q.push(`$orderby=${encodeURIComponent('receivedDateTime desc')}`);
	if (s.x) q.push('$expand=attachments');
	if (s.t) q.push(`$top=${s.t}`);
	return deltaPath(call, folder) + (q.length ? `?${q.join('&')}` : '');
}

function freshState(call: MailboxCall, folder: MailFolder): DeltaState {
	const q = call.query;
	// Microsoft Learn (message: delta; "Get incremental changes to messages in a folder"): $select, $top and
	// $expand are supported; $filter only as receivedDateTime ge|gt; $orderby only as receivedDateTime desc;
	// no $search. $skip and $count are not listed (refused here: no source says what Graph does with them).
	for (const key of ['$search', '$skip', '$count']) {
		if (q.has(key))
			throw badRequest(
				`The query parameter '${key}' is not supported with change tracking over the 'Messages' resource.`,
				'ErrorInvalidUrlQuery',
			);
	}
	const rawOrder = q.get('$orderby');
	if (rawOrder !== null && !/^\s*receivedDateTime\s+desc\s*$/i.test(rawOrder)) {
		throw badRequest(
			`The $orderby expression '${rawOrder}' is not supported with change tracking over the 'Messages' resource; only 'receivedDateTime desc' is.`,
			'ErrorInvalidUrlQuery',
		);
	}
	const rawExpand = q.get('$expand');
	if (rawExpand !== null && !/^attachments(\(.*\))?$/i.test(rawExpand.trim())) {
		throw badRequest(
			`Parsing OData Select and Expand failed: Could not find a property named '${rawExpand}' on type 'microsoft.graph.message'.`,
		);
	}
	const top = parseTop(q, call.ctx.state.settings.pageSizeMax);
	const ct = q.get('changeType') ?? undefined;
	if (ct !== undefined && ct !== 'created' && ct !== 'updated' && ct !== 'deleted') {
		throw badRequest(
			`The value '${ct}' is not valid for changeType; use created, updated or deleted.`,
			'ErrorInvalidUrlQuery',
		);
	}
	const rawFilter = q.get('$filter');
	return {
		m: call.mailbox.id,
		f: folder.id,
		w0: -1,
		w1: 0,
		c: -1,
		r: sideOf(call.store).resets.length,
		s: parseSelect(q, 'message'),
		fl: rawFilter !== null ? deltaFilterBound(compileFilter(rawFilter)) : undefined,
		ct,
		...(rawOrder !== null ? { o: 1 as const, k: 0 } : {}),
		...(rawExpand !== null ? { x: 1 as const } : {}),
		...(top !== undefined ? { t: top } : {}),
	};
}

export function messagesDelta(call: MailboxCall, folder: MailFolder): EmuResponse {
	const side = sideOf(call.store);
	const token = call.query.get('$deltatoken') ?? call.query.get('$skiptoken');
	let state: DeltaState;
	if (token === null) {
		state = freshState(call, folder);
	} else {
		const decoded = decode(token);
		if (!decoded || decoded.m !== call.mailbox.id || decoded.f !== folder.id) {
			throw badRequest('The sync state is invalid or belongs to another folder.', 'syncStateInvalid');
		}
		state = decoded;
		const reset = side.resets.find((r) => r.seq > state.r && (!r.folderId || r.folderId === folder.id));
		if (reset?.mode === '410') {
			throw new GraphFault(
				410,
				'resyncRequired',
				'The sync state is no longer valid. Restart synchronization from the URL in the Location header.',
				{
					Location: restartUrl(call, folder, state),
				},
			);
		}
		if (reset || (state.w0 >= 0 && state.w0 < side.tombstoneFloor)) {
			throw badRequest(
				'The sync state could not be found. Start a new synchronization without a state token.',
				'syncStateNotFound',
			);
		}
	}
	if (state.w1 === 0) {
		state.w1 = call.store.version;
		state.c = state.w0;
	}
	const { w0, w1, c } = state;
	const initial = w0 < 0;
	type Change = { version: number; json: Record<string, unknown>; received?: string };
	const changes: Change[] = [];
	const bodyType = preferredBodyType(call.headers.prefer);
	const idOf = idsFor(call);
	const view = { idOf, select: state.s, bodyType, withoutBody: call.basicOnly, expandAttachments: !!state.x };
	if (state.ct !== 'deleted') {
		for (const m of call.store.messages.values()) {
			if (m.folderId !== folder.id) continue;
			// With changeType=created a message belongs to the round in which it was created, even when it was
			// modified after the round began (as Exchange reports it); other changes belong to their latest version.
			const key = state.ct === 'created' ? (side.createdVersion.get(m.id) ?? m.version) : m.version;
			if (key > w1 || key <= c || key <= w0) continue;
			if (state.fl) {
				const at = Date.parse(m.receivedDateTime);
				if (state.fl.op === 'ge' ? at < state.fl.at : at <= state.fl.at) continue;
			}
			if (state.ct === 'updated') {
				if (initial || (side.createdVersion.get(m.id) ?? 0) > w0) continue;
			}
			changes.push({ version: key, json: messageJson(m, view), received: m.receivedDateTime });
		}
	}
	if (!initial && state.ct === 'created' && side.createdExtras !== 'none') {
		// Graph's delta tracks the folder as a whole and does not filter every other change out: a created round
		// also reports read-state changes of messages that were already there, and @removed entries (Microsoft's
		// note on message: delta, microsoft-graph-docs-contrib PR #9760). 'all' reports every update (flags,
		// categories, edits), which no source confirms or rules out.
		for (const m of call.store.messages.values()) {
			if (m.folderId !== folder.id) continue;
			const created = side.createdVersion.get(m.id) ?? m.version;
			if (created > w0) continue; // new in this round: already reported above
			const version = side.createdExtras === 'all' ? m.version : (side.readChanged.get(m.id) ?? -1);
			if (version > w1 || version <= c || version <= w0) continue;
			const json = side.partialExtras
				? { '@odata.type': '#microsoft.graph.message', id: idOf(m.id), isRead: m.isRead, parentFolderId: m.folderId }
				: messageJson(m, view);
			changes.push({ version, json, received: m.receivedDateTime });
		}
	}
	if (!initial && (!state.ct || state.ct === 'deleted' || (state.ct === 'created' && side.createdExtras !== 'none'))) {
		for (const t of call.store.tombstones) {
			if (t.folderId !== folder.id || t.version > w1 || t.version <= c || t.version <= w0) continue;
			changes.push({
				version: t.version,
				json: { '@odata.type': '#microsoft.graph.message', id: idOf(t.id), '@removed': { reason: 'deleted' } },
			});
		}
	}
	changes.sort((a, b) => a.version - b.version);
	if (state.o) {
		// Newest received first; removals have no date and come last.
		changes.sort((a, b) => String(b.received ?? '').localeCompare(String(a.received ?? '')) || b.version - a.version);
	}
	if (state.fl && initial && changes.length > FILTERED_MAX) changes.splice(FILTERED_MAX);
	const preferred = preferredPageSize(call.headers.prefer);
	const settings = call.ctx.state.settings;
	const pageSize = Math.min(preferred ?? state.t ?? settings.deltaPageSizeDefault, settings.pageSizeMax);
	const offset = state.o ? (state.k ?? 0) : 0;
	const page = changes.slice(offset, offset + pageSize);
	const more = changes.length > offset + pageSize;
	const body: Record<string, unknown> = {
		'@odata.context': `${call.baseUrl}/v1.0/$metadata#Collection(message)`,
		value: page.map((x) => x.json),
	};
	if (more) {
		const next = state.o ? { ...state, k: offset + pageSize } : { ...state, c: page[page.length - 1].version };
		body['@odata.nextLink'] = `${deltaPath(call, folder)}?$skiptoken=${encode(next)}`;
	} else {
		const done = { ...state, w0: w1, w1: 0, c: w1, r: side.resets.length, ...(state.o ? { k: 0 } : {}) };
		body['@odata.deltaLink'] = `${deltaPath(call, folder)}?$deltatoken=${encode(done)}`;
	}
	const headers: Record<string, string> = {};
	if (preferred !== undefined) headers['Preference-Applied'] = `odata.maxpagesize=${pageSize}`;
	return { status: 200, headers, body };
}
