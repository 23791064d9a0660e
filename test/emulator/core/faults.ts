import { AdminError } from './admin';

export interface Fault {
	id: string;
	method?: string;
	pathRegex: RegExp;
	status?: number;
	body?: unknown;
	headers?: Record<string, string>;
	reset: boolean;
	/** Reset the connection after the request was carried out (the client cannot tell which happened). */
	resetAfter: boolean;
	delayMs: number;
	remaining: number; // Infinity = until Clear-Faults
	/** Matching requests to let through before the fault applies. */
	skip: number;
	/** Emulator-clock epoch ms after which the fault no longer applies (ForSeconds). */
	until: number;
}

/** Scripted faults (Add-Fault): the first matching fault with uses left applies to a request of any kind. */
export class Faults {
	private faults: Fault[] = [];
	private seq = 0;

	constructor(private readonly now: () => number = Date.now) {}

	add(body: Record<string, any>): { Id: string } {
		if (typeof body.PathRegex !== 'string') throw new AdminError('Parameter PathRegex is required');
		let pathRegex: RegExp;
		try {
			pathRegex = new RegExp(body.PathRegex, 'i');
		} catch (err) {
			throw new AdminError(`PathRegex is not a valid regular expression: ${(err as Error).message}`);
		}
		if (body.Status === undefined && !body.Reset && !body.ResetAfter && !body.DelayMs) {
			throw new AdminError('A fault needs Status, Reset, ResetAfter or DelayMs');
		}
		const forSeconds = body.ForSeconds === undefined || body.ForSeconds === null ? Infinity : Number(body.ForSeconds);
		if (!(forSeconds > 0)) throw new AdminError('ForSeconds must be a number > 0');
		const fault: Fault = {
			id: `fault-${++this.seq}`,
			method: typeof body.Method === 'string' ? body.Method.toUpperCase() : undefined,
			pathRegex,
			status: body.Status === undefined ? undefined : Number(body.Status),
			body: body.Body,
			headers: body.Headers,
			reset: Boolean(body.Reset),
			resetAfter: Boolean(body.ResetAfter),
			delayMs: Number(body.DelayMs ?? 0),
			remaining: body.Count === undefined || body.Count === null ? Infinity : Number(body.Count),
			skip: Number(body.Skip ?? 0),
			until: this.now() + forSeconds * 1000,
		};
		this.faults.push(fault);
		return { Id: fault.id };
	}

	clear(): void {
		this.faults = [];
	}

	list(): Fault[] {
		return this.faults;
	}

	/** Matches against the decoded path and against the raw path with its query string. */
	take(method: string, path: string, rawPathWithQuery: string): Fault | undefined {
		const now = this.now();
		for (const f of this.faults) {
			if (f.remaining <= 0 || now >= f.until) continue;
			if (f.method && f.method !== method.toUpperCase()) continue;
			if (!f.pathRegex.test(path) && !f.pathRegex.test(rawPathWithQuery)) continue;
			if (f.skip > 0) {
				f.skip--;
				continue;
			}
			f.remaining--;
			return f;
		}
		return undefined;
	}
}
