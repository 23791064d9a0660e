/**
 * JSON $batch: up to 20 requests per POST. Built by hand rather than with the Graph client's
 * BatchRequestContent, which takes fetch Request objects with absolute URLs and keeps everything after the host:
 * with a Graph base URL that has a path (a gateway, a custom endpoint) that path would end up in the inner url
 * (test/emulator/graph.batch-shapes.test.ts). The library is the tests' judge of the shapes sent instead.
 */
import type { IDataObject, IHttpRequestMethods, NodeApiError } from 'n8n-workflow';

import { credentialTypeOf, identityOf } from './endpoint';
import { httpError } from './errors';
import { headerRecord, withDefaultGraphHeaders } from './headers';
import type { GraphContext } from './http';
import { MAILBOX_CONCURRENCY } from './limits';
import { normaliseMailbox } from './paths';
import { graphRequest } from './request';
import { decideOnBatchRound, isThrottled, newRetryState, parseRetryAfter, retrying, type BatchRound } from './retry';

export const BATCH_MAX = 20;

export interface BatchRequest {
	/** Unique within the call; default: its index as a string. */
	id?: string;
	method: IHttpRequestMethods;
	/** Relative to the version root: '/users/a%40b.com/messages/...' (build it with userPath/messagePath). */
	url: string;
	body?: IDataObject;
	headers?: IDataObject;
	/** Item the request belongs to, for error messages. */
	itemIndex?: number;
}

export interface BatchResult {
	id: string;
	status: number;
	headers: IDataObject;
	body: unknown;
	/** For status >= 400: the mapped error (not thrown), for the operation to output or throw per item. */
	error?: NodeApiError;
}

export interface BatchOptions {
	/** Requests to one mailbox (the one Exchange's 4 slots are counted for). */
	requests: BatchRequest[];
	mailbox?: string;
	/** Retries of inner requests Graph throttled (429 / 503 with Retry-After). */
	maxThrottleRetries?: number;
	/** $batch calls in flight at once, each running one inner request at a time (default 4, Exchange's limit). */
	lanesPerMailbox?: number;
}

type Identified = BatchRequest & { id: string };

/**
 * Cuts the requests into chains for Graph's sequential shape: as many chains as keep `lanes` $batch calls busy
 * (a multiple of `lanes`), of even length, at most 20 each, in request order.
 */
export function planChains<T>(requests: T[], lanes = MAILBOX_CONCURRENCY): T[][] {
	if (!requests.length) return [];
	const width = Math.max(1, lanes);
	const chains = Math.min(
		requests.length,
		Math.ceil(Math.max(width, Math.ceil(requests.length / BATCH_MAX)) / width) * width,
	);
	const length = Math.ceil(requests.length / chains);
	const out: T[][] = [];
	for (let start = 0; start < requests.length; start += length) out.push(requests.slice(start, start + length));
	return out;
}

/**
 * Graph accepts three dependency shapes only (parallel, sequential, all on one); anything else is refused as a
 * whole. A parallel batch to one mailbox would run 20 requests against Exchange's 4 slots and mostly come back
 * 429, so each batch is one sequential chain: each request depends on the one before it, one runs at a time,
 * and 4 batches in flight fill the mailbox's 4 slots.
 */
export function wireChain(chain: Identified[]): { requests: IDataObject[] } {
	return {
		requests: chain.map((request, position) => {
			const headers: IDataObject = withDefaultGraphHeaders(request.headers);
			if (request.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
				headers['Content-Type'] = 'application/json';
			}
			return {
				id: request.id,
				method: request.method,
				url: request.url,
				...(Object.keys(headers).length ? { headers } : {}),
				...(request.body !== undefined ? { body: request.body } : {}),
				...(position > 0 ? { dependsOn: [chain[position - 1].id] } : {}),
			};
		}),
	};
}

function mailboxOfUrl(url: string): string {
	const match = /^\/?users(?:\/([^/?]+)|\('([^']*)'\))/i.exec(url);
	return decodeURIComponent(match?.[1] ?? match?.[2] ?? '').toLowerCase();
}

type InnerResponse = { id: string; status: number; headers?: IDataObject; body?: unknown };

