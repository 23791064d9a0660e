/**
 * One HTTP exchange with Graph through n8n. Requests with a credential go through `httpRequestWithAuthentication`,
 * so n8n's authentication (the credential's `authenticate`, its preAuthentication and the 401 -> re-authenticate
 * -> retry once), OAuth2 refresh and proxy settings apply. Upload-session URLs are pre-authorised and Graph
 * rejects an Authorization header on them, so those go through the plain `httpRequest` helper.
 *
 * Every status comes back as an answer (status, lower-case headers, raw body): the retry rules need Retry-After
 * and the raw body, and errors are mapped in one place (errors.ts). Only a failed connection throws.
 */
import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';

import { headerRecord } from './headers';
import { ConnectionFailure, isNetworkCode } from './retry';

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

export interface HttpCall {
	method: IHttpRequestMethods;
	url: string;
	headers: Record<string, string>;
	body?: string | Buffer;
	timeoutMs: number;
	/** Sent with this credential; without one, through the plain helper (upload sessions). */
	credentialType?: string;
}

export interface HttpAnswer {
	status: number;
	/** Lower-case names. */
	headers: Record<string, string>;
	body: Buffer;
}

/** n8n could not authenticate (preAuthentication / OAuth refresh failed): no Graph response exists. */
export class TransportAuthenticationError extends Error {
	constructor(
		message: string,
		readonly description?: string,
		readonly httpCode?: string,
	) {
		super(message);
		this.name = 'TransportAuthenticationError';
	}
}

export function toBuffer(data: unknown): Buffer {
	if (data === undefined || data === null) return Buffer.alloc(0);
	if (Buffer.isBuffer(data)) return data;
	if (data instanceof ArrayBuffer) return Buffer.from(data);
	if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	if (typeof data === 'string') return Buffer.from(data);
	return Buffer.from(JSON.stringify(data));
}

interface HttpParts {
	status?: number;
	headers?: unknown;
	data?: unknown;
	code?: string;
	url?: string;
}

/** Finds the HTTP response or socket error inside what n8n threw (NodeApiError around an axios-like error). */
function httpPartsOf(error: unknown): HttpParts {
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

function text(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

/** One attempt. Throws ConnectionFailure (retry.ts judges it) or TransportAuthenticationError. */
export async function sendOnce(ctx: GraphContext, call: HttpCall): Promise<HttpAnswer> {
	const headers = { ...call.headers };
	// Authorization is n8n's business (the credential's authenticate); never forward one from elsewhere.
	for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
	const options: IHttpRequestOptions = {
		method: call.method,
		url: call.url,
		headers,
		encoding: 'arraybuffer',
		returnFullResponse: true,
		json: false,
		// 401 must throw so n8n re-authenticates and retries; every other status comes back to us.
		ignoreHttpStatusErrors: call.credentialType ? { ignore: true, except: [401] } : true,
		timeout: call.timeoutMs,
	};
	if (call.body !== undefined) options.body = call.body;
	try {
		const result = (
			call.credentialType
				? await ctx.helpers.httpRequestWithAuthentication.call(ctx, call.credentialType, options)
				: await ctx.helpers.httpRequest(options)
		) as { statusCode: number; headers: unknown; body: unknown };
		return { status: result.statusCode, headers: headerRecord(result.headers), body: toBuffer(result.body) };
	} catch (error) {
		const parts = httpPartsOf(error);
		if (parts.status !== undefined && sameEndpoint(parts.url, call.url)) {
			return { status: parts.status, headers: headerRecord(parts.headers), body: toBuffer(parts.data) };
		}
		const e = (error ?? {}) as { message?: unknown; description?: unknown; httpCode?: unknown; code?: unknown };
		const code = parts.code ?? text(e.code);
		if ((parts.code && parts.status === undefined) || !call.credentialType) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- judged by retry.ts, mapped by errors.ts
			throw new ConnectionFailure(code ?? 'ERROR', String(e.message ?? code ?? error));
		}
		// No Graph response: n8n failed before sending (token acquisition, OAuth refresh, credentials).
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- mapped by errors.ts
		throw new TransportAuthenticationError(
			text(e.message) ?? 'Authentication failed',
			text(e.description),
			text(e.httpCode),
		);
	}
}
