/**
 * messages/delta for one folder. State tokens are self-contained (base64url JSON: mailbox, folder, watermarks,
 * cursor, $select, $filter, changeType, reset generation), so the server keeps nothing per token. Every change in a
 * mailbox takes its next version; a round reports what changed between two watermarks, in version order.
 */
import type { EmuResponse } from '../core/context';
import type { MailFolder } from '../core/state';
import type { MailboxCall } from './call';
import { badRequest, GraphFault } from './errors';
import { compileFilter, deltaFilterBound } from './filter';
import { parseSelect, preferredBodyType, preferredPageSize } from './query';
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
}

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
	return deltaPath(call, folder) + (q.length ? `?${q.join('&')}` : '');
}

function freshState(call: MailboxCall, folder: MailFolder): DeltaState {
	const q = call.query;
	for (const key of ['$orderby', '$search', '$skip', '$count', '$expand']) {
		if (q.has(key))
			throw badRequest(
				`The query parameter '${key}' is not supported with change tracking over the 'Messages' resource.`,
				'ErrorInvalidUrlQuery',
			);
	}
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
	type Change = { version: number; json: Record<string, unknown> };
	const changes: Change[] = [];
	const bodyType = preferredBodyType(call.headers.prefer);
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
			changes.push({ version: key, json: messageJson(m, { select: state.s, bodyType, withoutBody: call.basicOnly }) });
		}
	}
	if (!initial && (!state.ct || state.ct === 'deleted')) {
		for (const t of call.store.tombstones) {
			if (t.folderId !== folder.id || t.version > w1 || t.version <= c || t.version <= w0) continue;
			changes.push({
				version: t.version,
				json: { '@odata.type': '#microsoft.graph.message', id: t.id, '@removed': { reason: 'deleted' } },
			});
		}
	}
	changes.sort((a, b) => a.version - b.version);
	const preferred = preferredPageSize(call.headers.prefer);
	const settings = call.ctx.state.settings;
	const pageSize = Math.min(preferred ?? settings.deltaPageSizeDefault, settings.pageSizeMax);
	const page = changes.slice(0, pageSize);
	const body: Record<string, unknown> = {
		'@odata.context': `${call.baseUrl}/v1.0/$metadata#Collection(message)`,
		value: page.map((x) => x.json),
	};
	if (changes.length > pageSize) {
		body['@odata.nextLink'] =
			`${deltaPath(call, folder)}?$skiptoken=${encode({ ...state, c: page[page.length - 1].version })}`;
	} else {
		body['@odata.deltaLink'] =
			`${deltaPath(call, folder)}?$deltatoken=${encode({ ...state, w0: w1, w1: 0, c: w1, r: side.resets.length })}`;
	}
	const headers: Record<string, string> = {};
	if (preferred !== undefined) headers['Preference-Applied'] = `odata.maxpagesize=${pageSize}`;
	return { status: 200, headers, body };
}
