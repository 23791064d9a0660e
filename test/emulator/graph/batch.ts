/**
 * JSON $batch: 1 to 20 inner requests with relative URLs, run concurrently unless `dependsOn` orders them (so
 * they compete for the mailbox concurrency slots like real ones and can get inner 429s); an inner request whose
 * dependency failed gets 424. Only Graph's three dependency shapes are accepted (see acceptedShape). The envelope is 200 whatever the inner statuses. Each inner request is logged
 * as kind 'batch-inner'.
 */
import type { EmulatorContext, EmuResponse } from '../core/context';
import { decodePath } from '../core/server';
import { jsonBody, splitPath, type GraphCall } from './call';
import { handleGraphCall } from './dispatch';
import { GraphFault } from './errors';

export const MAX_BATCH_REQUESTS = 20;

interface InnerRequest {
	id: string;
	method: string;
	url: string;
	headers?: Record<string, string>;
	body?: unknown;
	dependsOn?: string[];
}

interface InnerResponse {
	id: string;
	status: number;
	headers: Record<string, string>;
	body?: unknown;
}

function invalid(message: string): GraphFault {
	return new GraphFault(400, 'BadRequest', message);
}

const dependencies = (r: InnerRequest) => r.dependsOn ?? [];

/**
 * Graph runs only three dependency shapes (JSON batching known issue; the Graph client's
 * BatchRequestContent.validateDependencies encodes the same rule, and test/emulator/graph.batch-shapes.test.ts
 * holds the emulator to it): no request depends on another (parallel); each request depends on exactly the one
 * before it (sequential); or one request has no dependency and every other depends on it alone (same). Anything
 * else, such as several chains side by side, is refused as a whole.
 */
function acceptedShape(requests: InnerRequest[]): boolean {
	const parallel = requests.every((r) => dependencies(r).length === 0);
	const sequential = requests.every((r, i) =>
		i === 0 ? dependencies(r).length === 0 : dependencies(r).length === 1 && dependencies(r)[0] === requests[i - 1].id,
	);
	const roots = requests.filter((r) => dependencies(r).length === 0);
	const same =
		roots.length === 1 &&
		requests.every((r) => r === roots[0] || (dependencies(r).length === 1 && dependencies(r)[0] === roots[0].id));
	return parallel || sequential || same;
}

