import { AdminError } from './admin';

export interface Fault {
	id: string;
	method?: string;
	pathRegex: RegExp;
	status?: number;
	body?: unknown;
	headers?: Record<string, string>;
	reset: boolean;
	delayMs: number;
	remaining: number; // Infinity = until Clear-Faults
}

/** Scripted faults (Add-Fault): the first matching fault with uses left applies to a request of any kind. */
export class Faults {
	private faults: Fault[] = [];
	private seq = 0;

	add(body: Record<string, any>): { Id: string } {
		if (typeof body.PathRegex !== 'string') throw new AdminError('Parameter PathRegex is required');
		let pathRegex: RegExp;
		try {
			pathRegex = new RegExp(body.PathRegex, 'i');
		} catch (err) {
			throw new AdminError(`PathRegex is not a valid regular expression: ${(err as Error).message}`);
		}
		if (body.Status === undefined && !body.Reset && !body.DelayMs) {
			throw new AdminError('A fault needs Status, Reset or DelayMs');
		}
		const fault: Fault = {
			id: `fault-${++this.seq}`,
			method: typeof body.Method === 'string' ? body.Method.toUpperCase() : undefined,
			pathRegex,
			status: body.Status === undefined ? undefined : Number(body.Status),
			body: body.Body,
			headers: body.Headers,
			reset: Boolean(body.Reset),
			delayMs: Number(body.DelayMs ?? 0),
			remaining: body.Count === undefined || body.Count === null ? Infinity : Number(body.Count),
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
		const fault = this.faults.find(
			(f) =>
				f.remaining > 0 &&
				(!f.method || f.method === method.toUpperCase()) &&
				(f.pathRegex.test(path) || f.pathRegex.test(rawPathWithQuery)),
		);
		if (fault) fault.remaining--;
		return fault;
	}
}
