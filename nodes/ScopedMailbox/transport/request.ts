/**
 * graphRequest / graphRequestAllPages / uploadChunk: what operations, the trigger and the pickers call. Each
 * attempt goes out through http.ts holding a mailbox slot; retry.ts decides on every answer; errors.ts maps what
 * is left to the user's error.
 */
import { NodeApiError, NodeOperationError, type IDataObject, type IHttpRequestMethods } from 'n8n-workflow';

import { cloudRefusal } from '../auth/cloudFeatures';
import { authenticationError, connectionError, httpError, scrubSecrets, type ErrorContext } from './errors';
import { credentialKeyOf, credentialTypeOf, graphEndpointOf, identityOf, pathForErrors, targetUrl } from './endpoint';
import { withDefaultGraphHeaders } from './headers';
import { TransportAuthenticationError, sendOnce, type GraphContext, type HttpAnswer, type HttpCall } from './http';
import { throughFirstRequestGate, withMailboxSlot } from './limits';
import { normaliseMailbox, toNodeError } from './paths';
import { ConnectionFailure, decideOnAnswer, newRetryState, retrying, type RetryPolicy, type RetryState } from './retry';
import { throttleBudgetOf, throttleReporter } from './throttleNotice';

export interface GraphRequestOptions {
	method: IHttpRequestMethods;
	/** '/users/{..}/messages' (relative to the version root) or an absolute URL on the Graph host (nextLink). */
	path: string;
	qs?: IDataObject;
	body?: IDataObject | IDataObject[] | string | Buffer;
	headers?: IDataObject;
	/** The mailbox the request is about: concurrency slot and error messages. */
	mailbox?: string;
	/** Return `{ body, headers, statusCode }` instead of the body. */
	fullResponse?: boolean;
	/** Default: true except for POST. false = never sent twice after a lost connection (SendOutcomeUnknownError). */
	idempotent?: boolean;
	itemIndex?: number;
	/** 'buffer' for raw content ($value, MIME); default parses JSON and returns Buffers for other types. */
	responseType?: 'json' | 'buffer';
	version?: 'v1.0' | 'beta';
	timeoutMs?: number;
	retry?: Partial<RetryPolicy>;
	/** Appended to the "what to do" part of a mapped error. */
	errorHint?: string;
}

export interface GraphFullResponse<T = unknown> {
	body: T;
	headers: Record<string, string>;
	statusCode: number;
}

const DEFAULT_TIMEOUT_MS = 100_000;
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

function isOk(answer: HttpAnswer): boolean {
	return answer.status >= 200 && answer.status < 300;
}

