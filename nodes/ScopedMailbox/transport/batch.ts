/**
 * JSON $batch: up to 20 requests per POST. Built by hand rather than with the Graph client's
 * BatchRequestContent: that class takes fetch Request objects with absolute URLs and strips host and version
 * by position, which breaks for a Graph base URL with a path (sovereign/custom endpoints); the wire format is
 * small and documented.
 */
import type { IDataObject, IHttpRequestMethods, NodeApiError } from 'n8n-workflow';

import type { GraphContext } from './client';
import { graphError, describeIdentity, type ErrorContext } from './errors';
import { graphRequest, failureFrom } from './request';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, sleep, withJitter } from './retry';
import { normaliseMailbox } from './paths';
import { MAILBOX_CONCURRENCY } from './limits';
import { withDefaultGraphHeaders } from './headers';

export const BATCH_MAX = 20;

export interface BatchRequest {
	/** Unique within the call; default: its index as a string. */
	id?: string;
	method: IHttpRequestMethods;
	/** Relative to the version root: '/users/a%40b.com/messages/...' (build it with userPath/messagePath). */
	url: string;
	body?: IDataObject;
	headers?: IDataObject;
	/** Ids that must succeed first (Graph answers 424 for this one when one failed). Same call only. */
	dependsOn?: string[];
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
	requests: BatchRequest[];
	mailbox?: string;
	/** Retries of inner requests Graph throttled (429 / 503 with Retry-After). */
	maxThrottleRetries?: number;
	/** Requests per mailbox running at once inside one $batch (default 4, Exchange's limit). */
	lanesPerMailbox?: number;
}

/** Groups requests so that each one and everything it depends on travel in the same $batch. */
export function planBatches(
	requests: Array<BatchRequest & { id: string }>,
): Array<Array<BatchRequest & { id: string }>> {
	const byId = new Map(requests.map((r) => [r.id, r]));
	const parent = new Map<string, string>(requests.map((r) => [r.id, r.id]));
	const find = (id: string): string => {
		let root = id;
		while (parent.get(root) !== root) root = parent.get(root)!;
		return root;
	};
	for (const request of requests) {
		for (const dependency of request.dependsOn ?? []) {
			if (!byId.has(dependency))
				throw new Error(`$batch request "${request.id}" depends on unknown request "${dependency}"`);
			parent.set(find(request.id), find(dependency));
		}
	}
	const groups = new Map<string, Array<BatchRequest & { id: string }>>();
	for (const request of requests) {
		const root = find(request.id);
		if (!groups.has(root)) groups.set(root, []);
		groups.get(root)!.push(request);
	}
	const batches: Array<Array<BatchRequest & { id: string }>> = [];
	let current: Array<BatchRequest & { id: string }> = [];
	for (const group of groups.values()) {
		if (group.length > BATCH_MAX)
			throw new Error(`A chain of ${group.length} dependent $batch requests exceeds ${BATCH_MAX}`);
		if (current.length + group.length > BATCH_MAX) {
			batches.push(current);
			current = [];
		}
		current.push(...group);
	}
	if (current.length) batches.push(current);
	return batches;
}

function wire(request: BatchRequest & { id: string }): IDataObject {
	// Inner requests do not inherit the envelope's headers: each carries the package's defaults (immutable ids).
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
		...(request.dependsOn?.length ? { dependsOn: request.dependsOn } : {}),
	};
}

function mailboxOfUrl(url: string): string {
	const match = /^\/?users(?:\/([^/?]+)|\('([^']*)'\))/i.exec(url);
	return decodeURIComponent(match?.[1] ?? match?.[2] ?? '').toLowerCase();
}

/**
 * Graph runs a batch's requests concurrently, and Exchange's 4-per-mailbox limit applies to them as to any
 * other: 20 requests to one mailbox would mostly come back 429. So requests without dependencies of their own
 * are put into MAILBOX_CONCURRENCY lanes per mailbox, chained with `dependsOn`. These lane links are ours: a
 * request that got 424 only because its lane predecessor failed is sent again.
 */
