/**
 * "What is new, read it, de-duplicate, emit": the polling trigger's delta rounds, run until nothing new is left.
 * A notification only says that something may be new; the messages come from delta, with the polling trigger's
 * emitted-id set, so a notification delivered twice, late, out of order or for a message that is gone again
 * never emits twice or fails. This is the one call to point at a shared "read new messages" function.
 */
import type { IDataObject, IHookFunctions, INodeExecutionData, IPollFunctions, IWebhookFunctions } from 'n8n-workflow';

import { readConfig } from '../trigger/config';
import { pollScopedMailbox } from '../trigger/poll';

/** Rounds one wake-up may read (each up to "Messages per Read"); a longer backlog continues at the next one. */
const MAX_ROUNDS = 200;

export type InstantContext = IWebhookFunctions | IHookFunctions;

export async function readNewMessages(this: InstantContext): Promise<INodeExecutionData[]> {
	// The poll's code needs only what webhook and hook functions share with poll functions.
	const ctx = this as unknown as IPollFunctions;
	const { maxPerPoll } = readConfig.call(ctx);
	const out: INodeExecutionData[] = [];
	for (let round = 0; round < MAX_ROUNDS; round++) {
		const items = (await pollScopedMailbox.call(ctx))?.[0] ?? [];
		out.push(...items);
		if (items.length < maxPerPoll) break;
	}
	return out;
}

/** The static data keys the instant trigger shares with the polling code (trigger state) and its own. */
export const STATE_KEYS = ['scopedMailbox', 'instant'] as const;

/** A plain copy: n8n hands static data out wrapped in change-tracking proxies, which structuredClone refuses. */
export function plainCopy<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

export function snapshotOf(staticData: IDataObject): IDataObject {
	const out: IDataObject = {};
	for (const key of STATE_KEYS) if (staticData[key] !== undefined) out[key] = plainCopy(staticData[key]);
	return out;
}
