/**
 * graphRequest / graphRequestAllItems / uploadChunk: what operations, the trigger and the pickers call.
 */
import { NodeApiError, NodeOperationError, type IDataObject, type IHttpRequestMethods } from 'n8n-workflow';

import { featureSetOf, cloudRefusal, type GraphFeatureSet } from '../auth/cloudFeatures';
import { resolveCloud } from '../auth/clouds';
import { accessTokenOf, isCredentialType } from '../auth/registry';
import {
	ResponseType,
	TransportAuthenticationError,
	TransportNetworkError,
	buildResponse,
	graphClientFor,
	httpPartsOf,
	newRequestState,
	type GraphContext,
	type RequestState,
} from './client';
import {
	SendOutcomeUnknownError,
	connectionProblem,
	describeIdentity,
	graphError,
	networkError,
	scrubSecrets,
	type ErrorContext,
	type GraphFailure,
} from './errors';
import { throughFirstRequestGate, withMailboxSlot } from './limits';
import { encodeQuery, normaliseMailbox, toNodeError } from './paths';
import { withDefaultGraphHeaders } from './headers';
import {
	DEFAULT_RETRY_POLICY,
	decideOnStatus,
	isNetworkCode,
	parseRetryAfter,
	requestMayHaveBeenSent,
	backoffMs,
	sleep,
	throttleBudgetFromMinutes,
	isThrottled,
	type RetryPolicy,
} from './retry';

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

function credentialTypeOf(ctx: GraphContext, itemIndex: number): string {
	let type: unknown;
	try {
		type = ctx.getNodeParameter('authentication', itemIndex);
	} catch {
		type = undefined;
	}
	if (typeof type !== 'string' || !type) {
		const configured = Object.keys(ctx.getNode().credentials ?? {});
		type = configured.find(isCredentialType) ?? configured[0];
	}
	if (typeof type !== 'string' || !type) {
		throw new NodeOperationError(ctx.getNode(), 'No credential selected', {
			description: 'Choose an Authentication method and a credential for it in the node.',
		});
	}
	return type;
}

const baseUrls = new WeakMap<object, Map<string, string>>();
const featureSets = new WeakMap<object, Map<string, GraphFeatureSet>>();

/** The credential's Graph root (e.g. https://graph.microsoft.com), read once per node context. */
async function graphBaseUrlOf(ctx: GraphContext, credentialType: string, itemIndex: number): Promise<string> {
	let perContext = baseUrls.get(ctx);
	if (!perContext) baseUrls.set(ctx, (perContext = new Map()));
	const known = perContext.get(credentialType);
	if (known) return known;
	const credentials = await ctx.getCredentials(credentialType, itemIndex);
	let sets = featureSets.get(ctx);
	if (!sets) featureSets.set(ctx, (sets = new Map()));
	sets.set(credentialType, featureSetOf(credentials as { cloud?: unknown; graphFeatureSet?: unknown }));
	let base: string;
	try {
		base = resolveCloud(
			credentials as { cloud?: unknown; authorityHost?: unknown; graphBaseUrl?: unknown },
		).graphBaseUrl;
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, {
			itemIndex,
			description: `Fix the credential's ${(error as { field?: string }).field ?? 'cloud'} setting.`,
		});
	}
	base = base.replace(/\/+$/, '');
	perContext.set(credentialType, base);
	return base;
}

async function identityOf(ctx: GraphContext, credentialType: string, itemIndex: number): Promise<string | undefined> {
	try {
		const credentials = await ctx.getCredentials(credentialType, itemIndex);
		return describeIdentity(accessTokenOf(credentialType, credentials));
	} catch {
		return undefined;
	}
}

function credentialKeyOf(ctx: GraphContext, credentialType: string): string {
	const id = ctx.getNode().credentials?.[credentialType]?.id ?? 'none';
	return `${credentialType}:${id}`;
}

