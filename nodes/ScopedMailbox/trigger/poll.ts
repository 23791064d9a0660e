/**
 * One poll: for each watched folder, read the delta from where the last poll left off and emit the messages that
 * are new to the folder. The rules (see the README's trigger section):
 * - state only moves together with what the poll returns: a cursor advances past a page once every message of it
 *   is decided, and emitted ids are recorded in the same static data n8n saves when the poll returns items;
 * - a poll that fails after emitting some messages returns those (and saves); one that fails before throws, so
 *   nothing changes;
 * - a cursor read again (restart from older saved data, a page read twice) is harmless: emitted ids are skipped.
 */
import { NodeOperationError, type IDataObject, type INodeExecutionData, type IPollFunctions } from 'n8n-workflow';

import { asNodeError } from './errors';
import { readConfig, type TriggerConfig } from './config';
import { matchesFilters } from './filters';
import { readDeltaPage, readNewest, type DeltaPage } from './graph';
import { buildItem } from './output';
import { runPostAction } from './postActions';
import { isDeltaReset } from './resets';
import {
	alignFolders,
	EmittedSet,
	epochSeconds,
	folderKey,
	loadState,
	newerThanWatermark,
	observe,
	type FolderCursor,
	markStateChanged,
} from './state';

/** Page size for live rounds (at most the budget left, so a page never stops half-way under the cap). */
const LIVE_PAGE = 50;
/** Page size for baselines and re-syncs, which read the whole folder and emit little of it. */
const FULL_PAGE = 250;
/** Pages one folder may read in one poll; a longer round continues at the next poll. */
const MAX_PAGES_PER_POLL = 200;
/** Messages read at once: Exchange allows 4 concurrent requests per app and mailbox. */
const READ_CONCURRENCY = 4;
/** Resets in a row within one poll before giving up (Graph resetting again and again). */
const MAX_RESETS_PER_POLL = 2;

export async function pollScopedMailbox(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const config = readConfig.call(this);
	if (this.getMode() === 'manual') return await fetchTestEvent.call(this, config);

	const staticData = this.getWorkflowStaticData('node');
	const state = loadState(staticData);
	const keys = config.folders.map((f) => folderKey(config.mailbox, f));
	alignFolders(state, keys);
	const emitted = new EmittedSet(state);
	const out: INodeExecutionData[] = [];
	let failure: Error | undefined;
	const count = config.folders.length;
	const first = state.turn % count;
	for (let i = 0; i < count && out.length < config.maxPerPoll; i++) {
		const folder = config.folders[(first + i) % count];
		try {
			await drainFolder.call(this, config, folder, state.folders[folderKey(config.mailbox, folder)], emitted, out);
		} catch (error) {
			failure = error as Error;
			break;
		}
	}
	if (count > 1) state.turn = (first + 1) % count;
	emitted.prune(Object.values(state.folders));
	markStateChanged(staticData, state);
	if (failure) {
		if (!out.length) throw failure;
		// What was taken is returned (and saved with the state); the failed folder resumes where it stopped.
		this.logger.warn(`Scoped Mailbox Trigger: poll stopped early after ${out.length} message(s): ${failure.message}`);
	}
	return out.length ? [out] : null;
}

/** Reads one folder's delta round (or the rest of it) within the poll's budget, appending emitted items. */
async function drainFolder(
	this: IPollFunctions,
	config: TriggerConfig,
	folder: string,
	cursor: FolderCursor,
	emitted: EmittedSet,
	out: INodeExecutionData[],
): Promise<void> {
	let resets = 0;
	for (let pages = 0; pages < MAX_PAGES_PER_POLL; pages++) {
		const left = config.maxPerPoll - out.length;
		if (left <= 0) return;
		const pageSize = cursor.phase === 'live' ? Math.min(LIVE_PAGE, left) : FULL_PAGE;
		let page: DeltaPage;
		try {
			page = await readDeltaPage.call(this, config.mailbox, folder, cursor.link, pageSize);
		} catch (error) {
			if (!isDeltaReset(error) || ++resets > MAX_RESETS_PER_POLL) throw asNodeError(this.getNode(), error);
			startOver(cursor);
			this.logger.info(
				`Scoped Mailbox Trigger: Graph reset the delta of folder ${folder}; re-reading it (${cursor.phase})`,
			);
			continue;
		}
		const { complete, looked } = await takePage.call(this, config, folder, cursor, emitted, out, page.value ?? []);
		if (!complete) return; // the cap was reached inside the page: the next poll reads the same page again
		// The watermark moves only past a page whose every message is decided: were it raised over a message
		// that is still to be emitted, a reset at that moment would leave that message out.
		if (cursor.phase !== 'resync') for (const [id, created] of looked) observe(cursor, id, created);
		const next = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
		if (typeof next !== 'string' || !next) {
			throw new NodeOperationError(
				this.getNode(),
				`Microsoft Graph returned a delta page without a nextLink or deltaLink for folder ${folder}`,
			);
		}
		cursor.link = next;
		if (page['@odata.deltaLink'] !== undefined) {
			cursor.phase = 'live';
			return;
		}
	}
}

