import type { Clock } from './context';

/** The emulator's clock: real time plus an offset that tests move with Advance-Clock / Set-Clock. */
export function createClock(): Clock {
	let offset = 0;
	return {
		now: () => Date.now() + offset,
		advance(ms: number) {
			offset += ms;
		},
		set(epochMs: number) {
			offset = epochMs - Date.now();
		},
	};
}
