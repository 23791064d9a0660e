/**
 * Waiting in tests: poll what the test is waiting for (the emulator's request log, its state, a receiver's
 * inbox) instead of sleeping a fixed time. A fixed sleep is either too short on a busy 2-core machine or wastes
 * time on a fast one; a poll returns as soon as the thing has happened and fails with its name when it does not.
 */

export interface WaitForOptions {
	/** What is awaited, for the timeout message ("the reauthorizationRequired notification"). */
	what: string;
	/** Give up after this long (real time). Generous by default: the poll returns early when things go well. */
	timeoutMs?: number;
	/** Pause between polls. */
	intervalMs?: number;
	/** Extra text for the timeout message, e.g. the last request log or the workflow's log. */
	context?: () => string | Promise<string>;
}

/** Present (not undefined, null or false): the value waitFor hands back. */
type Present<T> = Exclude<T, undefined | null | false>;

/**
 * Resolves with the condition's first value that is not undefined, null or false; throws
 * `timed out after N ms waiting for <what>` when none came within the timeout. 0 and '' count as present.
 */
export async function waitFor<T>(
	condition: () => T | Promise<T>,
	{ what, timeoutMs = 20_000, intervalMs = 20, context }: WaitForOptions,
): Promise<Present<T>> {
	const started = Date.now();
	for (;;) {
		const value = await condition();
		if (value !== undefined && value !== null && value !== false) return value as Present<T>;
		const waited = Date.now() - started;
		if (waited > timeoutMs) {
			const extra = context ? `\n${await context()}` : '';
			throw new Error(`timed out after ${waited} ms waiting for ${what}${extra}`);
		}
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}

/** The request-log entry fields the waits match on (see test/emulator/README.md, Get-RequestLog). */
export interface RequestLogEntry {
	seq: number;
	method: string;
	path: string;
	status: number;
	kind: string;
	[field: string]: unknown;
}

interface HasAdmin {
	admin<T = unknown>(operation: string, body?: object): Promise<T>;
}

/**
 * Waits until the emulator's request log holds at least `count` entries matching `match` (after `since`, a seq)
 * and returns those entries.
 */
export async function waitForRequests(
	emu: HasAdmin,
	match: (entry: RequestLogEntry) => boolean,
	options: WaitForOptions & { count?: number; since?: number },
): Promise<RequestLogEntry[]> {
	const count = options.count ?? 1;
	const body = options.since === undefined ? {} : { Since: options.since };
	let last: RequestLogEntry[] = [];
	return await waitFor(
		async () => {
			last = (await emu.admin<RequestLogEntry[]>('Get-RequestLog', body)).filter(match);
			return last.length >= count ? last : undefined;
		},
		{
			...options,
			what: `${count} request(s): ${options.what}`,
			context: async () =>
				`matching so far: ${last.map((e) => `${e.method} ${e.path} ${e.status}`).join('; ') || 'none'}` +
				(options.context ? `\n${await options.context()}` : ''),
		},
	);
}
