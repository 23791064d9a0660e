/**
 * Reading and de-duplicating new mail: what the polling trigger does with a delta page, kept apart from the poll
 * so that another way of learning about mail (an instant trigger woken by change notifications) decides and reads
 * messages the same way, against the same state.
 *
 * - `decideEntries` decides every entry of a page (new to the folder? matches the filters? emitted before?);
 * - `takeMessages` reads the chosen messages, appends their items, records them as emitted and runs the
 *   post-action; it never emits a message twice for one folder (`takeEntries` does both for one page);
 * - `readMessages` reads a set of messages of one folder: a burst through a few list requests over the window of
 *   their receivedDateTime, the rest (and anything the list did not return) with one GET each, four at a time.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { TriggerConfig } from './config';
import { matchesFilters } from './filters';
import { readReceivedBetween } from './graph';
import type { MailContext } from './graph';
import { buildItem, itemFromMessage, outputSelect, type OutputOptions } from './output';
import { runPostAction } from './postActions';
import { epochSeconds, isNewToFolder, type EmittedSet, type FolderCursor } from './state';

/** Messages read at once by single GETs: Exchange allows 4 concurrent requests per app and mailbox. */
export const READ_CONCURRENCY = 4;
/** From this many messages on, a list over their receivedDateTime window is cheaper than one GET each. */
export const LIST_READ_MIN = 3;
/** How far back from the newest wanted message the list window reaches. */
const WINDOW_MS = 60 * 60 * 1000;
/**
 * Page size of the list read. Graph allows $top up to 1,000, but warns that pages of hundreds of full messages
 * may run into its gateway timeout (504; "List messages" on Microsoft Learn): bodies are selected here.
 */
const LIST_TOP_MAX = 250;
/**
 * A window that holds many messages the trigger does not want is given up for single GETs. A burst shares a few
 * seconds, and Graph does not say in which order it lists messages received in the same second, so the window may
 * hold the rest of the burst too: allow about as many again as wanted.
 */
const LIST_EXTRA_ALLOWED = 100;

export interface WantedMessage {
	id: string;
	/** createdDateTime, epoch seconds (for the emitted-id set's pruning). */
	created: number | undefined;
	/** receivedDateTime as the delta entry gave it (ISO), for the list window. */
	received?: string;
}

/** One message's read: its item, `gone` (deleted or moved out of reach before it was read), or the failure. */
export type MessageRead = { item: INodeExecutionData } | { gone: true } | { error: unknown };

/**
 * Reads messages of one folder, in the order given. Never throws: a failure is reported per message, so the
 * caller can take the ones read and leave the rest for later.
 */
export async function readMessages(
	this: MailContext,
	mailbox: string,
	folder: string,
	wanted: WantedMessage[],
	options: OutputOptions,
): Promise<MessageRead[]> {
	const found = new Map<string, IDataObject>();
	if (wanted.length >= LIST_READ_MIN) {
		try {
			await listWindow.call(this, mailbox, folder, wanted, options, found);
		} catch (error) {
			// The GETs below read what the list could not; they fail on their own if Graph is really down.
			this.logger.debug(`Scoped Mailbox Trigger: list read failed, reading one by one: ${(error as Error).message}`);
			found.clear();
		}
	}
	const reads: MessageRead[] = new Array(wanted.length);
	const listed = wanted.flatMap((w, index) => (found.has(w.id) ? [index] : []));
	const single = wanted.flatMap((w, index) => (found.has(w.id) ? [] : [index]));
	// Items of listed messages need requests only for attachments: those go four at a time too.
	for (let i = 0; i < listed.length; i += READ_CONCURRENCY) {
		await Promise.all(
			listed.slice(i, i + READ_CONCURRENCY).map(async (index) => {
				const message = found.get(wanted[index].id)!;
				try {
					reads[index] = { item: await itemFromMessage.call(this, mailbox, folder, message, options) };
				} catch (error) {
					reads[index] = { error };
				}
			}),
		);
	}
	for (let i = 0; i < single.length; i += READ_CONCURRENCY) {
		await Promise.all(
			single.slice(i, i + READ_CONCURRENCY).map(async (index) => {
				try {
					const item = await buildItem.call(this, mailbox, folder, wanted[index].id, options);
					reads[index] = item ? { item } : { gone: true };
				} catch (error) {
					reads[index] = { error };
				}
			}),
		);
	}
	return reads;
}

/** Lists the folder over the wanted messages' receivedDateTime window and keeps the wanted ones. */
async function listWindow(
	this: MailContext,
	mailbox: string,
	folder: string,
	wanted: WantedMessage[],
	options: OutputOptions,
	found: Map<string, IDataObject>,
): Promise<void> {
	const times = wanted.map((w) => Date.parse(w.received ?? '')).filter((t) => Number.isFinite(t));
	if (times.length < LIST_READ_MIN) return;
	const ids = new Set(wanted.map((w) => w.id));
	// The window covers the burst (the last hour of it); older stragglers, such as mail moved in, are read by GET.
	const latest = Math.max(...times);
	const inWindow = times.filter((t) => t >= latest - WINDOW_MS);
	if (inWindow.length < LIST_READ_MIN) return;
	const window = {
		from: Math.floor(Math.min(...inWindow) / 1000) * 1000,
		to: Math.ceil(latest / 1000) * 1000,
		top: Math.min(LIST_TOP_MAX, 2 * inWindow.length + LIST_EXTRA_ALLOWED),
		select: outputSelect(options),
	};
	let extra = 0;
	let link: string | undefined;
	do {
		const page = await readReceivedBetween.call(this, mailbox, folder, window, link);
		for (const message of page.value) {
			const id = String(message.id);
			if (ids.has(id)) found.set(id, message);
			else extra++;
		}
		link = page.next;
	} while (link && found.size < ids.size && extra <= 2 * inWindow.length + LIST_EXTRA_ALLOWED);
}

