/** $select/$top/$skip/$orderby/$search/$count for message lists, and the Graph rules that tie them together. */
import type { StoredMessage } from '../core/state';
import { badRequest } from './errors';
import { compileFilter, SORTABLE, type CompiledFilter } from './filter';
import { BODY_PROPERTIES, FOLDER_PROPERTIES, MESSAGE_PROPERTIES } from './serialize';

export interface ListOptions {
	select?: string[];
	filter?: CompiledFilter;
	orderby: Array<{ prop: string; desc: boolean }>;
	search?: string;
	top?: number;
	skip: number;
	count: boolean;
	expandAttachments: boolean;
}

const KNOWN = new Set([
	'$select',
	'$filter',
	'$orderby',
	'$search',
	'$top',
	'$skip',
	'$count',
	'$expand',
	'$skiptoken',
	'$deltatoken',
	'changeType',
	'$format',
]);

export function parseSelect(q: URLSearchParams, type: 'message' | 'mailFolder'): string[] | undefined {
	const raw = q.get('$select');
	if (raw === null) return undefined;
	const allowed = type === 'message' ? MESSAGE_PROPERTIES : FOLDER_PROPERTIES;
	const out: string[] = [];
	for (const part of raw
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean)) {
		const name = allowed.find((p) => p.toLowerCase() === part.toLowerCase());
		if (!name)
			throw badRequest(
				`Could not find a property named '${part}' on type 'microsoft.graph.${type}'.`,
				'RequestBroker--ParseUri',
			);
		if (!out.includes(name)) out.push(name);
	}
	return out;
}

export function parseTop(q: URLSearchParams, max: number): number | undefined {
	const raw = q.get('$top');
	if (raw === null) return undefined;
	if (!/^\d+$/.test(raw.trim()))
		throw badRequest(
			`Invalid value '${raw}' for $top query option found. The $top query option requires a non-negative integer value.`,
		);
	const n = Number(raw);
	if (n > max)
		throw badRequest(
			`The limit of '${max}' for Top query has been exceeded. The value from the incoming request is '${n}'.`,
		);
	if (n < 1) throw badRequest(`Invalid value '${raw}' for $top query option found.`);
	return n;
}

export function parseListOptions(q: URLSearchParams, maxTop: number): ListOptions {
	for (const key of q.keys()) {
		if (key.startsWith('$') && !KNOWN.has(key))
			throw badRequest(
				`Query option '${key}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`,
			);
	}
	const select = parseSelect(q, 'message');
	const rawFilter = q.get('$filter');
	const filter = rawFilter !== null ? compileFilter(rawFilter) : undefined;
	const orderby: ListOptions['orderby'] = [];
	const rawOrder = q.get('$orderby');
	if (rawOrder !== null) {
		for (const part of rawOrder
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean)) {
			const [name, dir, extra] = part.split(/\s+/);
			const prop = Object.keys(SORTABLE).find((p) => p.toLowerCase() === name.toLowerCase());
			if (!prop)
				throw badRequest(`Could not find a property named '${name.split('/')[0]}' on type 'microsoft.graph.message'.`);
			if (extra || (dir && !/^(asc|desc)$/i.test(dir)))
				throw badRequest(`Syntax error at position ${part.length} in '${rawOrder}'.`);
			orderby.push({ prop, desc: /^desc$/i.test(dir ?? '') });
		}
	}
	let search: string | undefined;
	const rawSearch = q.get('$search');
	if (rawSearch !== null) {
		const m = /^"(.*)"$/s.exec(rawSearch.trim());
		search = (m ? m[1] : rawSearch).trim();
		if (rawOrder !== null)
			throw badRequest("The query parameter '$orderBy' is not supported with '$search'.", 'ErrorInvalidUrlQuery');
		if (rawFilter !== null)
			throw badRequest("The query parameter '$filter' is not supported with '$search'.", 'ErrorInvalidUrlQuery');
	}
	if (filter && orderby.length) {
		// Exchange serves $filter+$orderby only when the sort properties lead the filter, in the same order.
		const lead = filter.properties.slice(0, orderby.length);
		if (orderby.some((o, i) => lead[i] !== o.prop)) {
			throw badRequest('The restriction or sort order is too complex for this operation.', 'InefficientFilter');
		}
	}
	const rawSkip = q.get('$skip');
	if (rawSkip !== null && !/^\d+$/.test(rawSkip))
		throw badRequest(
			`Invalid value '${rawSkip}' for $skip query option found. The $skip query option requires a non-negative integer value.`,
		);
	if (rawSkip !== null && search !== undefined)
		throw badRequest("The query parameter '$skip' is not supported with '$search'.", 'ErrorInvalidUrlQuery');
	const skipToken = q.get('$skiptoken');
	let skip = rawSkip !== null ? Number(rawSkip) : 0;
	if (skipToken !== null) {
		const n = Number(
			Buffer.from(skipToken, 'base64url')
				.toString('utf8')
				.replace(/^skip:/, ''),
		);
		if (!Number.isInteger(n) || n < 0) throw badRequest('The $skiptoken is invalid.');
		skip = n;
	}
	const rawCount = q.get('$count');
	if (rawCount !== null && !/^(true|false)$/i.test(rawCount))
		throw badRequest(`'${rawCount}' is not a valid count option.`);
	const expand = q.get('$expand');
	if (expand !== null && !/^attachments(\(.*\))?$/i.test(expand.trim())) {
		throw badRequest(
			`Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.message'.`,
		);
	}
	return {
		select,
		filter,
		orderby,
		search,
		top: parseTop(q, maxTop),
		skip,
		count: /^true$/i.test(rawCount ?? ''),
		expandAttachments: expand !== null,
	};
}

