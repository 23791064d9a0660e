/**
 * Exchange's per-app-per-mailbox limits: concurrent requests (MailboxConcurrency, 4) and requests per 10 minutes.
 * A request holds its slot for its whole service time, injected latency included, so 4 slots at 100 ms give
 * at most 40 requests per second.
 */
import type { EmulatorContext } from '../core/context';

interface Counter {
	inFlight: number;
	/** Most requests this app had in flight against this mailbox at once (tests read it instead of timing). */
	peakInFlight: number;
	windowStart: number;
	count: number;
}

const counters = new WeakMap<EmulatorContext, Map<string, Counter>>();

export type Admission =
	| { ok: true; release: () => void }
	| { ok: false; status: 429; message: string; retryAfter: number };

export function admit(ctx: EmulatorContext, appId: string, mailboxId: string): Admission {
	let byKey = counters.get(ctx);
	if (!byKey) counters.set(ctx, (byKey = new Map()));
	const key = `${appId.toLowerCase()}|${mailboxId.toLowerCase()}`;
	let c = byKey.get(key);
	const now = ctx.clock.now();
	if (!c) byKey.set(key, (c = { inFlight: 0, peakInFlight: 0, windowStart: now, count: 0 }));
	if (now - c.windowStart >= 600_000 || now < c.windowStart) {
		c.windowStart = now;
		c.count = 0;
	}
	const { mailboxConcurrency, rateLimitPer10Min } = ctx.state.settings;
	if (c.inFlight >= mailboxConcurrency) {
		return { ok: false, status: 429, message: 'Application is over its MailboxConcurrency limit.', retryAfter: 1 };
	}
	if (c.count >= rateLimitPer10Min) {
		const retryAfter = Math.max(1, Math.ceil((c.windowStart + 600_000 - now) / 1000));
		return { ok: false, status: 429, message: 'Application is over its RequestLimit limit.', retryAfter };
	}
	c.inFlight += 1;
	c.peakInFlight = Math.max(c.peakInFlight, c.inFlight);
	c.count += 1;
	const counter = c;
	let released = false;
	return {
		ok: true,
		release: () => {
			if (released) return;
			released = true;
			counter.inFlight -= 1;
		},
	};
}

/** Peak concurrent requests per app and mailbox since the last reset; `reset` starts counting anew. */
export function concurrencyPeaks(ctx: EmulatorContext, reset = false): Record<string, number> {
	const out: Record<string, number> = {};
	for (const [key, c] of counters.get(ctx) ?? []) {
		out[key] = c.peakInFlight;
		if (reset) c.peakInFlight = c.inFlight;
	}
	return out;
}
