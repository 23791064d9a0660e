/**
 * Exchange Online allows 4 concurrent requests per app per mailbox (more get 429 MailboxConcurrency), so every
 * Graph request takes a slot of its mailbox for as long as it is on the wire. Slots are process-wide: two
 * executions of the same credential against the same mailbox share them.
 */

export const MAILBOX_CONCURRENCY = 4;

class Semaphore {
	private active = 0;

	private readonly waiting: Array<() => void> = [];

	constructor(private readonly size: number) {}

	get idle() {
		return this.active === 0 && this.waiting.length === 0;
	}

	async acquire(): Promise<void> {
		if (this.active < this.size) {
			this.active++;
			return;
		}
		await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	release() {
		const next = this.waiting.shift();
		if (next) next();
		else this.active--;
	}
}

const mailboxSlots = new Map<string, Semaphore>();

/** Runs `fn` holding one of the mailbox's slots for `key` (credential + mailbox). */
export async function withMailboxSlot<T>(key: string, fn: () => Promise<T>): Promise<T> {
	let semaphore = mailboxSlots.get(key);
	if (!semaphore) {
		semaphore = new Semaphore(MAILBOX_CONCURRENCY);
		mailboxSlots.set(key, semaphore);
	}
	await semaphore.acquire();
	try {
		return await fn();
	} finally {
		semaphore.release();
		if (semaphore.idle) mailboxSlots.delete(key);
	}
}

/**
 * The first request of an execution per credential goes alone: when the saved token has expired, that request
 * gets the 401, n8n re-authenticates once and saves the token, and the requests waiting here then use it.
 * Without this, four concurrent requests would each get a 401 and request a token.
 */
class FirstRequestGate {
	private first?: Promise<void>;

	async run<T>(fn: () => Promise<T>): Promise<T> {
		if (!this.first) {
			let done!: () => void;
			this.first = new Promise<void>((resolve) => (done = resolve));
			try {
				return await fn();
			} finally {
				done();
			}
		}
		await this.first;
		return await fn();
	}
}

const gates = new WeakMap<object, Map<string, FirstRequestGate>>();

export async function throughFirstRequestGate<T>(
	context: object,
	credentialKey: string,
	fn: () => Promise<T>,
): Promise<T> {
	let perContext = gates.get(context);
	if (!perContext) {
		perContext = new Map();
		gates.set(context, perContext);
	}
	let gate = perContext.get(credentialKey);
	if (!gate) {
		gate = new FirstRequestGate();
		perContext.set(credentialKey, gate);
	}
	return await gate.run(fn);
}