/** Whether the request reads content beyond Mail.ReadBasic (body, preview, attachments), or may (no $select). */
export function needsBody(opts: {
	select?: string[];
	expandAttachments?: boolean;
	search?: string;
}): 'yes' | 'no' | 'unless-basic' {
	if (opts.expandAttachments) return 'yes';
	if (opts.select) return opts.select.some((s) => BODY_PROPERTIES.has(s)) ? 'yes' : 'no';
	return 'unless-basic';
}

function searchText(m: StoredMessage): string {
	return `${m.subject}\n${m.body}\n${m.from?.address ?? ''}\n${m.from?.name ?? ''}`.toLowerCase();
}

/** Filters and sorts. Default order: newest received first; ties broken by arrival order so pages are stable. */
export function applyList(messages: StoredMessage[], opts: ListOptions): StoredMessage[] {
	let out = messages;
	if (opts.filter) out = out.filter((m) => opts.filter!.test(m));
	if (opts.search !== undefined) {
		const terms = opts.search.toLowerCase().split(/\s+/).filter(Boolean);
		out = out.filter((m) => {
			const text = searchText(m);
			return terms.every((t) => text.includes(t.replace(/^(subject|from|body):/, '')));
		});
	}
	const order = opts.orderby.length ? opts.orderby : [{ prop: 'receivedDateTime', desc: true }];
	return [...out].sort((a, b) => {
		for (const o of order) {
			const x = SORTABLE[o.prop](a);
			const y = SORTABLE[o.prop](b);
			if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1);
		}
		return b.version - a.version;
	});
}

export function encodeSkipToken(n: number): string {
	return Buffer.from(`skip:${n}`, 'utf8').toString('base64url');
}

/** `odata.maxpagesize=N` from a Prefer header, if any. */
export function preferredPageSize(prefer: string | undefined): number | undefined {
	const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer ?? '');
	return m ? Math.max(1, Number(m[1])) : undefined;
}

export function preferredBodyType(prefer: string | undefined): 'text' | 'html' | undefined {
	const m = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer ?? '');
	return m ? (m[1].toLowerCase() as 'text' | 'html') : undefined;
}

/** `Prefer: IdType="ImmutableId"` (alone or among other preferences): ids in the response are immutable ids. */
export function prefersImmutableIds(prefer: string | undefined): boolean {
	return /\bIdType\s*=\s*"?ImmutableId"?/i.test(prefer ?? '');
}