/**
 * The URL actually requested, always absolute: the client's parsePath splits an https URL into host, first
 * segment ("version") and rest and joins them back unchanged, so a Graph base URL with a path (custom clouds)
 * and verbatim nextLinks survive; its own base-URL logic would not. resolveCloud only allows https.
 * Absolute URLs must stay on the Graph host: they carry the credential's token.
 */
function targetUrl(ctx: GraphContext, base: string, options: GraphRequestOptions, itemIndex: number): string {
	const query = encodeQuery(options.qs);
	if (/^https?:\/\//i.test(options.path)) {
		const url = new URL(options.path);
		if (url.origin !== new URL(base).origin) {
			throw new NodeOperationError(ctx.getNode(), `Refusing to send the credential's token to ${url.origin}`, {
				itemIndex,
				description: `Graph links (such as @odata.nextLink) must point to the credential's Graph endpoint ${base}.`,
			});
		}
		if (!query) return options.path;
		return `${options.path}${options.path.includes('?') ? '&' : '?'}${query}`;
	}
	const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
	return `${base}/${options.version ?? 'v1.0'}${path}${query ? `?${query}` : ''}`;
}

function pathForErrors(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url.split('?')[0];
	}
}

async function parseBody(response: Response, responseType: 'json' | 'buffer' | undefined): Promise<unknown> {
	const buffer = Buffer.from(await response.arrayBuffer());
	if (responseType === 'buffer') return buffer;
	if (buffer.length === 0) return {};
	const contentType = response.headers.get('content-type') ?? '';
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

export function failureFrom(status: number, headers: Headers, body: unknown, state?: RequestState): GraphFailure {
	let code = `HTTP${status}`;
	let message = '';
	let requestId = headers.get('request-id') ?? undefined;
	let date: string | undefined;
	let detail: string | undefined;
	const parsed = (() => {
		if (body && typeof body === 'object' && !Buffer.isBuffer(body)) return body as IDataObject;
		const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
		try {
			return JSON.parse(text) as IDataObject;
		} catch {
			message = text.slice(0, 500);
			return undefined;
		}
	})();
	const error = parsed?.error as IDataObject | undefined;
	if (error && typeof error === 'object') {
		if (typeof error.code === 'string') code = error.code;
		if (typeof error.message === 'string') message = error.message;
		const inner = (error.innerError ?? error.innererror) as IDataObject | undefined;
		if (inner) {
			requestId = (inner['request-id'] as string) ?? requestId;
			date = inner.date as string | undefined;
			if (typeof inner.code === 'string' && inner.code !== code) detail = inner.code;
		}
		const details = error.details as IDataObject[] | undefined;
		if (Array.isArray(details) && details.length) {
			detail = details.map((d) => `${String(d.code ?? '')}: ${String(d.message ?? '')}`).join('; ');
		}
	}
	const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
	return {
		status,
		code,
		message: message || `HTTP ${status}`,
		requestId,
		date,
		detail,
		retryAfterSeconds: retryAfterMs !== undefined ? Math.round(retryAfterMs / 1000) : undefined,
		attempts: state ? state.throttleRetries + state.serverRetries : undefined,
		throttleWaitedSeconds: state?.throttleWaitedMs ? Math.round(state.throttleWaitedMs / 1000) : undefined,
		throttleBudgetSeconds: state ? Math.round(state.policy.throttleBudgetMs / 1000) : undefined,
		throttleBudgetExhausted: state?.throttleBudgetExhausted,
	};
}

function retryAfterOf(failure: GraphFailure): number | undefined {
	return failure.retryAfterSeconds !== undefined ? failure.retryAfterSeconds * 1000 : undefined;
}

/**
 * The node's "Max Wait on Throttling (Minutes)". The trigger and the pickers do not have it (the default applies);
 * their getNodeParameter takes no item index, so the parameter is only read where the node declares it.
 */
function throttleBudgetOf(ctx: GraphContext, itemIndex: number): number {
	const declared = ctx.getNode().parameters?.throttleWaitMinutes;
	if (declared === undefined) return throttleBudgetFromMinutes(undefined);
	if (typeof declared === 'number') return throttleBudgetFromMinutes(declared);
	try {
		return throttleBudgetFromMinutes(ctx.getNodeParameter('throttleWaitMinutes', itemIndex, undefined));
	} catch {
		return throttleBudgetFromMinutes(undefined);
	}
}

const hinted = new WeakMap<object, Set<string>>();

/**
 * Says that the node is waiting on Graph: n8n's log (every wait), the editor's console during manual runs, and
 * once per execution and mailbox a hint on the node's output. n8n has no "waiting" status for a running node.
 */
function throttleReporter(
	ctx: GraphContext,
	mailbox: string | undefined,
	method: string,
	path: string,
	itemIndex: number,
	budgetMs: number,
) {
	return (delayMs: number, status: number, retryAfterMs: number | undefined) => {
		const seconds = Math.max(1, Math.round(delayMs / 1000));
		const message = `Microsoft Graph throttled ${method} ${path}${mailbox ? ` for mailbox ${mailbox}` : ''} (${status}${retryAfterMs !== undefined ? `, Retry-After ${Math.round(retryAfterMs / 1000)} s` : ''}); waiting ${seconds} s before sending it again (item ${itemIndex}, max wait ${Math.round(budgetMs / 60_000)} min per request)`;
		const meta = { status, delayMs, retryAfterMs, itemIndex, mailbox };
		if (ctx.logger?.info) ctx.logger.info(message, meta);
		else ctx.logger?.warn(message, meta);
		try {
			ctx.sendMessageToUI?.(message);
		} catch {
			// Only manual runs have an editor to talk to.
		}
		const key = mailbox ?? '';
		let seen = hinted.get(ctx);
		if (!seen) hinted.set(ctx, (seen = new Set()));
		if (seen.has(key) || typeof ctx.addExecutionHints !== 'function') return;
		seen.add(key);
		try {
			ctx.addExecutionHints({
				message: `Microsoft Graph throttled requests${mailbox ? ` to ${mailbox}` : ''}: the node waited as Graph asked (Retry-After), up to ${Math.round(budgetMs / 60_000)} min per request ("Max Wait on Throttling"). n8n's log has each wait.`,
				type: 'info',
				location: 'outputPane',
			});
		} catch {
			// Hints are informational.
		}
	};
}

function headerObject(headers: Headers): Record<string, string> {
	const out: Record<string, string> = {};
	headers.forEach((value, key) => (out[key] = value));
	return out;
}

function outcomeUnknown(ctx: GraphContext, errorContext: ErrorContext, code: string): SendOutcomeUnknownError {
	return new SendOutcomeUnknownError(
		ctx.getNode(),
		`The request for ${errorContext.mailbox ? `mailbox ${errorContext.mailbox}` : 'the mailbox'} was sent to Microsoft Graph but ${connectionProblem(code)} before an answer came: it may or may not have been carried out`,
		{
			itemIndex: errorContext.itemIndex,
			description: `${code} on ${errorContext.method} ${errorContext.path}. It was not sent again, so that nothing is done twice. Check the mailbox (e.g. its Sent Items) before running this item again.`,
		},
	);
}

/** One Graph request. Returns the parsed body (or the full response); throws NodeApiError / NodeOperationError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph bodies are JSON of many shapes (Buffers for raw reads); callers read or cast them, and IDataObject would make every caller cast
export async function graphRequest(this: GraphContext, options: GraphRequestOptions): Promise<any> {
	const itemIndex = options.itemIndex ?? 0;
	let mailbox: string | undefined;
	if (options.mailbox !== undefined) {
		try {
			mailbox = normaliseMailbox(options.mailbox);
		} catch (error) {
			throw toNodeError(this.getNode(), error, options.itemIndex);
		}
	}
	const credentialType = credentialTypeOf(this, itemIndex);
	const base = await graphBaseUrlOf(this, credentialType, itemIndex);
	// A cloud whose Graph lacks what the request uses gets a clear error instead of the request.
	const refusal = cloudRefusal(
		this.getNode(),
		featureSets.get(this)?.get(credentialType) ?? 'global',
		options,
		options.itemIndex,
	);
	if (refusal) throw refusal;
	const url = targetUrl(this, base, options, itemIndex);
	const method = options.method.toUpperCase() as IHttpRequestMethods;
	const idempotent = options.idempotent ?? method !== 'POST';
	const credentialKey = credentialKeyOf(this, credentialType);
	const logger = this.logger;
	const throttleBudgetMs = options.retry?.throttleBudgetMs ?? throttleBudgetOf(this, itemIndex);
	const state = newRequestState({
		idempotent,
		mailboxKey: mailbox ? `${credentialKey}|${mailbox.toLowerCase()}` : undefined,
		policy: { ...options.retry, throttleBudgetMs },
		signal: this.getExecutionCancelSignal?.(),
		log: logger ? (message, meta) => logger.debug(message, { ...meta, method, path: pathForErrors(url) }) : undefined,
		onThrottleWait: throttleReporter(this, mailbox, method, pathForErrors(url), itemIndex, throttleBudgetMs),
	});
	const errorContext: ErrorContext = {
		node: this.getNode(),
		mailbox,
		itemIndex: options.itemIndex,
		method,
		path: pathForErrors(url),
		hint: options.errorHint,
	};

	const client = graphClientFor(this, credentialType, state, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
	let request = client.api(url).responseType(ResponseType.RAW);
	request = request.headers(withDefaultGraphHeaders(options.headers));

	let response: Response;
	try {
		response = (await throughFirstRequestGate(this, credentialKey, async () => {
			switch (method) {
				case 'GET':
					return await request.get();
				case 'POST':
					return await request.post(options.body ?? {});
				case 'PATCH':
					return await request.patch(options.body ?? {});
				case 'PUT':
					return await request.put(options.body ?? {});
				case 'DELETE':
					return await request.delete();
				default:
					throw new NodeOperationError(this.getNode(), `Unsupported method ${method}`);
			}
		})) as Response;
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- already an n8n error of ours
		if (error instanceof NodeOperationError || error instanceof NodeApiError) throw error;
		if (state.networkFailure || error instanceof TransportNetworkError) {
			const failure = state.networkFailure ?? {
				code: (error as TransportNetworkError).code,
				message: (error as Error).message,
				maySent: true,
			};
			if (!idempotent && failure.maySent) throw outcomeUnknown(this, errorContext, failure.code);
			throw networkError(errorContext, failure.code, failure.message);
		}
		if (state.authenticationFailure || error instanceof TransportAuthenticationError) {
			const auth = state.authenticationFailure ?? { message: (error as Error).message };
			// A fresh error: the one n8n threw may hold the token request (form body with the secret).
			throw new NodeApiError(
				this.getNode(),
				{ message: scrubSecrets(auth.message), ...(auth.httpCode ? { httpCode: auth.httpCode } : {}) },
				{
					message: scrubSecrets(auth.message),
					description: auth.description ? scrubSecrets(auth.description) : undefined,
					httpCode: auth.httpCode,
					itemIndex: options.itemIndex,
				},
			);
		}
		throw new NodeApiError(
			this.getNode(),
			{ message: scrubSecrets(String((error as Error)?.message ?? error)) },
			{
				message: `Microsoft Graph request failed: ${scrubSecrets(String((error as Error)?.message ?? error))}`,
				itemIndex: options.itemIndex,
			},
		);
	}

	const body = await parseBody(response, response.ok ? options.responseType : 'json');
	if (!response.ok) {
		const failure = failureFrom(response.status, response.headers, body, state);
		errorContext.identity = await identityOf(this, credentialType, itemIndex);
		const error = graphError(failure, errorContext);
		// Throttled = refused before Graph acted: a send that ends here was not sent (actions/common/sendReport.ts).
		if (isThrottled(failure.status, retryAfterOf(failure))) Object.assign(error, { throttled: true });
		throw error;
	}
	if (options.fullResponse) {
		return { body, headers: headerObject(response.headers), statusCode: response.status } satisfies GraphFullResponse;
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
 * One PUT of an upload session. The upload URL is pre-authorised and Graph rejects an Authorization header on
 * it, so this goes through the plain `httpRequest` helper (proxy settings apply, no credential). Re-sending the
 * same byte range is allowed by Graph, so failures are retried like idempotent requests.
 * Returns `{ statusCode, body }`: 200 with nextExpectedRanges while incomplete, 201 after the last chunk.
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
	const end = options.start + options.chunk.length - 1;
	const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
	let mailbox: string | undefined;
	try {
		mailbox = options.mailbox !== undefined ? normaliseMailbox(options.mailbox) : undefined;
	} catch (error) {
		throw toNodeError(this.getNode(), error, options.itemIndex);
	}
	const errorContext: ErrorContext = {
		node: this.getNode(),
		mailbox,
		itemIndex: options.itemIndex,
		method: 'PUT',
		path: 'upload session',
	};
	const attempts = { throttle: 0, server: 0, throttleWaitedMs: 0 };
	policy.throttleBudgetMs = options.retry?.throttleBudgetMs ?? throttleBudgetOf(this, options.itemIndex ?? 0);
	const signal = this.getExecutionCancelSignal?.();
	const send = async () =>
		(await this.helpers.httpRequest({
			method: 'PUT',
			url: options.uploadUrl,
			headers: {
				'Content-Type': 'application/octet-stream',
				'Content-Length': String(options.chunk.length),
				'Content-Range': `bytes ${options.start}-${end}/${options.total}`,
			},
			body: options.chunk,
			encoding: 'arraybuffer',
			returnFullResponse: true,
			json: false,
			ignoreHttpStatusErrors: true,
			timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
		})) as { statusCode: number; headers: unknown; body: unknown };
	const slotKey = mailbox ? `${credentialKeyOfSafe(this)}|${mailbox.toLowerCase()}` : undefined;
	for (;;) {
		let result: { statusCode: number; headers: unknown; body: unknown };
		try {
			result = slotKey ? await withMailboxSlot(slotKey, send) : await send();
		} catch (error) {
			const parts = httpPartsOf(error);
			const code = parts.code ?? (error as { code?: string }).code;
			if (code && isNetworkCode(code) && attempts.server < policy.maxServerErrorRetries) {
				await sleep(backoffMs(attempts.server++, policy), signal);
				continue;
			}
			throw networkError(errorContext, code ?? 'ERROR', scrubSecrets(String((error as Error)?.message ?? error)));
		}
		const response = buildResponse(result.statusCode, result.headers, result.body);
		if (response.ok) {
			const body = (await parseBody(response, 'json')) as IDataObject;
			return { statusCode: response.status, body: body && typeof body === 'object' ? body : {} };
		}
		const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
		const decision = decideOnStatus(response.status, retryAfterMs, true, attempts, policy);
		if (decision.retry) {
			if (decision.throttled) {
				attempts.throttle++;
				attempts.throttleWaitedMs += decision.delayMs;
			} else attempts.server++;
			await sleep(decision.delayMs, signal);
			continue;
		}
		const body = await parseBody(response, 'json');
		throw graphError(failureFrom(response.status, response.headers, body), {
			...errorContext,
			hint: 'The upload session may have expired (they last about 15 minutes without progress); run the item again to start a new one.',
		});
	}
}

function credentialKeyOfSafe(ctx: GraphContext): string {
	try {
		return credentialKeyOf(ctx, credentialTypeOf(ctx, 0));
	} catch {
		return 'none';
	}
}

export { requestMayHaveBeenSent };
