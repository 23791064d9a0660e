/**
 * Graph failures as n8n errors, the one way from what the transport saw (an HTTP answer, a failed connection, a
 * failed authentication) to the error the user sees, for single requests, pages, `$batch` inner requests and
 * upload chunks alike. Messages name the mailbox, the identity and the fix; nothing in them (nor in the error's
 * captured response) carries a token, an Authorization header or a credential value.
 */
import { NodeApiError, NodeOperationError, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';

import { describeAccessToken } from '../auth/tokenClaims';
import { deniedFix } from './deniedHint';
import type { TransportAuthenticationError } from './http';
import { isThrottled, parseRetryAfter, type RetryState } from './retry';

/** What the transport knows about a failed Graph response (no request or response headers beyond these). */
export interface GraphFailure {
	status: number;
	code: string;
	message: string;
	requestId?: string;
	date?: string;
	retryAfterSeconds?: number;
	/** Inner error details Graph sometimes adds (`details`, `innerError.code`). */
	detail?: string;
	/** Retries the transport made before giving up. */
	attempts?: number;
	/** Time the request waited on throttling, and the budget it had ("Max Wait on Throttling"). */
	throttleWaitedSeconds?: number;
	throttleBudgetSeconds?: number;
	/** The budget ran out (or Graph asked for more than was left). */
	throttleBudgetExhausted?: boolean;
}

export interface ErrorContext {
	node: INode;
	mailbox?: string;
	/** `app 1234...` / `user a@b (app 1234...)`, or undefined when the token is not at hand. */
	identity?: string;
	itemIndex?: number;
	method: string;
	/** Path without host and query (no user values beyond the already-validated mailbox and ids). */
	path: string;
	/** Extra text for the "what to do" part, from the caller. */
	hint?: string;
}

/**
 * A non-idempotent request (sendMail, send, reply, forward, createUploadSession...) lost its connection after
 * it was sent: Graph may or may not have acted on it. The operation reports this instead of sending again.
 */
export class SendOutcomeUnknownError extends NodeOperationError {
	readonly outcomeUnknown = true;

	constructor(node: INode, message: string, options: { itemIndex?: number; description?: string } = {}) {
		super(node, message, { itemIndex: options.itemIndex, description: options.description, level: 'warning' });
		this.name = 'SendOutcomeUnknownError';
	}
}

export function isSendOutcomeUnknownError(error: unknown): error is SendOutcomeUnknownError {
	return !!error && typeof error === 'object' && (error as Error).name === 'SendOutcomeUnknownError';
}

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/** Removes anything that looks like a token from text that came from the network. */
export function scrubSecrets(text: string, secrets: string[] = []): string {
	let out = text.replace(JWT, '[redacted token]').replace(BEARER, '$1 [redacted]');
	for (const secret of secrets) {
		if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
	}
	return out;
}

/** "app <appId>" or "user <upn> (app <appId>)" from the access token's claims (not verified). */
export function describeIdentity(accessToken: unknown): string | undefined {
	if (typeof accessToken !== 'string' || !accessToken) return undefined;
	const claims = describeAccessToken(accessToken);
	if (!claims?.appId) return undefined;
	const name = claims.displayName ? ` "${claims.displayName}"` : '';
	if (claims.kind === 'delegated') return `user ${claims.upn ?? claims.objectId} (app ${claims.appId}${name})`;
	return `app ${claims.appId}${name}`;
}

function mailboxText(mailbox: string | undefined) {
	return mailbox ? `mailbox ${mailbox}` : 'the mailbox';
}

function graphSays(failure: GraphFailure): string {
	const parts = [`Graph answered ${failure.status} ${failure.code}: ${failure.message}`];
	if (failure.detail) parts.push(`(${failure.detail})`);
	if (failure.requestId) parts.push(`[request-id ${failure.requestId}]`);
	return parts.join(' ');
}

/** Maps a Graph failure to the NodeApiError the user sees. */
export function graphError(failure: GraphFailure, context: ErrorContext): NodeApiError {
	const who = context.identity ? `This identity (${context.identity})` : 'This identity';
	const where = mailboxText(context.mailbox);
	let message: string;
	let fix: string;
	const code = failure.code;
	if (failure.status === 403 && /AccessDenied|Authorization_RequestDenied|ErrorAccessDenied/i.test(code)) {
		message = `${who} is not allowed to use ${where}: Exchange scoping (RBAC for Applications or an ApplicationAccessPolicy) does not include it, or the permission is missing`;
		fix = deniedFix(context);
	} else if (failure.status === 403) {
		message = `${who} was refused by Microsoft Graph for ${where} (${code})`;
		fix = deniedFix(context);
	} else if (
		failure.status === 404 &&
		/ErrorInvalidUser|MailboxNotEnabledForRESTAPI|ResourceNotFound.*user/i.test(code)
	) {
		message = `Mailbox ${context.mailbox ?? ''} was not found`.replace(/\s+was/, ' was');
		fix =
			'Check the address: it must be the primary SMTP address, user principal name or object ID of an Exchange Online mailbox in the tenant of the credential (an alias or a distribution list does not work).';
	} else if (failure.status === 404) {
		message = `Not found in ${where}: ${failure.message}`;
		fix =
			'The item (message, folder or attachment) may have been moved or deleted, or the ID belongs to another mailbox.';
	} else if (failure.status === 401) {
		message = `Microsoft Graph rejected the access token of ${context.identity ?? 'this credential'} (${code})`;
		fix =
			"n8n already requested a new token once. Check that the credential's cloud and Graph base URL match the tenant (the token audience must be that Graph), and that the application or user is still enabled.";
	} else if (failure.status === 429 || failure.throttleBudgetExhausted) {
		const waited = failure.throttleWaitedSeconds ?? 0;
		const budget = failure.throttleBudgetSeconds;
		message = failure.throttleBudgetExhausted
			? `Microsoft Graph kept throttling requests to ${where} (${code}): the node waited ${waited} s in ${failure.attempts ?? 0} retries and its Max Wait on Throttling (${budget !== undefined ? `${+(budget / 60).toFixed(2)} min` : 'the budget'}) is spent${failure.retryAfterSeconds ? `; Graph asked to wait another ${failure.retryAfterSeconds} s` : ''}`
			: `Microsoft Graph kept throttling requests to ${where} (${code})${failure.attempts ? ` after ${failure.attempts} retries` : ''}`;
		fix =
			'Exchange allows 4 concurrent requests and 10,000 requests per 10 minutes per app and mailbox, and 30 messages a minute per mailbox. Raise "Max Wait on Throttling (Minutes)" in the node, run fewer items at once, spread the workflow over time, or retry later' +
			(failure.retryAfterSeconds ? ` (Graph asked to wait ${failure.retryAfterSeconds} s)` : '') +
			'. This request was not carried out (Graph refuses throttled requests before acting on them).';
	} else if (failure.status === 413) {
		message = `The request to ${where} is too large for Microsoft Graph (${code})`;
		fix =
			'Requests must stay under 4 MB: attachments above 3 MB go through an upload session (up to 150 MB each). Reduce the attachments or the body size.';
	} else if (failure.status === 400) {
		message = `Microsoft Graph refused the request for ${where}: ${failure.message}`;
		fix = "Check the values of the node's parameters (filters, ids, addresses).";
	} else if (failure.status >= 500) {
		message = `Microsoft Graph failed (${failure.status} ${code}) for ${where}`;
		fix = "This is on Microsoft's side; retry later. Check https://status.cloud.microsoft if it persists.";
	} else {
		message = `Microsoft Graph returned ${failure.status} ${code} for ${where}`;
		fix = failure.message;
	}
	if (context.hint) fix = `${fix} ${context.hint}`;
	const description = `${graphSays(failure)}. ${fix}`;
	// Only our own summary goes into the error: never the raw HTTP error with its request headers.
	const response: JsonObject = {
		status: failure.status,
		code: failure.code,
		message: scrubSecrets(failure.message),
		method: context.method,
		path: context.path,
		...(failure.requestId ? { requestId: failure.requestId } : {}),
		...(failure.date ? { date: failure.date } : {}),
		...(context.mailbox ? { mailbox: context.mailbox } : {}),
	};
	const error = new NodeApiError(context.node, response, {
		message: scrubSecrets(message),
		description: scrubSecrets(description),
		httpCode: String(failure.status),
		itemIndex: context.itemIndex,
	});
	return error;
}

export function connectionProblem(code: string): string {
	switch (code) {
		case 'ECONNREFUSED':
			return 'the connection was refused';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the host name could not be resolved';
		case 'ETIMEDOUT':
		case 'ESOCKETTIMEDOUT':
		case 'ECONNABORTED':
		case 'ERR_SOCKET_CONNECTION_TIMEOUT':
			return 'the request timed out';
		default:
			return 'the connection was closed unexpectedly';
	}
}

/** Connection failures of idempotent requests after the bounded retries, or before a request was sent. */
export function networkError(context: ErrorContext, code: string, detail: string): NodeApiError {
	// The code stays out of the message and out of a `code` key: n8n would replace the message with its generic text.
	const response: JsonObject = { networkCode: code, method: context.method, path: context.path };
	return new NodeApiError(context.node, response, {
		message: `Could not reach Microsoft Graph for ${mailboxText(context.mailbox)}: ${connectionProblem(code)}`,
		description: `${code}: ${scrubSecrets(detail)}. Check the network path (proxy, firewall, DNS) to the Graph endpoint of the credential's cloud.`,
		itemIndex: context.itemIndex,
	});
}

/** What Graph's error body and headers say, with what the retries did (`state`, when there were retries). */
export function failureFrom(
	status: number,
	headers: Record<string, string>,
	body: unknown,
	state?: RetryState,
): GraphFailure {
	let code = `HTTP${status}`;
	let message = '';
	let requestId = headers['request-id'];
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
	const retryAfterMs = parseRetryAfter(headers['retry-after']);
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

/**
 * An HTTP failure as the user's error. A throttled one is tagged `throttled`: Graph refused it before acting, so
 * a send that ends here was not sent (actions/common/sendReport.ts).
 */
export function httpError(
	answer: { status: number; headers: Record<string, string>; body: unknown },
	context: ErrorContext,
	state?: RetryState,
): NodeApiError {
	const failure = failureFrom(answer.status, answer.headers, answer.body, state);
	const error = graphError(failure, context);
	const retryAfterMs = failure.retryAfterSeconds !== undefined ? failure.retryAfterSeconds * 1000 : undefined;
	if (isThrottled(failure.status, retryAfterMs)) Object.assign(error, { throttled: true });
	return error;
}

/** A connection failure after the retries: "outcome unknown" when a non-idempotent request may have arrived. */
export function connectionError(
	failure: { code: string; message: string; maySent: boolean },
	idempotent: boolean,
	context: ErrorContext,
): NodeApiError | SendOutcomeUnknownError {
	if (idempotent || !failure.maySent) return networkError(context, failure.code, failure.message);
	return new SendOutcomeUnknownError(
		context.node,
		`The request for ${mailboxText(context.mailbox)} was sent to Microsoft Graph but ${connectionProblem(failure.code)} before an answer came: it may or may not have been carried out`,
		{
			itemIndex: context.itemIndex,
			description: `${failure.code} on ${context.method} ${context.path}. It was not sent again, so that nothing is done twice. Check the mailbox (e.g. its Sent Items) before running this item again.`,
		},
	);
}

/** n8n could not authenticate. A fresh error: the one n8n threw may hold the token request (form body, secret). */
export function authenticationError(failure: TransportAuthenticationError, context: ErrorContext): NodeApiError {
	const message = scrubSecrets(failure.message);
	return new NodeApiError(
		context.node,
		{ message, ...(failure.httpCode ? { httpCode: failure.httpCode } : {}) },
		{
			message,
			description: failure.description ? scrubSecrets(failure.description) : undefined,
			httpCode: failure.httpCode,
			itemIndex: context.itemIndex,
		},
	);
}
