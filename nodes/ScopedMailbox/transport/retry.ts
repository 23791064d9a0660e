/**
 * When a failed Graph request may be sent again, and after how long.
 * - 429 and 503/504 with Retry-After: Graph did not process the request, so any request is retried after the
 *   time Graph asked for (with jitter so parallel items do not return in lockstep), for as long as the
 *   request's throttle budget (the node's "Max Wait on Throttling") lasts: Exchange's limits are per 10 minutes
 *   and per minute, so a count of retries says nothing about whether the window has passed.
 * - 429 without Retry-After: retried with exponential backoff (also not processed).
 * - Other 5xx: retried with backoff only when the request is idempotent (a 500 on sendMail may have sent).
 * - Connection failures: before the request was sent (refused, DNS) any request is retried; after (reset,
 *   timeout) only idempotent ones; a non-idempotent one ends as "outcome unknown".
 */

export interface RetryPolicy {
	/**
	 * Total time one request may spend waiting on throttling (429 / 503 / 504 with Retry-After) before it fails.
	 * A Retry-After longer than what is left ends the waiting at once (the error says how long Graph asked for).
	 */
	throttleBudgetMs: number;
	/** Only for $batch inner requests (transport/batch.ts counts its own rounds); single requests use the budget. */
	maxThrottleRetries: number;
	/** Retries of idempotent requests after other 5xx or connection failures. */
	maxServerErrorRetries: number;
	/** Longest single Retry-After $batch honours (transport/batch.ts); single requests use the budget. */
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
	| { retry: true; delayMs: number; reason: string; throttled: boolean }
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

/** "Max Wait on Throttling (Minutes)" as milliseconds; bad values fall back to the default. */
export function throttleBudgetFromMinutes(minutes: unknown): number {
	const n = typeof minutes === 'string' ? Number(minutes) : minutes;
	if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return DEFAULT_RETRY_POLICY.throttleBudgetMs;
	return Math.round(n * 60_000);
}
