import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { graphBatch, type BatchRequest } from '../../transport';
import type { BatchableOperation, ItemRequest } from './batchable';
import { encodeQuery } from '../../transport';

export type ItemOutcome = INodeExecutionData[] | Error;

/**
 * Sends the one-request-per-item operations (Get, Update, Move, Delete) of many items as JSON $batch calls per
 * mailbox (sequential chains of up to 20, 4 in flight: graphBatch), instead of one HTTP request per item. Items
 * whose request cannot be expressed this way (or fails to build) are returned for the single-item path.
 */
export async function runBatched(
	this: IExecuteFunctions,
	operation: BatchableOperation,
	indices: number[],
): Promise<{ outcomes: Map<number, ItemOutcome>; single: number[] }> {
	const outcomes = new Map<number, ItemOutcome>();
	const single: number[] = [];
	const byMailbox = new Map<string, Array<{ itemIndex: number; request: ItemRequest }>>();
	for (const itemIndex of indices) {
		let request: ItemRequest | undefined;
		try {
			request = operation.request.call(this, itemIndex);
		} catch {
			// Let the single-item path raise the error with its full context.
			single.push(itemIndex);
			continue;
		}
		if (!request) {
			single.push(itemIndex);
			continue;
		}
		const key = request.mailbox.trim().toLowerCase();
		const list = byMailbox.get(key) ?? [];
		list.push({ itemIndex, request });
		byMailbox.set(key, list);
	}

	await Promise.all(
		[...byMailbox.values()].map(async (entries) => {
			if (entries.length === 1) {
				single.push(entries[0].itemIndex);
				return;
			}
			const requests: BatchRequest[] = entries.map(({ itemIndex, request }) => {
				const query = encodeQuery(request.qs);
				return {
					id: String(itemIndex),
					method: request.method,
					url: `${request.path}${query ? `?${query}` : ''}`,
					...(request.body ? { body: request.body } : {}),
					itemIndex,
				};
			});
			try {
				const results = await graphBatch.call(this, { requests, mailbox: entries[0].request.mailbox });
				for (const result of results) {
					const itemIndex = Number(result.id);
					if (result.error) outcomes.set(itemIndex, result.error);
					else {
						try {
							outcomes.set(itemIndex, operation.result.call(this, itemIndex, result.body));
						} catch (error) {
							outcomes.set(itemIndex, error as Error);
						}
					}
				}
			} catch (error) {
				// The $batch call itself failed (e.g. access denied, outcome unknown): every item in it shares that.
				for (const { itemIndex } of entries) outcomes.set(itemIndex, error as Error);
			}
		}),
	);
	single.sort((a, b) => a - b);
	return { outcomes, single };
}