function parseBody(answer: HttpAnswer, responseType: 'json' | 'buffer' | undefined): unknown {
	const buffer = answer.body;
	if (responseType === 'buffer') return buffer;
	if (buffer.length === 0) return {};
	const contentType = answer.headers['content-type'] ?? '';
	if (/json/i.test(contentType) || (!contentType && /^\s*[[{]/.test(buffer.toString('utf8', 0, 1)))) {
		try {
			return JSON.parse(buffer.toString('utf8')) as unknown;
		} catch {
			return buffer.toString('utf8');
		}
	}
	if (/^text\//i.test(contentType)) return buffer.toString('utf8');
	return buffer;
}

/** Bodies of POST, PATCH and PUT: JSON unless given as text or bytes; Content-Type JSON unless the caller set one. */
function encodeBody(
	method: string,
	body: GraphRequestOptions['body'],
	headers: Record<string, string>,
): string | Buffer | undefined {
	if (method === 'GET' || method === 'DELETE') return undefined;
	if (!Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) {
		headers['Content-Type'] = 'application/json';
	}
	const content = body ?? {};
	return typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content);
}

/** Sends `call` under the retry rules, each attempt holding a slot of the mailbox (when there is one). */
async function exchange(ctx: GraphContext, call: HttpCall, state: RetryState, slotKey?: string): Promise<HttpAnswer> {
	const once = async () =>
		slotKey ? await withMailboxSlot(slotKey, async () => await sendOnce(ctx, call)) : await sendOnce(ctx, call);
	return await retrying(state, once, decideOnAnswer);
}

/** What did not end in an HTTP answer, as the user's error. */
function transportError(error: unknown, state: RetryState, context: ErrorContext): Error {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof ConnectionFailure) {
		const failure = state.networkFailure ?? { code: error.code, message: error.message, maySent: true };
		return connectionError(failure, state.idempotent, context);
	}
	if (error instanceof TransportAuthenticationError) return authenticationError(error, context);
	const text = scrubSecrets(String((error as Error)?.message ?? error));
	return new NodeApiError(
		context.node,
		{ message: text },
		{ message: `Microsoft Graph request failed: ${text}`, itemIndex: context.itemIndex },
	);
}

function mailboxOf(ctx: GraphContext, value: unknown, itemIndex: number | undefined): string | undefined {
	if (value === undefined) return undefined;
	try {
		return normaliseMailbox(value);
	} catch (error) {
		throw toNodeError(ctx.getNode(), error, itemIndex);
	}
}

/** One Graph request. Returns the parsed body (or the full response); throws NodeApiError / NodeOperationError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph bodies are JSON of many shapes (Buffers for raw reads); callers read or cast them, and IDataObject would make every caller cast
export async function graphRequest(this: GraphContext, options: GraphRequestOptions): Promise<any> {
	const itemIndex = options.itemIndex ?? 0;
	const mailbox = mailboxOf(this, options.mailbox, options.itemIndex);
	const credentialType = credentialTypeOf(this, itemIndex);
	const { base, features } = await graphEndpointOf(this, credentialType, itemIndex);
	// A cloud whose Graph lacks what the request uses gets a clear error instead of the request.
	const refusal = cloudRefusal(this.getNode(), features, options, options.itemIndex);
	if (refusal) throw refusal;
	const url = targetUrl(this, base, options, itemIndex);
	const method = options.method.toUpperCase() as IHttpRequestMethods;
	if (!METHODS.has(method)) throw new NodeOperationError(this.getNode(), `Unsupported method ${method}`);
	const path = pathForErrors(url);
	const credentialKey = credentialKeyOf(this, credentialType);
	const logger = this.logger;
	const throttleBudgetMs = options.retry?.throttleBudgetMs ?? throttleBudgetOf(this, itemIndex);
	const state = newRetryState({
		idempotent: options.idempotent ?? method !== 'POST',
		policy: { ...options.retry, throttleBudgetMs },
		signal: this.getExecutionCancelSignal?.(),
		log: logger ? (message, meta) => logger.debug(message, { ...meta, method, path }) : undefined,
		onThrottleWait: throttleReporter(this, mailbox, method, path, itemIndex, throttleBudgetMs),
	});
	const context: ErrorContext = {
		node: this.getNode(),
		mailbox,
		itemIndex: options.itemIndex,
		method,
		path,
		hint: options.errorHint,
	};
	const headers = withDefaultGraphHeaders(options.headers);
	const call: HttpCall = {
		method,
		url,
		headers,
		body: encodeBody(method, options.body, headers),
		timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
		credentialType,
	};
	const slotKey = mailbox ? `${credentialKey}|${mailbox.toLowerCase()}` : undefined;

	let answer: HttpAnswer;
	try {
		answer = await throughFirstRequestGate(this, credentialKey, async () => await exchange(this, call, state, slotKey));
	} catch (error) {
		throw transportError(error, state, context);
	}
	if (!isOk(answer)) {
		context.identity = await identityOf(this, credentialType, itemIndex);
		throw httpError(answer, context, state);
	}
	const body = parseBody(answer, options.responseType);
	if (options.fullResponse) {
		return { body, headers: answer.headers, statusCode: answer.status } satisfies GraphFullResponse;
	}
	return body;
}

export interface AllItemsOptions extends GraphRequestOptions {
	/** Stop after this many items (the last page may be cut). */
	limit?: number;
	/** Collection property (default 'value'). */
	propertyName?: string;
	/** Called per page, e.g. to stream items out or to stop early by returning false. */
	onPage?: (items: IDataObject[], page: IDataObject) => boolean | void | Promise<boolean | void>;
}

export interface AllPagesResult {
	items: IDataObject[];
	/** Set when the collection was not read to the end (limit reached or onPage stopped). */
	nextLink?: string;
	/** Delta queries: the link to keep for the next round. */
	deltaLink?: string;
	pages: number;
}

