/**
 * When a failed Graph request may be sent again, and after how long; and the one loop that does it, for single
 * requests, pages, upload chunks and `$batch` rounds alike.
 * - 429 and 503/504 with Retry-After: Graph did not process the request, so any request is retried after the
 *   time Graph asked for (with jitter so parallel items do not return in lockstep), for as long as the
 *   request's throttle budget (the node's "Max Wait on Throttling") lasts: Exchange's limits are per 10 minutes
 *   and per minute, so a count of retries says nothing about whether the window has passed.
 * - 429 without Retry-After: retried with exponential backoff (also not processed).
 * - Other 5xx: retried with backoff only when the request is idempotent (a 500 on sendMail may have sent).
 * - Connection failures: before the request was sent (refused, DNS) any request is retried; after (reset,
 *   timeout) only idempotent ones; a non-idempotent one ends as "outcome unknown".
 * - `$batch` inner requests: see decideOnBatchRound.
 */
import type { IDataObject } from 'n8n-workflow';

import type { HttpAnswer } from './http';

export interface RetryPolicy {
	/**
	 * Total time one request may spend waiting on throttling (429 / 503 / 504 with Retry-After) before it fails.
	 * A Retry-After longer than what is left ends the waiting at once (the error says how long Graph asked for).
	 */
	throttleBudgetMs: number;
	/** Only for $batch inner requests (rounds of a batch, decideOnBatchRound); single requests use the budget. */
	maxThrottleRetries: number;
	/** Retries of idempotent requests after other 5xx or connection failures. */
	maxServerErrorRetries: number;
	/** Longest single Retry-After $batch honours (decideOnBatchRound); single requests use the budget. */
	maxRetryAfterMs: number;
	baseBackoffMs: number;
	maxBackoffMs: number;
}

/** The node's default "Max Wait on Throttling (Minutes)". */
export const DEFAULT_THROTTLE_WAIT_MINUTES = 5;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	throttleBudgetMs: DEFAULT_THROTTLE_WAIT_MINUTES * 60_000,
	maxThrottleRetries: 4,
	maxServerErrorRetries: 3,
	maxRetryAfterMs: 120_000,
	baseBackoffMs: 500,
	maxBackoffMs: 8_000,
};

/** Errors of a connection that never carried the request. */
const NOT_SENT_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'CERT_HAS_EXPIRED',
]);
/** Errors after which the server may have received and processed the request. */
const UNKNOWN_OUTCOME_CODES = new Set([
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNABORTED',
	'EPIPE',
	'ESOCKETTIMEDOUT',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
	'UND_ERR_SOCKET',
	'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isNetworkCode(code: string | undefined): boolean {
	return !!code && (NOT_SENT_CODES.has(code) || UNKNOWN_OUTCOME_CODES.has(code));
}

export function requestMayHaveBeenSent(code: string): boolean {
	return !NOT_SENT_CODES.has(code);
}

/** The connection failed (no HTTP answer). `code` is the socket error code, or 'ERROR' when there is none. */
export class ConnectionFailure extends Error {
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
		this.name = 'ConnectionFailure';
	}
}

/** Retry-After as seconds or HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
	if (!value) return undefined;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
	const at = Date.parse(trimmed);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, at - now);
}

export function withJitter(ms: number): number {
	return ms + Math.floor(Math.random() * Math.min(1000, ms * 0.2 + 50));
}

export function backoffMs(attempt: number, policy: RetryPolicy): number {
	return withJitter(Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** attempt));
}

export type RetryDecision =
	| {
			retry: true;
			delayMs: number;
			reason: string;
			/** Counted against the throttle budget (true), the server-error retries (false), or not at all. */
			throttled: boolean | 'uncounted';
			/** The answer that was throttled, for the "waiting" notice. */
			status?: number;
			retryAfterMs?: number;
	  }
	| { retry: false; budgetExhausted?: boolean };

export function isThrottled(status: number, retryAfterMs: number | undefined): boolean {
	return status === 429 || ((status === 503 || status === 504) && retryAfterMs !== undefined);
}

export function decideOnStatus(
	status: number,
	retryAfterMs: number | undefined,
	idempotent: boolean,
	attempts: { throttle: number; server: number; throttleWaitedMs?: number },
	policy: RetryPolicy,
): RetryDecision {
	if (isThrottled(status, retryAfterMs)) {
		const left = policy.throttleBudgetMs - (attempts.throttleWaitedMs ?? 0);
		// "Retry-After: 0" again and again would make a hot loop for the whole budget: from the second retry on,
		// wait at least a second.
		const asked = retryAfterMs !== undefined && attempts.throttle > 0 ? Math.max(retryAfterMs, 1000) : retryAfterMs;
		const wanted = asked ?? backoffMs(attempts.throttle, policy);
		// Waiting less than Graph asked would only earn another 429; waiting past the budget is what the user ruled out.
		if (wanted > left) return { retry: false, budgetExhausted: true };
		const delayMs = Math.min(left, asked !== undefined ? withJitter(asked) : wanted);
		const reason =
			retryAfterMs !== undefined ? `${status} Retry-After ${retryAfterMs} ms` : `${status} without Retry-After`;
		return { retry: true, delayMs, reason, throttled: true };
	}
	if (status >= 500 && idempotent) {
		if (attempts.server >= policy.maxServerErrorRetries) return { retry: false };
		return { retry: true, delayMs: backoffMs(attempts.server, policy), reason: `${status}`, throttled: false };
	}
	return { retry: false };
}

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (ms <= 0) return;
	// n8n-workflow 2.41.0 (our peer) has no abort-aware sleep helper yet; a cancelled execution must not wait.
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(timer);
			reject(new Error('The execution was cancelled while waiting to retry a Graph request'));
		};
		if (signal?.aborted) onAbort();
		else signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/** What happened to one logical request (or one `$batch` call) across its attempts. */
