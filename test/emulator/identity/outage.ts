import type { EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import { aadError } from './errors';
import type { IdentityState } from './model';

/** Set-TokenOutage: token and managed-identity endpoints answer this status while the outage lasts. */
export function outageResponse(ctx: EmulatorContext, ids: IdentityState, req: EmuRequest): EmuResponse | undefined {
	const outage = ids.outage;
	if (!outage || outage.remaining <= 0) return undefined;
	outage.remaining--;
	const headers: Record<string, string> =
		outage.retryAfter !== undefined ? { 'Retry-After': String(outage.retryAfter) } : {};
	if (outage.status === 429) {
		return aadError(
			ctx.clock,
			req,
			'temporarily_unavailable',
			90055,
			'The request was throttled. Please try again later.',
			429,
			headers,
		);
	}
	return aadError(
		ctx.clock,
		req,
		'temporarily_unavailable',
		90033,
		'A transient error has occurred. Please try again.',
		outage.status,
		headers,
	);
}
