/**
 * Runs an operation's items concurrently while keeping n8n's item semantics: outputs in input order, each
 * with its pairedItem. Per mailbox at most MAILBOX_CONCURRENCY items run at once (graphRequest also holds a
 * mailbox slot per request, so items doing several requests cannot exceed Exchange's limit either).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { MAILBOX_CONCURRENCY } from './limits';

export interface RunForItemsOptions {
	/** Items in flight per mailbox (default 4, Exchange's limit per app and mailbox). */
	perMailbox?: number;
	/** Items in flight in total (default 16). */
	total?: number;
	/**
	 * Called when an item's worker throws: return the items to output in its place (Continue On Fail), or
	 * undefined to fail the node. When failing, no further item starts; the ones in flight are awaited and
	 * the error of the lowest failing item index is thrown.
	 */
	onError?: (error: Error, itemIndex: number) => INodeExecutionData[] | INodeExecutionData | undefined;
}

type WorkerResult = INodeExecutionData | INodeExecutionData[] | undefined | null;

function withPairing(result: WorkerResult, itemIndex: number): INodeExecutionData[] {
	if (!result) return [];
	const list = Array.isArray(result) ? result : [result];
	return list.map((item) => (item.pairedItem === undefined ? { ...item, pairedItem: { item: itemIndex } } : item));
}

export async function runForItems<T extends { json: unknown }>(
	items: T[],
	mailboxOf: (itemIndex: number) => string,
	worker: (itemIndex: number) => Promise<WorkerResult>,
	options: RunForItemsOptions = {},
): Promise<INodeExecutionData[]> {
	const perMailbox = Math.max(1, options.perMailbox ?? MAILBOX_CONCURRENCY);
	const total = Math.max(1, options.total ?? 16);
	const results: INodeExecutionData[][] = new Array(items.length);
	const errors = new Map<number, Error>();
	const running = new Map<string, number>();
	let inFlight = 0;
	let next = 0;
	let stopped = false;
	const pending: number[] = [];

	return await new Promise<INodeExecutionData[]>((resolve, reject) => {
		const finishIfDone = () => {
			if (inFlight > 0) return;
			if (!stopped && (next < items.length || pending.length > 0)) return;
			if (errors.size) {
				const first = Math.min(...errors.keys());
				reject(errors.get(first));
				return;
			}
			resolve(results.flatMap((r) => r ?? []));
		};

		const keyOf = (index: number): string => {
			try {
				return String(mailboxOf(index)).trim().toLowerCase();
			} catch {
				return '';
			}
		};

		const start = (index: number, key: string) => {
			inFlight++;
			running.set(key, (running.get(key) ?? 0) + 1);
			void (async () => {
				try {
					results[index] = withPairing(await worker(index), index);
				} catch (error) {
					const replacement = options.onError?.(error as Error, index);
					if (replacement !== undefined) results[index] = withPairing(replacement, index);
					else {
						errors.set(index, error as Error);
						stopped = true;
					}
				} finally {
					inFlight--;
					running.set(key, (running.get(key) ?? 1) - 1);
					pump();
					finishIfDone();
				}
			})();
		};

		const pump = () => {
			if (stopped) return;
			// Items waiting for their mailbox go first, in order, so output order and fairness hold.
			for (let i = 0; i < pending.length && inFlight < total; ) {
				const index = pending[i];
				const key = keyOf(index);
				if ((running.get(key) ?? 0) < perMailbox) {
					pending.splice(i, 1);
					start(index, key);
				} else i++;
			}
			while (next < items.length && inFlight < total && pending.length < items.length) {
				const index = next++;
				const key = keyOf(index);
				if ((running.get(key) ?? 0) < perMailbox) start(index, key);
				else pending.push(index);
				if (pending.length >= total * 4) break;
			}
		};

		pump();
		finishIfDone();
	});
}