/**
 * Sends one mailbox's requests as sequential $batch chains, `lanes` at a time, and sends again what did not run:
 * inner requests Graph throttled (after the longest Retry-After) and requests that got 424 because the one
 * before them in the chain failed (that link is ours, not the caller's).
 */
export async function graphBatch(this: GraphContext, options: BatchOptions): Promise<BatchResult[]> {
	const requests: Identified[] = options.requests.map((r, i) => ({ ...r, id: r.id ?? String(i) }));
	const ids = new Set<string>();
	for (const r of requests) {
		if (ids.has(r.id)) throw new Error(`Duplicate $batch request id "${r.id}"`);
		ids.add(r.id);
	}
	const mailbox = options.mailbox !== undefined ? normaliseMailbox(options.mailbox) : undefined;
	const lanes = Math.max(1, options.lanesPerMailbox ?? MAILBOX_CONCURRENCY);
	const results = new Map<string, BatchResult>();
	const order = new Map(requests.map((r, i) => [r.id, i]));
	// The outer POSTs are graphRequests with their own retries; this state counts the rounds of inner requests.
	const state = newRetryState({
		idempotent: false,
		policy: options.maxThrottleRetries !== undefined ? { maxThrottleRetries: options.maxThrottleRetries } : {},
		signal: this.getExecutionCancelSignal?.(),
	});

	const send = async (chain: Identified[]) =>
		(await graphRequest.call(this, {
			method: 'POST',
			path: '/$batch',
			body: wireChain(chain),
			mailbox,
			idempotent: chain.every((r) => r.method === 'GET'),
		})) as { responses?: InnerResponse[] };

	let todo = requests;
	let first = true;
	const round = async (): Promise<BatchRound> => {
		// The first request of an execution goes alone (FirstRequestGate in limits.ts, for an expired token): a
		// whole chain there would keep the other lanes waiting for up to 20 requests, so that call carries one.
		const chains =
			first && todo.length > 1 ? [todo.slice(0, 1), ...planChains(todo.slice(1), lanes)] : planChains(todo, lanes);
		first = false;
		const answers: Array<{ chain: Identified[]; answer: { responses?: InnerResponse[] } }> = [];
		let next = 0;
		// The outer POST holds one of the mailbox's slots (graphRequest), so `lanes` chains run at once at most.
		await Promise.all(
			Array.from({ length: Math.min(lanes, chains.length) }, async () => {
				while (next < chains.length) {
					const chain = chains[next++];
					answers.push({ chain, answer: await send(chain) });
				}
			}),
		);
		const again: Identified[] = [];
		let throttledWaitMs: number | undefined;
		for (const { chain, answer } of answers) {
			const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
			for (const request of chain) {
				const response = byId.get(request.id);
				if (!response) continue;
				const headers = response.headers ?? {};
				const retryAfterMs = parseRetryAfter(headerRecord(headers)['retry-after']);
				if (isThrottled(response.status, retryAfterMs) && state.throttleRetries < state.policy.maxThrottleRetries) {
					throttledWaitMs = Math.max(throttledWaitMs ?? 0, retryAfterMs ?? 1000);
					again.push(request);
					continue;
				}
				if (response.status === 424) {
					again.push(request);
					continue;
				}
				results.set(request.id, { id: request.id, status: response.status, headers, body: response.body });
			}
		}
		const sent = todo.length;
		todo = again.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
		return { again: again.length, sent, throttledWaitMs };
	};
	await retrying(state, round, decideOnBatchRound);

	let identity: string | undefined;
	const ordered: BatchResult[] = [];
	for (const request of requests) {
		const result = results.get(request.id) ?? {
			id: request.id,
			status: 429,
			headers: {},
			body: { error: { code: 'ApplicationThrottled', message: 'Throttled by Microsoft Graph; retries exhausted.' } },
		};
		if (result.status >= 400) {
			if (identity === undefined) identity = (await identityOf(this, credentialTypeOf(this, 0), 0)) ?? '';
			result.error = httpError(
				{ status: result.status, headers: headerRecord(result.headers), body: result.body },
				{
					node: this.getNode(),
					mailbox: mailbox ?? (mailboxOfUrl(request.url) || undefined),
					identity: identity || undefined,
					itemIndex: request.itemIndex,
					method: request.method,
					path: request.url.split('?')[0],
				},
			);
		}
		ordered.push(result);
	}
	return ordered;
}
