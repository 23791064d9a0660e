import type { RequestLogEntry } from './context';

/** Every request the emulator answered, in order; tests and benchmarks count from it. */
export class RequestLog {
	private entries: RequestLogEntry[] = [];
	private seq = 0;

	add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
		const full = { seq: ++this.seq, ...entry };
		this.entries.push(full);
		if (this.entries.length > 100_000) this.entries.splice(0, 50_000);
		return full;
	}

	/** Since: a sequence number (entries after it) or an ISO time / epoch ms (entries at or after it). */
	list(since?: number | string): RequestLogEntry[] {
		if (since === undefined || since === null || since === '') return [...this.entries];
		if (typeof since === 'number' && since < 1e11) return this.entries.filter((e) => e.seq > since);
		const at = typeof since === 'number' ? since : Date.parse(since);
		return this.entries.filter((e) => e.at >= at);
	}

	clear(): void {
		this.entries = [];
	}
}
