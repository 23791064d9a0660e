/** The request as the Graph handlers see it: one type for direct requests and for $batch's inner requests. */
import type { AccessTokenClaims, EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import type { Mailbox, MailboxStore } from '../core/state';
import { badRequest } from './errors';
import { prefersImmutableIds } from './query';
import { idFormatter } from './store';

export interface GraphCall {
	method: string;
	/** Percent-decoded path segments after the version, OData keys split out: users('a') -> users, a. */
	segments: string[];
	query: URLSearchParams;
	headers: Record<string, string | undefined>;
	body: Buffer;
	/** Absolute base of the server, e.g. https://127.0.0.1:4443 */
	baseUrl: string;
	/** The request path as received, still encoded, version included (for nextLinks). */
	rawPath: string;
	logTags: EmuRequest['logTags'];
}

export interface MailboxCall extends GraphCall {
	ctx: EmulatorContext;
	claims: AccessTokenClaims;
	mailbox: Mailbox;
	store: MailboxStore;
	/** Segments after users/{id} (or me). */
	rest: string[];
	/** Mail.ReadBasic only: body and preview are left out of message JSON. */
	basicOnly: boolean;
}

export function jsonBody<T = Record<string, unknown>>(call: GraphCall): T {
	if (!call.body.length) return {} as T;
	try {
		const v = JSON.parse(call.body.toString('utf8'));
		if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
		return v as T;
	} catch {
		throw badRequest(
			'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
			'BadRequest',
		);
	}
}

/** `https://host/v1.0/$metadata#users('id')/...` */
export function odataContext(call: MailboxCall, tail: string): string {
	return `${call.baseUrl}/v1.0/$metadata#users('${encodeURIComponent(call.mailbox.id)}')/${tail}`;
}

/** Splits an encoded path into decoded segments, with OData key syntax `name('key')` split into two. */
export function splitPath(rawPath: string): string[] {
	const out: string[] = [];
	for (const raw of rawPath.split('/').filter(Boolean)) {
		let seg: string;
		try {
			seg = decodeURIComponent(raw);
		} catch {
			seg = raw;
		}
		const key = /^([A-Za-z]+)\('(.*)'\)$/s.exec(seg) ?? /^([A-Za-z]+)\((.*)\)$/s.exec(seg);
		if (key) out.push(key[1], key[2].replace(/''/g, "'"));
		else out.push(seg);
	}
	return out;
}

/** Builds a query string Graph-style: `%24top=10&%24skip=10`. */
export function queryString(q: URLSearchParams | Array<[string, string]>): string {
	const pairs = Array.isArray(q) ? q : [...q.entries()];
	return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export function noContent(status: number, headers?: Record<string, string>): EmuResponse {
	return { status, headers };
}

/** Formats message ids the way this request asked for (REST ids, or immutable ids with the Prefer header). */
export function idsFor(call: MailboxCall): (restId: string) => string {
	return idFormatter(call.store, prefersImmutableIds(call.headers.prefer));
}