function validate(raw: unknown): InnerRequest[] {
	const requests = (raw as { requests?: unknown })?.requests;
	if (!Array.isArray(requests)) throw invalid('Invalid batch payload format.');
	if (!requests.length) throw invalid('The batch request must contain at least one request.');
	if (requests.length > MAX_BATCH_REQUESTS) {
		throw invalid(
			`The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH_REQUESTS}.`,
		);
	}
	const ids = new Set<string>();
	for (const r of requests as InnerRequest[]) {
		if (!r || typeof r !== 'object' || typeof r.id !== 'string' || !r.id)
			throw invalid('Each request in a batch needs an id.');
		if (ids.has(r.id)) throw invalid(`Request ids must be unique within a batch; '${r.id}' is repeated.`);
		ids.add(r.id);
		if (typeof r.method !== 'string' || typeof r.url !== 'string' || !r.url)
			throw invalid(`Request '${r.id}' needs a method and a url.`);
		if (/^https?:/i.test(r.url))
			throw invalid(`Request '${r.id}': the url must be relative, like /users/{id}/messages.`);
		if (r.body !== undefined && !Object.keys(r.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')) {
			throw invalid(`Request '${r.id}' has a body but no Content-Type header.`);
		}
	}
	for (const r of requests as InnerRequest[]) {
		if (r.dependsOn !== undefined && !Array.isArray(r.dependsOn))
			throw invalid(`Request '${r.id}': dependsOn must be an array of request ids.`);
		for (const dep of r.dependsOn ?? []) {
			if (!ids.has(dep) || dep === r.id)
				throw invalid(`Request '${r.id}' depends on '${dep}', which is not another request of this batch.`);
		}
	}
	if (!acceptedShape(requests as InnerRequest[]))
		throw invalid('Batch should be either fully sequential or fully parallel');
	return requests as InnerRequest[];
}

function innerCall(outer: GraphCall, r: InnerRequest): GraphCall {
	const url = r.url.replace(/^\/+/, '');
	const q = url.indexOf('?');
	const path = q === -1 ? url : url.slice(0, q);
	const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
	const versionless = path.replace(/^v1\.0\//i, '');
	const headers: Record<string, string | undefined> = { authorization: outer.headers.authorization };
	for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
	let body = Buffer.alloc(0);
	if (r.body !== undefined) {
		const type = headers['content-type'] ?? '';
		body =
			typeof r.body === 'string'
				? /json/i.test(type)
					? Buffer.from(r.body, 'utf8')
					: Buffer.from(r.body, 'base64')
				: Buffer.from(JSON.stringify(r.body), 'utf8');
	}
	return {
		method: r.method.toUpperCase(),
		segments: splitPath(versionless),
		query,
		headers,
		body,
		baseUrl: outer.baseUrl,
		rawPath: `/v1.0/${versionless}`,
		logTags: {},
	};
}

/** Inner requests go into the request log too, so tests can see where each one went and count them. */
function logInner(ctx: EmulatorContext, inner: GraphCall, response: InnerResponse): void {
	const search = inner.query.toString();
	ctx.logRequest({
		at: ctx.clock.now(),
		method: inner.method,
		path: decodePath(inner.rawPath),
		rawPath: inner.rawPath,
		query: search ? `?${search}` : '',
		status: response.status,
		kind: 'batch-inner',
		appId: inner.logTags.appId,
		mailbox: inner.logTags.mailbox,
		bytesIn: inner.body.length,
		bytesOut: response.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(response.body)),
	});
}

function toInner(id: string, res: EmuResponse): InnerResponse {
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(res.headers ?? {}))
		if (!/^(request-id|client-request-id)$/i.test(k)) headers[k] = v;
	let body = res.body;
	if (Buffer.isBuffer(body)) body = body.toString('base64');
	else if (
		body !== undefined &&
		typeof body === 'object' &&
		!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')
	) {
		headers['Content-Type'] =
			'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
	}
	return body === undefined ? { id, status: res.status, headers } : { id, status: res.status, headers, body };
}

export async function handleBatch(ctx: EmulatorContext, call: GraphCall): Promise<EmuResponse> {
	call.logTags.kind = 'graph';
	if (call.method.toUpperCase() !== 'POST')
		return ctx.graphError(405, 'ErrorInvalidRequest', 'Only POST is supported on $batch.');
	const token = ctx.verifyGraphToken(call.headers.authorization);
	if (!token.ok) return token.response;
	call.logTags.appId = token.claims.appid;
	let requests: InnerRequest[];
	try {
		requests = validate(jsonBody(call));
	} catch (err) {
		if (err instanceof GraphFault) return ctx.graphError(err.status, err.code, err.message);
		throw err;
	}
	const results = new Map<string, Promise<InnerResponse>>();
	const answer = async (r: InnerRequest, inner: GraphCall): Promise<InnerResponse> => {
		const deps = await Promise.all((r.dependsOn ?? []).map((d) => results.get(d)!));
		if (deps.some((d) => d.status < 200 || d.status > 299)) {
			const failed = deps.find((d) => d.status < 200 || d.status > 299)!;
			return toInner(
				r.id,
				ctx.graphError(
					424,
					'FailedDependency',
					`The request depends on request '${failed.id}', which failed with status ${failed.status}.`,
				),
			);
		}
		if (inner.segments[0] === '$batch')
			return toInner(r.id, ctx.graphError(400, 'BadRequest', 'A batch cannot contain another batch.'));
		return toInner(r.id, await handleGraphCall(ctx, inner));
	};
	// Every request is registered before any runs: in the "same" shape the shared dependency may come later.
	let start!: () => void;
	const registered = new Promise<void>((resolve) => (start = resolve));
	const run = async (r: InnerRequest): Promise<InnerResponse> => {
		await registered;
		const inner = innerCall(call, r);
		const response = await answer(r, inner);
		logInner(ctx, inner, response);
		return response;
	};
	for (const r of requests) results.set(r.id, run(r));
	start();
	const responses = await Promise.all(requests.map((r) => results.get(r.id)!));
	return {
		status: 200,
		headers: { 'Content-Type': 'application/json; odata.metadata=minimal; charset=utf-8' },
		body: { responses },
	};
}