export interface RetryState {
	idempotent: boolean;
	policy: RetryPolicy;
	throttleRetries: number;
	serverRetries: number;
	/** Time spent waiting on throttling so far (against policy.throttleBudgetMs). */
	throttleWaitedMs: number;
	/** The last throttled answer came when (or asked for more than) the budget had left. */
	throttleBudgetExhausted?: boolean;
	/** A connection failure the retries did not overcome. */
	networkFailure?: { code: string; message: string; maySent: boolean };
	signal?: AbortSignal;
	log?: (message: string, meta?: IDataObject) => void;
	/** Called before each wait on throttling, so the node can say that it is waiting and for how long. */
	onThrottleWait?: (delayMs: number, status: number, retryAfterMs: number | undefined) => void;
}

export function newRetryState(
	options: Pick<RetryState, 'idempotent' | 'signal' | 'log' | 'onThrottleWait'> & { policy?: Partial<RetryPolicy> },
): RetryState {
	return {
		idempotent: options.idempotent,
		policy: { ...DEFAULT_RETRY_POLICY, ...options.policy },
		throttleRetries: 0,
		serverRetries: 0,
		throttleWaitedMs: 0,
		signal: options.signal,
		log: options.log,
		onThrottleWait: options.onThrottleWait,
	};
}

/** An HTTP answer under the rules above. */
export function decideOnAnswer(answer: HttpAnswer, state: RetryState): RetryDecision {
	if (answer.status < 400) return { retry: false };
	const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
	const decision = decideOnStatus(
		answer.status,
		retryAfterMs,
		state.idempotent,
		{ throttle: state.throttleRetries, server: state.serverRetries, throttleWaitedMs: state.throttleWaitedMs },
		state.policy,
	);
	return decision.retry ? { ...decision, status: answer.status, retryAfterMs } : decision;
}

/** One round of `$batch` calls: which inner requests did not run, and why. */
export interface BatchRound {
	/** Inner requests to send again (throttled ones and the 424s behind a failed link). */
	again: number;
	/** Inner requests this round sent. */
	sent: number;
	/** Longest Retry-After of the throttled inner requests (1 s for those without one); undefined: none throttled. */
	throttledWaitMs?: number;
}

/**
 * `$batch` rounds count, unlike single requests: an inner request throttled `maxThrottleRetries` rounds in a row
 * keeps its 429, and a Retry-After above `maxRetryAfterMs` ends the rounds (inner requests share one wait, the
 * longest asked for). 424s (a link before them failed) run again at once, uncounted, as long as something ran.
 */
export function decideOnBatchRound(round: BatchRound, state: RetryState): RetryDecision {
	if (!round.again) return { retry: false };
	if (round.throttledWaitMs !== undefined) {
		if (round.throttledWaitMs > state.policy.maxRetryAfterMs) return { retry: false };
		return {
			retry: true,
			delayMs: withJitter(round.throttledWaitMs),
			reason: `inner requests throttled, Retry-After ${round.throttledWaitMs} ms`,
			throttled: true,
		};
	}
	// Nothing ran and nothing was throttled: Graph did not answer as documented; do not loop.
	if (round.again === round.sent) return { retry: false };
	return { retry: true, delayMs: 0, reason: 'inner requests behind a failed link (424)', throttled: 'uncounted' };
}

/**
 * The retry loop. `attempt` runs once per try; `judge` says whether its result is final. Connection failures
 * (ConnectionFailure) are retried here: any request when nothing was sent, idempotent ones otherwise.
 */
export async function retrying<T>(
	state: RetryState,
	attempt: () => Promise<T>,
	judge: (result: T, state: RetryState) => RetryDecision,
): Promise<T> {
	for (;;) {
		let result: T;
		try {
			result = await attempt();
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- not ours to judge; passes through
			if (!(error instanceof ConnectionFailure)) throw error;
			const maySent = requestMayHaveBeenSent(error.code);
			const retryable = isNetworkCode(error.code) && (!maySent || state.idempotent);
			if (retryable && state.serverRetries < state.policy.maxServerErrorRetries) {
				const delayMs = backoffMs(state.serverRetries, state.policy);
				state.serverRetries++;
				state.log?.('Graph request failed on the connection; retrying', { code: error.code, delayMs });
				await sleep(delayMs, state.signal);
				continue;
			}
			state.networkFailure = { code: error.code, message: error.message, maySent };
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- errors.ts maps it for the caller
			throw error;
		}
		const decision = judge(result, state);
		if (!decision.retry) {
			if (decision.budgetExhausted) state.throttleBudgetExhausted = true;
			return result;
		}
		if (decision.throttled === true) {
			state.throttleRetries++;
			state.throttleWaitedMs += decision.delayMs;
			if (decision.status !== undefined)
				state.onThrottleWait?.(decision.delayMs, decision.status, decision.retryAfterMs);
		} else if (decision.throttled === false) state.serverRetries++;
		state.log?.('Graph request retried', { reason: decision.reason, delayMs: decision.delayMs });
		await sleep(decision.delayMs, state.signal);
	}
}

/** "Max Wait on Throttling (Minutes)" as milliseconds; bad values fall back to the default. */
export function throttleBudgetFromMinutes(minutes: unknown): number {
	const n = typeof minutes === 'string' ? Number(minutes) : minutes;
	if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return DEFAULT_RETRY_POLICY.throttleBudgetMs;
	return Math.round(n * 60_000);
}