/** A reset throws the round away. A baseline starts again as a baseline; otherwise a re-sync follows. */
function startOver(cursor: FolderCursor) {
	cursor.link = '';
	cursor.resets++;
	if (cursor.phase !== 'baseline') cursor.phase = 'resync';
}

/**
 * Decides every entry of a page. `complete` is false when the cap stopped it before the end; `looked` lists
 * the messages decided (emitted or not), for the watermark.
 */
async function takePage(
	this: IPollFunctions,
	config: TriggerConfig,
	folder: string,
	cursor: FolderCursor,
	emitted: EmittedSet,
	out: INodeExecutionData[],
	entries: IDataObject[],
): Promise<{ complete: boolean; looked: Array<[string, number | undefined]> }> {
	const looked: Array<[string, number | undefined]> = [];
	let batch: Array<{ id: string; created: number | undefined }> = [];
	let complete = true;
	for (const entry of entries) {
		const id = entry.id;
		if (typeof id !== 'string' || entry['@removed'] !== undefined || emitted.has(id)) continue;
		const created = epochSeconds(entry.createdDateTime);
		if (isCandidate(config, cursor, entry, id, created) && matchesFilters(entry, config.filters)) {
			if (out.length + batch.length >= config.maxPerPoll) {
				complete = false;
				break;
			}
			batch.push({ id, created });
			if (batch.length === READ_CONCURRENCY) {
				await emitAll.call(this, config, folder, batch, emitted, out);
				batch = [];
			}
		}
		looked.push([id, created]);
	}
	await emitAll.call(this, config, folder, batch, emitted, out);
	return { complete, looked };
}

/**
 * Reads a few new messages at once (Exchange allows 4 concurrent requests per app and mailbox) and takes them
 * in order. When one read fails, the ones that succeeded are still taken, then the error goes up: the page is
 * read again later and the taken ones are skipped.
 */
async function emitAll(
	this: IPollFunctions,
	config: TriggerConfig,
	folder: string,
	batch: Array<{ id: string; created: number | undefined }>,
	emitted: EmittedSet,
	out: INodeExecutionData[],
) {
	if (!batch.length) return;
	const reads = await Promise.allSettled(
		batch.map(async ({ id }) => await buildItem.call(this, config.mailbox, folder, id, config)),
	);
	let failure: unknown;
	for (const [index, read] of reads.entries()) {
		if (read.status === 'rejected') {
			failure ??= read.reason;
			continue;
		}
		await take.call(this, config, folder, batch[index].id, batch[index].created, read.value, emitted, out);
	}
	if (failure !== undefined) throw failure;
}

function isCandidate(
	config: TriggerConfig,
	cursor: FolderCursor,
	entry: IDataObject,
	id: string,
	created: number | undefined,
) {
	if (cursor.phase === 'live') return true;
	if (cursor.phase === 'baseline') return config.includeUnreadExisting && entry.isRead === false;
	return newerThanWatermark(cursor, id, created);
}

async function take(
	this: IPollFunctions,
	config: TriggerConfig,
	folder: string,
	id: string,
	created: number | undefined,
	item: INodeExecutionData | undefined,
	emitted: EmittedSet,
	out: INodeExecutionData[],
) {
	emitted.add(id, created);
	if (!item) {
		this.logger.info(`Scoped Mailbox Trigger: a new message left folder ${folder} before it could be read; skipped`);
		return;
	}
	out.push(item);
	if (config.postAction.kind === 'none') return;
	try {
		const after = await runPostAction.call(this, config.mailbox, id, config.postAction);
		if (after !== id) emitted.add(after, created);
	} catch (error) {
		// The message is taken either way; the workflow sees why the follow-up did not happen.
		item.json.postActionError = (error as Error).message;
	}
}

/** "Fetch test event": the newest matching message of the watched folders; the trigger's state is not touched. */
async function fetchTestEvent(this: IPollFunctions, config: TriggerConfig): Promise<INodeExecutionData[][] | null> {
	let best: { folder: string; message: IDataObject } | undefined;
	for (const folder of config.folders) {
		const candidates = (await readNewest.call(this, config.mailbox, folder, 50)).filter((m) =>
			matchesFilters(m, config.filters),
		);
		const newest = candidates[0];
		if (newest && (!best || String(newest.receivedDateTime) > String(best.message.receivedDateTime))) {
			best = { folder, message: newest };
		}
	}
	if (!best) return null;
	const item = await buildItem.call(this, config.mailbox, best.folder, String(best.message.id), config);
	return item ? [[item]] : null;
}