function withLanes(batch: Array<BatchRequest & { id: string }>, lanes: number) {
	const synthetic = new Map<string, string>();
	const lastInLane = new Map<string, string[]>();
	const wired = batch.map((request) => {
		if (request.dependsOn?.length) return request;
		const mailbox = mailboxOfUrl(request.url);
		const queue = lastInLane.get(mailbox) ?? [];
		lastInLane.set(mailbox, queue);
		queue.push(request.id);
		if (queue.length <= lanes) return request;
		const predecessor = queue[queue.length - 1 - lanes];
		synthetic.set(request.id, predecessor);
		return { ...request, dependsOn: [predecessor] };
	});
	return { wired, synthetic };
}

/** Sends the requests in $batch calls of at most 20, retrying throttled inner requests after Retry-After. */
export async function graphBatch(this: GraphContext, options: BatchOptions): Promise<BatchResult[]> {
	const requests = options.requests.map((r, i) => ({ ...r, id: r.id ?? String(i) }));
	const ids = new Set<string>();
	for (const r of requests) {
		if (ids.has(r.id)) throw new Error(`Duplicate $batch request id "${r.id}"`);
		ids.add(r.id);
	}
	const mailbox = options.mailbox !== undefined ? normaliseMailbox(options.mailbox) : undefined;
	const maxRetries = options.maxThrottleRetries ?? DEFAULT_RETRY_POLICY.maxThrottleRetries;
	const lanes = Math.max(1, options.lanesPerMailbox ?? MAILBOX_CONCURRENCY);
	const results = new Map<string, BatchResult>();
	const signal = this.getExecutionCancelSignal?.();

	let todo = requests;
	let throttleRounds = 0;
	while (todo.length) {
		const again: typeof requests = [];
		let waitMs = 0;
		for (const batch of planBatches(todo)) {
			const { wired, synthetic } = withLanes(batch, lanes);
			const idempotent = batch.every((r) => r.method === 'GET');
			const answer = (await graphRequest.call(this, {
				method: 'POST',
				path: '/$batch',
				body: { requests: wired.map(wire) },
				mailbox,
				idempotent,
			})) as { responses?: Array<{ id: string; status: number; headers?: IDataObject; body?: unknown }> };
			const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
			for (const request of batch) {
				const response = byId.get(request.id);
				if (!response) continue;
				const headers = response.headers ?? {};
				const retryAfter = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] as
					| string
					| undefined;
				const throttled =
					response.status === 429 || ((response.status === 503 || response.status === 504) && retryAfter !== undefined);
				if (throttled && throttleRounds < maxRetries) {
					waitMs = Math.max(waitMs, parseRetryAfter(retryAfter) ?? 1000);
					again.push(request);
					continue;
				}
				// 424 caused by a lane link of ours (or a throttled explicit dependency that goes again): resend.
				if (
					response.status === 424 &&
					(synthetic.has(request.id) || (request.dependsOn ?? []).some((d) => again.some((r) => r.id === d)))
				) {
					again.push(request);
					continue;
				}
				results.set(request.id, { id: request.id, status: response.status, headers, body: response.body });
			}
		}
		if (!again.length) break;
		if (waitMs > 0) {
			throttleRounds++;
			if (waitMs > DEFAULT_RETRY_POLICY.maxRetryAfterMs) break;
			await sleep(withJitter(waitMs), signal);
		} else if (again.length === todo.length) {
			break;
		}
		todo = again;
	}

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
			if (identity === undefined) identity = (await identityOfContext(this)) ?? '';
			const headers = new Headers();
			for (const [k, v] of Object.entries(result.headers)) headers.set(k, String(v));
			const context: ErrorContext = {
				node: this.getNode(),
				mailbox: mailbox ?? (mailboxOfUrl(request.url) || undefined),
				identity: identity || undefined,
				itemIndex: request.itemIndex,
				method: request.method,
				path: request.url.split('?')[0],
			};
			result.error = graphError(failureFrom(result.status, headers, result.body), context);
		}
		ordered.push(result);
	}
	return ordered;
}

async function identityOfContext(ctx: GraphContext): Promise<string | undefined> {
	try {
		const type = ctx.getNodeParameter('authentication', 0) as string;
		const credentials = await ctx.getCredentials(type);
		const oauth = credentials.oauthTokenData as { access_token?: unknown } | undefined;
		return describeIdentity(credentials.accessToken ?? oauth?.access_token);
	} catch {
		return undefined;
	}
}
