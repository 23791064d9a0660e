import type { AdminOperation } from './context';

/** An admin operation's refusal: answered as `{error:{code,message}}` with this status over HTTP, thrown in-process. */
export class AdminError extends Error {
	constructor(
		message: string,
		readonly status = 400,
		readonly code = 'InvalidOperation',
	) {
		super(message);
	}
}

export class AdminRegistry {
	private readonly ops = new Map<string, AdminOperation>();

	register(operation: string, fn: AdminOperation): void {
		const key = operation.toLowerCase();
		if (this.ops.has(key)) throw new Error(`Admin operation ${operation} registered twice`);
		this.ops.set(key, fn);
	}

	names(): string[] {
		return [...this.ops.keys()];
	}

	async run(operation: string, body: unknown): Promise<unknown> {
		const fn = this.ops.get(operation.toLowerCase());
		if (!fn) throw new AdminError(`Unknown admin operation '${operation}'`, 404, 'UnknownOperation');
		const result = await fn(body ?? {});
		return result === undefined ? {} : result;
	}
}

/** Reads a required string parameter of an admin body. */
export function requireParam(body: Record<string, unknown>, name: string): string {
	const value = body?.[name];
	if (typeof value !== 'string' || value === '') throw new AdminError(`Parameter ${name} is required`);
	return value;
}
