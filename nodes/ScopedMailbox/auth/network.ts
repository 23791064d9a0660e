/**
 * msal-node's HTTP goes through n8n's helpers (docs/decisions.md #2), so n8n's proxy, TLS settings and the
 * credential's allowed domains apply to token requests too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { TransportError } from './errors';

export interface HttpSendRequest {
	method: 'GET' | 'POST';
	url: string;
	headers: Record<string, string>;
	body?: string;
	timeoutMs: number;
}

export interface HttpSendResponse {
	status: number;
	headers: Record<string, string>;
	/** Response text; msal wants parsed JSON, done by the network module. */
	text: string;
}

/** Sends one request and answers whatever status came back; throws only when no answer arrived. */
export type HttpSend = (request: HttpSendRequest) => Promise<HttpSendResponse>;

export const DEFAULT_TIMEOUT_MS = 30_000;

function plainHeaders(headers: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!headers || typeof headers !== 'object') return out;
	const entries =
		typeof (headers as { forEach?: unknown }).forEach === 'function' && !(headers instanceof Array)
			? (() => {
					const list: [string, unknown][] = [];
					(headers as { forEach(cb: (v: unknown, k: string) => void): void }).forEach((v, k) => list.push([k, v]));
					return list;
				})()
			: Object.entries(headers as Record<string, unknown>);
	for (const [key, value] of entries) {
		if (value === undefined || value === null) continue;
		out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return out;
}

function bodyText(body: unknown): string {
	if (body === undefined || body === null) return '';
	if (typeof body === 'string') return body;
	if (Buffer.isBuffer(body)) return body.toString('utf8');
	return JSON.stringify(body);
}

/** Only the error's code and host: the original error carries the request body. */
function transportFailure(error: unknown, url: string): TransportError {
	const record = (error && typeof error === 'object' ? error : {}) as Record<string, unknown>;
	const cause = (record.cause && typeof record.cause === 'object' ? record.cause : {}) as Record<string, unknown>;
	const nested = Array.isArray(cause.errors)
		? (cause.errors as Array<Record<string, unknown>>).map((e) => e?.code)
		: [];
	const errno = [record.code, cause.code, ...nested].find(
		(c): c is string => typeof c === 'string' && /^[A-Z_]+$/.test(c),
	);
	let host = url;
	try {
		const parsed = new URL(url);
		host = `${parsed.protocol}//${parsed.host}`;
	} catch {
		host = '(invalid URL)';
	}
	const what =
		errno === 'ECONNREFUSED'
			? 'connection refused'
			: errno === 'ENOTFOUND' || errno === 'EAI_AGAIN'
				? 'host name not found'
				: errno === 'ECONNABORTED' || errno === 'ETIMEDOUT' || /timeout/i.test(String(record.message))
					? 'no answer in time'
					: errno === 'EHOSTUNREACH' || errno === 'ENETUNREACH'
						? 'host unreachable'
						: errno === 'ECONNRESET'
							? 'connection reset'
							: /certificate|self.signed|CERT/i.test(`${String(record.message)} ${errno ?? ''}`)
								? 'TLS certificate not trusted'
								: /domain.*not allowed|allowed domains/i.test(String(record.message))
									? "the host is not in this credential's allowed domains"
									: (errno ??
										(typeof cause.message === 'string' && cause.message.length < 80
											? cause.message
											: 'request failed'));
	return new TransportError(`${what} (${host})`, host, errno);
}

type HttpRequestFn = (options: Record<string, unknown>) => Promise<unknown>;

/** Over `this.helpers.httpRequest` (preAuthentication, node executions). */
export function sendWithHttpRequest(httpRequest: HttpRequestFn): HttpSend {
	return async ({ method, url, headers, body, timeoutMs }) => {
		let response: { body?: unknown; headers?: unknown; statusCode?: number };
		try {
			response = (await httpRequest({
				method,
				url,
				headers,
				body,
				encoding: 'text',
				json: false,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: timeoutMs,
			})) as typeof response;
		} catch (error) {
			throw transportFailure(error, url);
		}
		return { status: response.statusCode ?? 0, headers: plainHeaders(response.headers), text: bodyText(response.body) };
	};
}

type LegacyRequestFn = (options: object) => Promise<unknown>;

/** Over the legacy `this.helpers.request`: the only HTTP helper n8n gives a credential test function. */
export function sendWithLegacyRequest(request: LegacyRequestFn): HttpSend {
	return async ({ method, url, headers, body, timeoutMs }) => {
		let response: { body?: unknown; headers?: unknown; statusCode?: number };
		try {
			response = (await request({
				method,
				uri: url,
				headers,
				body,
				json: false,
				simple: false,
				resolveWithFullResponse: true,
				timeout: timeoutMs,
			})) as typeof response;
		} catch (error) {
			throw transportFailure(error, url);
		}
		return { status: response.statusCode ?? 0, headers: plainHeaders(response.headers), text: bodyText(response.body) };
	};
}

/** Over global fetch: for code that runs without n8n (the seed command) or when no helper is at hand. */
export const sendWithFetch: HttpSend = async ({ method, url, headers, body, timeoutMs }) => {
	let response: Response;
	try {
		response = await fetch(url, {
			method,
			headers,
			body: method === 'POST' ? (body ?? '') : undefined,
			signal: AbortSignal.timeout(timeoutMs),
		});
	} catch (error) {
		throw transportFailure(error, url);
	}
	return { status: response.status, headers: plainHeaders(response.headers), text: await response.text() };
};

function parseBody(text: string): unknown {
	if (!text) return {};
	try {
		return JSON.parse(text);
	} catch {
		// A proxy's HTML error page: msal needs an object; keep a short, secret-free hint.
		return { error: 'non_json_response', error_description: text.slice(0, 200).replace(/<[^>]*>/g, ' ') };
	}
}

/** msal's INetworkModule over an HttpSend. Never throws for an HTTP status, so msal sees AADSTS bodies. */
export function networkModule(send: HttpSend): INetworkModule {
	const call = async <T>(
		method: 'GET' | 'POST',
		url: string,
		options?: NetworkRequestOptions,
		timeout?: number,
	): Promise<NetworkResponse<T>> => {
		const response = await send({
			method,
			url,
			headers: { ...(options?.headers ?? {}) },
			body: method === 'POST' ? (options?.body ?? '') : undefined,
			timeoutMs: timeout && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
		});
		return { status: response.status, headers: response.headers, body: parseBody(response.text) as T };
	};
	return {
		sendGetRequestAsync: async <T>(url: string, options?: NetworkRequestOptions, timeout?: number) =>
			await call<T>('GET', url, options, timeout),
		sendPostRequestAsync: async <T>(url: string, options?: NetworkRequestOptions) =>
			await call<T>('POST', url, options),
	};
}

/**
 * msal's managed-identity source is created once per process and keeps the network module it was first given,
 * so that module must not be bound to one execution's helpers: it sends through the HttpSend of the call in
 * progress (AsyncLocalStorage keeps concurrent executions apart).
 */
const currentSend = new AsyncLocalStorage<HttpSend>();

export const processWideNetworkModule: INetworkModule = networkModule((request) =>
	(currentSend.getStore() ?? sendWithFetch)(request),
);

export async function withSend<T>(send: HttpSend, run: () => Promise<T>): Promise<T> {
	return await currentSend.run(send, run);
}
