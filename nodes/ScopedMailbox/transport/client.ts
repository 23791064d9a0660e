/**
 * The Graph client (@microsoft/microsoft-graph-client) with a middleware chain of our own:
 *   RetryMiddleware -> MailboxSlotMiddleware -> N8nHttpMiddleware
 * The last link sends through n8n's `httpRequestWithAuthentication`, so n8n's authentication (the credential's
 * `authenticate`, its preAuthentication and the 401 -> re-authenticate -> retry once), OAuth2 refresh and proxy
 * settings apply, and turns n8n's answer into the fetch Response the client expects.
 *
 * The client's own AuthenticationHandler, RetryHandler and RedirectHandler are left out: n8n authenticates, and
 * our retry rules depend on idempotency (see retry.ts), which the client's RetryHandler does not know.
 */
import { Client, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';

import { withMailboxSlot } from './limits';
import {
	DEFAULT_RETRY_POLICY,
	decideOnStatus,
	isNetworkCode,
	parseRetryAfter,
	requestMayHaveBeenSent,
	backoffMs,
	sleep,
	type RetryPolicy,
} from './retry';

/** `this` of any n8n function that can send requests with a credential. */
export interface GraphContext {
	getNode(): import('n8n-workflow').INode;
	getNodeParameter(name: string, itemIndex: number, fallback?: unknown, options?: IDataObject): unknown;
	getCredentials(type: string, itemIndex?: number): Promise<import('n8n-workflow').ICredentialDataDecryptedObject>;
	getExecutionCancelSignal?(): AbortSignal | undefined;
	logger?: {
		debug(message: string, meta?: IDataObject): void;
		info?(message: string, meta?: IDataObject): void;
		warn(message: string, meta?: IDataObject): void;
	};
	/** Execute functions only: shown on the node's output after the run. */
	addExecutionHints?(...hints: import('n8n-workflow').NodeExecutionHint[]): void;
	/** Execute functions only: reaches the editor's browser console during manual runs. */
	sendMessageToUI?(message: unknown): void;
	helpers: {
		httpRequestWithAuthentication(
			this: unknown,
			credentialsType: string,
			requestOptions: IHttpRequestOptions,
			additionalCredentialOptions?: IDataObject,
		): Promise<unknown>;
		httpRequest(requestOptions: IHttpRequestOptions): Promise<unknown>;
	};
}

/** What happened to one logical request across its attempts; read by request.ts after the client returns. */
export interface RequestState {
	idempotent: boolean;
	mailboxKey?: string;
	policy: RetryPolicy;
	throttleRetries: number;
	serverRetries: number;
	/** Time spent waiting on throttling so far (against policy.throttleBudgetMs). */
	throttleWaitedMs: number;
	/** The last throttled answer came when (or asked for more than) the budget had left. */
	throttleBudgetExhausted?: boolean;
	lastRetryAfterMs?: number;
	/** A connection failure the retries did not overcome. */
	networkFailure?: { code: string; message: string; maySent: boolean };
	/** n8n could not authenticate (preAuthentication / OAuth refresh failed): no Graph response exists. */
	authenticationFailure?: { message: string; description?: string; httpCode?: string };
	signal?: AbortSignal;
	log?: (message: string, meta?: IDataObject) => void;
	/** Called before each wait on throttling, so the node can say that it is waiting and for how long. */
	onThrottleWait?: (delayMs: number, status: number, retryAfterMs: number | undefined) => void;
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	const raw = init?.headers;
	if (!raw) return out;
	if (raw instanceof Headers) raw.forEach((value, key) => (out[key] = value));
	else if (Array.isArray(raw)) for (const [key, value] of raw) out[key] = value;
	else Object.assign(out, raw as Record<string, string>);
	return out;
}

function toResponseHeaders(headers: unknown): Headers {
	const out = new Headers();
	if (headers && typeof headers === 'object') {
		for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
			if (value === undefined || value === null) continue;
			if (Array.isArray(value)) for (const v of value) out.append(key, String(v));
			else out.set(key, String(value));
		}
	}
	return out;
}