/** Which entries of a baseline or re-sync page may be emitted at all (live pages: isNewToFolder alone). */
function isCandidate(config: TriggerConfig, cursor: FolderCursor, entry: IDataObject, id: string, created?: number) {
	if (cursor.phase === 'baseline') return config.includeUnreadExisting && entry.isRead === false;
	return isNewToFolder(cursor, id, created);
}

/**
 * Decides the entries of a delta page: which messages are to be emitted (new to the folder, matching the filters,
 * not emitted from this folder before), at most `budget` of them. `complete` is false when the budget stopped it
 * before the end; `looked` lists the messages decided (emitted or not), for the folder's memory (observe).
 */
export function decideEntries(
	config: TriggerConfig,
	folder: string,
	cursor: FolderCursor,
	emitted: EmittedSet,
	entries: IDataObject[],
	budget: number,
): { wanted: WantedMessage[]; complete: boolean; looked: Array<[string, number | undefined]> } {
	const looked: Array<[string, number | undefined]> = [];
	const wanted: WantedMessage[] = [];
	let complete = true;
	for (const entry of entries) {
		const id = entry.id;
		if (typeof id !== 'string' || entry['@removed'] !== undefined) continue;
		const created = epochSeconds(entry.createdDateTime);
		if (emitted.has(folder, id)) {
			// Taken from a page that was not finished (a cap, a failed read): remembered only now that it is.
			looked.push([id, created]);
			continue;
		}
		if (isCandidate(config, cursor, entry, id, created) && matchesFilters(entry, config.filters)) {
			if (wanted.length >= budget) {
				complete = false;
				break;
			}
			const received = typeof entry.receivedDateTime === 'string' ? entry.receivedDateTime : undefined;
			wanted.push({ id, created, received });
		}
		looked.push([id, created]);
	}
	return { wanted, complete, looked };
}

/**
 * Decides a page and takes its messages (decideEntries, then takeMessages). Throws only after taking what could
 * be read (those are recorded as emitted, so reading the page again skips them).
 */
export async function takeEntries(
	this: MailContext,
	config: TriggerConfig,
	folder: string,
	cursor: FolderCursor,
	emitted: EmittedSet,
	out: INodeExecutionData[],
	entries: IDataObject[],
): Promise<{ complete: boolean; looked: Array<[string, number | undefined]> }> {
	const { wanted, complete, looked } = decideEntries(
		config,
		folder,
		cursor,
		emitted,
		entries,
		config.maxPerPoll - out.length,
	);
	const { failure } = await takeMessages.call(this, config, folder, wanted, emitted, out);
	if (failure) throw failure.error;
	return { complete, looked };
}

/**
 * Reads the messages and takes them in order, each recorded as emitted for the folder, then runs the post-action.
 * A message that could not be read is not taken; the others are, and `failure` names the first one that failed
 * (its index in `wanted`) for the caller to stop there.
 */
export async function takeMessages(
	this: MailContext,
	config: TriggerConfig,
	folder: string,
	wanted: WantedMessage[],
	emitted: EmittedSet,
	out: INodeExecutionData[],
): Promise<{ failure?: { index: number; error: unknown } }> {
	if (!wanted.length) return {};
	const reads = await readMessages.call(this, config.mailbox, folder, wanted, config);
	let failure: { index: number; error: unknown } | undefined;
	for (const [index, read] of reads.entries()) {
		if ('error' in read) {
			failure ??= { index, error: read.error };
			continue;
		}
		const { id, created } = wanted[index];
		emitted.add(folder, id, created);
		if ('gone' in read) {
			this.logger.info(`Scoped Mailbox Trigger: a new message left folder ${folder} before it could be read; skipped`);
			continue;
		}
		out.push(read.item);
		await postAction.call(this, config, id, read.item);
	}
	return failure ? { failure } : {};
}

async function postAction(this: MailContext, config: TriggerConfig, id: string, item: INodeExecutionData) {
	if (config.postAction.kind === 'none') return;
	try {
		const after = await runPostAction.call(this, config.mailbox, id, config.postAction);
		// Immutable ids make this the same id; should Graph still hand out another one, the item carries the one
		// that works from now on (a downstream Get or Reply on {{$json.id}}).
		if (after !== id) item.json.id = after;
	} catch (error) {
		// The message is taken either way; the workflow sees why the follow-up did not happen.
		item.json.postActionError = (error as Error).message;
	}
}
