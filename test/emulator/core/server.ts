import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, EmuRequest, EmuResponse, LogKind } from './context';
import { AdminError, type AdminRegistry } from './admin';
import type { Faults } from './faults';
import type { RequestLog } from './requestLog';
import { HttpError } from './responses';
import type { EmuRouter, ServerKind } from './router';

export const ADMIN_PREFIX = '/_emulator/admin/';

interface PipelineDeps {
	router: EmuRouter;
	admin: AdminRegistry;
	faults: Faults;
	log: RequestLog;
	clock: Clock;
	sleep(ms: number): Promise<void>;
}

/** Without a handler's own tag, a request's log kind is told by its path. */
function kindOf(path: string, server: ServerKind): LogKind {
	if (path.startsWith('/_emulator/')) return 'admin';
	if (server === 'http') return 'mi';
	if (/\/oauth2\/(v2\.0\/)?(token|devicecode|authorize)$/i.test(path)) return 'token';
	if (/upload/i.test(path)) return 'upload';
	if (/^\/(v1\.0|beta)(\/|$)/i.test(path)) return 'graph';
	return 'other';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
	const out: Record<string, string | undefined> = {};
	for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
	return out;
}

function badRequest(message: string): HttpError {
	return new HttpError({ status: 400, body: { error: { code: 'BadRequest', message } } });
}

/** The path as the log and the routes see it; a malformed escape leaves it as it came. */
export function decodePath(raw: string): string {
	try {
		return decodeURIComponent(raw);
	} catch {
		return raw;
	}
}

export function buildRequest(req: IncomingMessage, body: Buffer, baseUrl: string): EmuRequest {
	const url = new URL(req.url ?? '/', 'http://x');
	const rawPath = url.pathname;
	return {
		method: (req.method ?? 'GET').toUpperCase(),
		path: decodePath(rawPath),
		rawPath,
		query: url.searchParams,
		headers: lowerHeaders(req),
		body,
		params: {},
		baseUrl,
		logTags: {},
		json() {
			if (body.length === 0) return {} as any;
			try {
				return JSON.parse(body.toString('utf8'));
			} catch {
				throw badRequest(
					'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
				);
			}
		},
		form() {
			return new URLSearchParams(body.toString('utf8'));
		},
	};
}

function serialize(res: EmuResponse): { headers: Record<string, string>; payload: Buffer } {
	const headers: Record<string, string> = { ...(res.headers ?? {}) };
	const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
	let payload: Buffer;
	if (res.body === undefined || res.body === null) payload = Buffer.alloc(0);
	else if (Buffer.isBuffer(res.body)) payload = res.body;
	else if (typeof res.body === 'string') {
		payload = Buffer.from(res.body, 'utf8');
		if (!hasType) headers['Content-Type'] = 'text/plain; charset=utf-8';
	} else {
		payload = Buffer.from(JSON.stringify(res.body), 'utf8');
		if (!hasType) headers['Content-Type'] = 'application/json; charset=utf-8';
	}
	headers['Content-Length'] = String(payload.length);
	return { headers, payload };
}

/** The request pipeline both servers share: admin, scripted faults, routing, errors, request log. */
export function createPipeline(deps: PipelineDeps, server: ServerKind, baseUrl: () => string) {
	return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		let emuReq: EmuRequest | undefined;
		let status = 0;
		let bytesOut = 0;
		try {
			const body = await readBody(req);
			emuReq = buildRequest(req, body, baseUrl());
			const response = await dispatch(deps, emuReq, server, req);
			if (response === 'reset') {
				status = 0;
				req.socket.destroy();
				return;
			}
			const { headers, payload } = serialize(response);
			status = response.status;
			bytesOut = payload.length;
			res.writeHead(response.status, headers);
			res.end(payload);
		} catch (err) {
			status = 500;
			if (!res.headersSent) {
				res.writeHead(500, { 'Content-Type': 'application/json' });
				res.end(
					JSON.stringify({ error: { code: 'InternalServerError', message: String((err as Error)?.message ?? err) } }),
				);
			}
		} finally {
			if (emuReq) {
				const tags = emuReq.logTags;
				const search = emuReq.query.toString();
				deps.log.add({
					at: deps.clock.now(),
					method: emuReq.method,
					path: emuReq.path,
					rawPath: emuReq.rawPath,
					query: search ? `?${search}` : '',
					status,
					kind: tags.kind ?? kindOf(emuReq.path, server),
					appId: tags.appId,
					mailbox: tags.mailbox,
					grantType: tags.grantType,
					clientAuth: tags.clientAuth,
					bytesIn: emuReq.body.length,
					bytesOut,
				});
			}
		}
	};
}

async function dispatch(
	deps: PipelineDeps,
	req: EmuRequest,
	server: ServerKind,
	raw: IncomingMessage,
): Promise<EmuResponse | 'reset'> {
	if (req.path.startsWith(ADMIN_PREFIX) && server === 'https') {
		req.logTags.kind = 'admin';
		if (req.method !== 'POST')
			return { status: 405, body: { error: { code: 'MethodNotAllowed', message: 'Admin operations are POST' } } };
		try {
			const result = await deps.admin.run(req.path.slice(ADMIN_PREFIX.length), req.json());
			return { status: 200, body: result };
		} catch (err) {
			if (err instanceof HttpError) return err.response;
			const status = err instanceof AdminError ? err.status : 400;
			const code = err instanceof AdminError ? err.code : 'InvalidOperation';
			return { status, body: { error: { code, message: (err as Error).message } } };
		}
	}
	const fault = deps.faults.take(req.method, req.path, raw.url ?? req.rawPath);
	if (fault) {
		if (fault.delayMs) await deps.sleep(fault.delayMs);
		if (fault.reset) return 'reset';
		if (fault.resetAfter) {
			const match = deps.router.match(req.method, req.rawPath, server);
			if (match && match !== 'method-not-allowed') {
				req.params = match.params;
				await Promise.resolve(match.handler(req)).catch(() => undefined);
			}
			return 'reset';
		}
		if (fault.status !== undefined) {
			return {
				status: fault.status,
				headers: fault.headers,
				body: fault.body ?? {
					error: { code: fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'Injected fault' },
				},
			};
		}
	}
	const match = deps.router.match(req.method, req.rawPath, server);
	if (match === undefined)
		return { status: 404, body: { error: { code: 'NotFound', message: `No route for ${req.method} ${req.path}` } } };
	if (match === 'method-not-allowed') {
		return {
			status: 405,
			body: { error: { code: 'MethodNotAllowed', message: `${req.method} is not supported on ${req.path}` } },
		};
	}
	req.params = match.params;
	try {
		return await match.handler(req);
	} catch (err) {
		if (err instanceof HttpError) return err.response;
		// A handler bug: answer 500 and say where, so a failing test shows it.
		process.stderr.write(`[emulator] ${req.method} ${req.path}: ${(err as Error)?.stack ?? err}\n`);
		return {
			status: 500,
			body: { error: { code: 'InternalServerError', message: String((err as Error)?.message ?? err) } },
		};
	}
}