/** Reads a collection page by page, following `@odata.nextLink` verbatim. */
export async function graphRequestAllPages(this: GraphContext, options: AllItemsOptions): Promise<AllPagesResult> {
	const property = options.propertyName ?? 'value';
	const items: IDataObject[] = [];
	let request: GraphRequestOptions = { ...options };
	let pages = 0;
	for (;;) {
		const page = (await graphRequest.call(this, { ...request, fullResponse: false })) as IDataObject;
		pages++;
		const pageItems = (Array.isArray(page[property]) ? page[property] : []) as IDataObject[];
		const room = options.limit !== undefined ? options.limit - items.length : Infinity;
		items.push(...pageItems.slice(0, Math.max(0, room)));
		const nextLink = page['@odata.nextLink'] as string | undefined;
		const deltaLink = page['@odata.deltaLink'] as string | undefined;
		const proceed = options.onPage ? (await options.onPage(pageItems, page)) !== false : true;
		if (!nextLink) return { items, deltaLink, pages };
		if (!proceed || (options.limit !== undefined && items.length >= options.limit)) return { items, nextLink, pages };
		// The link already carries the query: send it as it is.
		request = { ...options, path: nextLink, qs: undefined };
	}
}

export async function graphRequestAllItems(this: GraphContext, options: AllItemsOptions): Promise<IDataObject[]> {
	return (await graphRequestAllPages.call(this, options)).items;
}

export interface UploadChunkOptions {
	uploadUrl: string;
	chunk: Buffer;
	/** Offset of the chunk's first byte in the file. */
	start: number;
	/** Size of the whole file. */
	total: number;
	mailbox?: string;
	itemIndex?: number;
	timeoutMs?: number;
	retry?: Partial<RetryPolicy>;
}

/**
 * One PUT of an upload session, through the plain `httpRequest` helper (the URL is pre-authorised; proxy
 * settings apply, no credential). Re-sending the same byte range is allowed by Graph, so failures are retried
 * like idempotent requests. Returns `{ statusCode, body }`: 200 with nextExpectedRanges while incomplete, 201
 * after the last chunk.
 */
export async function uploadChunk(
	this: GraphContext,
	options: UploadChunkOptions,
): Promise<{ statusCode: number; body: IDataObject }> {
	let url: URL;
	try {
		url = new URL(options.uploadUrl);
	} catch {
		throw new NodeOperationError(this.getNode(), 'Graph returned an invalid upload URL', {
			itemIndex: options.itemIndex,
		});
	}
	if (url.protocol !== 'https:') {
		throw new NodeOperationError(this.getNode(), `Refusing to upload to a non-HTTPS URL (${url.origin})`, {
			itemIndex: options.itemIndex,
		});
	}
	const mailbox = mailboxOf(this, options.mailbox, options.itemIndex);
	const end = options.start + options.chunk.length - 1;
	const context: ErrorContext = {
		node: this.getNode(),
		mailbox,
		itemIndex: options.itemIndex,
		method: 'PUT',
		path: 'upload session',
		hint: 'The upload session may have expired (they last about 15 minutes without progress); run the item again to start a new one.',
	};
	const state = newRetryState({
		idempotent: true,
		policy: {
			...options.retry,
			throttleBudgetMs: options.retry?.throttleBudgetMs ?? throttleBudgetOf(this, options.itemIndex ?? 0),
		},
		signal: this.getExecutionCancelSignal?.(),
	});
	const call: HttpCall = {
		method: 'PUT',
		url: options.uploadUrl,
		headers: {
			'Content-Type': 'application/octet-stream',
			'Content-Length': String(options.chunk.length),
			'Content-Range': `bytes ${options.start}-${end}/${options.total}`,
		},
		body: options.chunk,
		timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
	};
	const slotKey = mailbox ? `${uploadCredentialKey(this)}|${mailbox.toLowerCase()}` : undefined;
	let answer: HttpAnswer;
	try {
		answer = await exchange(this, call, state, slotKey);
	} catch (error) {
		throw transportError(error, state, context);
	}
	if (!isOk(answer)) throw httpError(answer, context, state);
	const body = parseBody(answer, 'json') as IDataObject;
	return { statusCode: answer.status, body: body && typeof body === 'object' ? body : {} };
}

/** The slot key's credential part; uploads carry no credential, but count against the same mailbox slots. */
function uploadCredentialKey(ctx: GraphContext): string {
	try {
		return credentialKeyOf(ctx, credentialTypeOf(ctx, 0));
	} catch {
		return 'none';
	}
}
