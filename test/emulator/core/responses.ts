import type { Clock, EmuResponse } from './context';
import { newGuid } from './ids';

/** A thrown response: handlers and helpers (json(), form()) throw it and the server answers with it. */
export class HttpError extends Error {
	constructor(readonly response: EmuResponse) {
		super(`HTTP ${response.status}`);
	}
}

export function graphErrorFactory(clock: Clock) {
	return (status: number, code: string, message: string, headers: Record<string, string> = {}): EmuResponse => {
		const requestId = newGuid();
		return {
			status,
			headers: { 'request-id': requestId, 'client-request-id': requestId, ...headers },
			body: {
				error: {
					code,
					message,
					innerError: {
						date: new Date(clock.now()).toISOString().slice(0, 19),
						'request-id': requestId,
						'client-request-id': requestId,
					},
				},
			},
		};
	};
}