function toBuffer(data: unknown): Buffer {
	if (data === undefined || data === null) return Buffer.alloc(0);
	if (Buffer.isBuffer(data)) return data;
	if (data instanceof ArrayBuffer) return Buffer.from(data);
	if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	if (typeof data === 'string') return Buffer.from(data);
	return Buffer.from(JSON.stringify(data));
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function buildResponse(status: number, headers: unknown, data: unknown): Response {
	const body = toBuffer(data);
	return new Response(NULL_BODY_STATUSES.has(status) || body.length === 0 ? null : body, {
		status,
		headers: toResponseHeaders(headers),
	});
}

interface HttpParts {
	status?: number;
	headers?: unknown;
	data?: unknown;
	code?: string;
	url?: string;
	message?: string;
}

/** Finds the HTTP response or socket error inside what n8n threw (NodeApiError around an axios-like error). */
export function httpPartsOf(error: unknown): HttpParts {
	const seen = new Set<unknown>();
	let found: HttpParts = {};
	const visit = (value: unknown, depth: number) => {
		if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return;
		seen.add(value);
		const e = value as Record<string, unknown>;
		const response = e.response as Record<string, unknown> | undefined;
		if (response && typeof response === 'object' && typeof response.status === 'number' && found.status === undefined) {
			const config = (e.config ?? response.config) as { url?: string } | undefined;
			found = { ...found, status: response.status, headers: response.headers, data: response.data, url: config?.url };
		}
		if (typeof e.code === 'string' && isNetworkCode(e.code) && !found.code) found.code = e.code;
		for (const key of ['errorResponse', 'cause', 'reason', 'error']) visit(e[key], depth + 1);
	};
	visit(error, 0);
	return found;
}

function sameEndpoint(a: string | undefined, b: string): boolean {
	if (!a) return true;
	try {
		const x = new URL(a);
		const y = new URL(b);
		return x.origin === y.origin && x.pathname === y.pathname;
	} catch {
		return true;
	}
}

function describeThrown(error: unknown): { message: string; description?: string; httpCode?: string } {
	const e = (error ?? {}) as { message?: unknown; description?: unknown; httpCode?: unknown };
	return {
		message: typeof e.message === 'string' ? e.message : 'Authentication failed',
		description: typeof e.description === 'string' ? e.description : undefined,
		httpCode: typeof e.httpCode === 'string' ? e.httpCode : undefined,
	};
}

/** Last link: one HTTP exchange through n8n. HTTP errors come back as Responses; only socket errors throw. */
class N8nHttpMiddleware implements Middleware {
	constructor(
		private readonly ctx: GraphContext,
		private readonly credentialType: string,
		private readonly state: RequestState,
		private readonly timeoutMs: number,
	) {}

	async execute(context: Context): Promise<void> {
		const url = typeof context.request === 'string' ? context.request : context.request.url;
		const init = context.options as RequestInit | undefined;
		const headers = headersOf(init);
		// Authorization is n8n's business (the credential's authenticate); never forward one from elsewhere.
		for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
		const body = init?.body as string | Buffer | ArrayBuffer | Uint8Array | undefined | null;
		const options: IHttpRequestOptions = {
			method: (init?.method ?? 'GET').toUpperCase() as IHttpRequestMethods,
			url,
			headers,
			encoding: 'arraybuffer',
			returnFullResponse: true,
			json: false,
			// 401 must throw so n8n re-authenticates and retries; every other status comes back to us.
			ignoreHttpStatusErrors: { ignore: true, except: [401] },
			timeout: this.timeoutMs,
		};
		if (body !== undefined && body !== null) {
			options.body = typeof body === 'string' || Buffer.isBuffer(body) ? body : toBuffer(body);
		}
		try {
			const result = (await this.ctx.helpers.httpRequestWithAuthentication.call(
				this.ctx,
				this.credentialType,
				options,
			)) as { statusCode: number; headers: unknown; body: unknown };
			context.response = buildResponse(result.statusCode, result.headers, result.body);
		} catch (error) {
			const parts = httpPartsOf(error);
			if (parts.status !== undefined && sameEndpoint(parts.url, url)) {
				context.response = buildResponse(parts.status, parts.headers, parts.data);
				return;
			}
			if (parts.code && parts.status === undefined) {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- internal to the client chain; graphRequest maps it
				throw new TransportNetworkError(parts.code, String((error as Error)?.message ?? parts.code));
			}
			// No Graph response: n8n failed before sending (token acquisition, OAuth refresh, credentials).
			this.state.authenticationFailure = describeThrown(error);
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- internal to the client chain; graphRequest maps it
			throw new TransportAuthenticationError(this.state.authenticationFailure.message);
		}
	}
}

export class TransportNetworkError extends Error {
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
		this.name = 'TransportNetworkError';
	}
}

