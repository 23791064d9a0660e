/**
 * The seam between the emulator's core (server, clock, faults, log, tokens) and its feature modules
 * (identity/, graph/, exchange/). Feature modules export `register(ctx: EmulatorContext)`.
 */
import type { EmulatorState, Mailbox, MailboxStore } from './state';

export interface EmuRequest {
	method: string;
	/** Decoded path without query string, e.g. /v1.0/users/a@b.com/messages */
	path: string;
	/** Path exactly as received (still percent-encoded). */
	rawPath: string;
	query: URLSearchParams;
	headers: Record<string, string | undefined>; // lower-case names
	body: Buffer;
	/** Named route parameters, percent-decoded. */
	params: Record<string, string>;
	json<T = any>(): T; // throws a 400-mapped error on invalid JSON
	form(): URLSearchParams;
	/** Absolute base of this server, e.g. https://127.0.0.1:4443 (or the http one for MI endpoints). */
	baseUrl: string;
	/** Set by handlers for the request log. */
	logTags: { kind?: LogKind; appId?: string; mailbox?: string; grantType?: string; clientAuth?: string };
}

export interface EmuResponse {
	status: number;
	headers?: Record<string, string>;
	/** object -> JSON; string -> as is (set content-type yourself); Buffer -> bytes; undefined -> empty */
	body?: unknown;
}

export type Handler = (req: EmuRequest) => Promise<EmuResponse> | EmuResponse;

export interface Router {
	/**
	 * Pattern segments: literal, `:name` (one segment), `*name` (rest of path). Matching is on the decoded path,
	 * segment by segment; parentheses-style OData keys (mailFolders('inbox')) are the graph module's business.
	 */
	add(method: string | '*', pattern: string, handler: Handler, server?: 'https' | 'http'): void;
}

/** 'batch-inner': a request inside a $batch (logged before the $batch itself, which is 'graph'). */
export type LogKind = 'token' | 'mi' | 'graph' | 'batch-inner' | 'upload' | 'admin' | 'other';

export interface RequestLogEntry {
	seq: number;
	at: number; // emulator clock, epoch ms
	method: string;
	/** Percent-decoded. */
	path: string;
	/** As sent, still percent-encoded: shows which slashes were path separators. */
	rawPath: string;
	query: string;
	status: number;
	kind: LogKind;
	appId?: string;
	mailbox?: string;
	grantType?: string;
	/** Token requests: how the client authenticated: none | secret | certificate:RS256 | certificate:PS256. */
	clientAuth?: string;
	bytesIn: number;
	bytesOut: number;
}

export interface Clock {
	now(): number; // epoch ms, starts at real time, moves with real time plus any advance
	advance(ms: number): void;
	set(epochMs: number): void;
}

/** Claims of a verified access token. */
export interface AccessTokenClaims {
	aud: string;
	iss: string;
	iat: number;
	nbf: number;
	exp: number;
	tid: string;
	oid: string;
	appid: string;
	idtyp: 'app' | 'user';
	roles?: string[]; // app-only
	scp?: string; // delegated, space separated
	upn?: string; // delegated
	name?: string;
	[claim: string]: unknown;
}

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; response: EmuResponse };

export type AdminOperation = (body: any) => Promise<unknown> | unknown;

export interface EmulatorContext {
	state: EmulatorState;
	clock: Clock;
	router: Router;
	admin: { register(operation: string, fn: AdminOperation): void };
	/** Verifies an `Authorization: Bearer` header against Graph: signature, audience, expiry on the emulator clock. */
	verifyGraphToken(authorization: string | undefined): TokenCheck;
	/** Resolves after `ms` of real time (latency injection). */
	sleep(ms: number): Promise<void>;
	/** Graph-shaped error body: {error:{code,message,innerError:{date,request-id,client-request-id}}} */
	graphError(status: number, code: string, message: string, headers?: Record<string, string>): EmuResponse;
	newId(): string; // GUID
	/** Signs a JWT with the emulator's token key (RS256, key published in JWKS). Used by identity/. */
	signJwt(payload: Record<string, unknown>): string;
	/** The mail store of a mailbox, created empty with the well-known folders when missing (New-Mailbox uses it). */
	ensureStore(mailboxId: string): MailboxStore;
	/** Hooks feature modules fill in for the core (scenario loader) to call. */
	hooks: EmulatorHooks;
	/** Adds an entry to the request log for what the HTTP pipeline does not see ($batch's inner requests). */
	logRequest(entry: Omit<RequestLogEntry, 'seq'>): void;
}

export interface EmulatorHooks {
	/**
	 * Seeds `count` messages into a folder of a mailbox (folder: well-known name or display name, e.g. 'inbox',
	 * 'Invoices'). The graph module owns message shape and exports this; the scenario loader calls it after the
	 * stores exist. Without it, scenario seed requests are skipped.
	 */
	seedMessages?(mailbox: Mailbox, folder: string, count: number): void | Promise<void>;
}