export class TransportAuthenticationError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TransportAuthenticationError';
	}
}

class MailboxSlotMiddleware implements Middleware {
	private next!: Middleware;

	constructor(private readonly state: RequestState) {}

	setNext(next: Middleware) {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		if (!this.state.mailboxKey) return await this.next.execute(context);
		await withMailboxSlot(this.state.mailboxKey, async () => await this.next.execute(context));
	}
}

/** Applies retry.ts to each attempt; the body is a string or Buffer, so it can be sent again. */
class RetryMiddleware implements Middleware {
	private next!: Middleware;

	constructor(private readonly state: RequestState) {}

	setNext(next: Middleware) {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const { state } = this;
		for (;;) {
			try {
				await this.next.execute(context);
			} catch (error) {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- passes through the chain; graphRequest maps it
				if (!(error instanceof TransportNetworkError)) throw error;
				const maySent = requestMayHaveBeenSent(error.code);
				const retryable = !maySent || state.idempotent;
				if (retryable && state.serverRetries < state.policy.maxServerErrorRetries) {
					const delay = backoffMs(state.serverRetries, state.policy);
					state.serverRetries++;
					state.log?.('Graph request failed on the connection; retrying', { code: error.code, delayMs: delay });
					await sleep(delay, state.signal);
					continue;
				}
				state.networkFailure = { code: error.code, message: error.message, maySent };
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- passes through the chain; graphRequest maps it
				throw error;
			}
			const response = context.response!;
			if (response.ok) return;
			const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
			if (retryAfterMs !== undefined) state.lastRetryAfterMs = retryAfterMs;
			const decision = decideOnStatus(
				response.status,
				retryAfterMs,
				state.idempotent,
				{ throttle: state.throttleRetries, server: state.serverRetries, throttleWaitedMs: state.throttleWaitedMs },
				state.policy,
			);
			if (!decision.retry) {
				if (decision.budgetExhausted) state.throttleBudgetExhausted = true;
				return;
			}
			if (decision.throttled) {
				state.throttleRetries++;
				state.throttleWaitedMs += decision.delayMs;
				state.onThrottleWait?.(decision.delayMs, response.status, retryAfterMs);
			} else state.serverRetries++;
			state.log?.('Graph request retried', {
				status: response.status,
				reason: decision.reason,
				delayMs: decision.delayMs,
			});
			// Drain the body so the connection's memory is released before waiting.
			await response.arrayBuffer().catch(() => undefined);
			await sleep(decision.delayMs, state.signal);
		}
	}
}

export function newRequestState(options: {
	idempotent: boolean;
	mailboxKey?: string;
	policy?: Partial<RetryPolicy>;
	signal?: AbortSignal;
	log?: RequestState['log'];
	onThrottleWait?: RequestState['onThrottleWait'];
}): RequestState {
	return {
		idempotent: options.idempotent,
		mailboxKey: options.mailboxKey,
		policy: { ...DEFAULT_RETRY_POLICY, ...options.policy },
		throttleRetries: 0,
		serverRetries: 0,
		throttleWaitedMs: 0,
		signal: options.signal,
		log: options.log,
		onThrottleWait: options.onThrottleWait,
	};
}

/** A Graph client whose requests go through n8n with `credentialType`. One per logical request (its state). */
export function graphClientFor(
	ctx: GraphContext,
	credentialType: string,
	state: RequestState,
	timeoutMs: number,
): Client {
	return Client.initWithMiddleware({
		middleware: [
			new RetryMiddleware(state),
			new MailboxSlotMiddleware(state),
			new N8nHttpMiddleware(ctx, credentialType, state, timeoutMs),
		],
		defaultVersion: 'v1.0',
	});
}

export { ResponseType };
