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
import { decideEntries, takeMessages, type WantedMessage } from './newMail';
import { buildItem } from './output';
import { isDeltaReset } from './resets';
import {
	alignFolders,
	EmittedSet,
	folderKey,
	loadState,
	observe,
	pruneSeen,
	storeKnown,
	type FolderCursor,
	markStateChanged,
} from './state';

/**
 * Delta page size (live rounds: at most the budget left, so a page never stops half-way under the cap). The new
 * messages of a live page are read together (newMail.ts), so a larger page means fewer requests per message.
 */
const PAGE_SIZE = 250;
/** Pages one folder may read in one poll; a longer round continues at the next poll. */
const MAX_PAGES_PER_POLL = 200;
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
	storeKnown(state);
	markStateChanged(staticData, state);
	if (failure) {
		if (!out.length) throw failure;
		// What was taken is returned (and saved with the state); the failed folder resumes where it stopped.
		this.logger.warn(`Scoped Mailbox Trigger: poll stopped early after ${out.length} message(s): ${failure.message}`);
	}
	return out.length ? [out] : null;
}

/** A delta page whose entries are decided, waiting for its messages to be read before the cursor moves past it. */
interface DecidedPage {
	next: string;
	final: boolean;
	looked: Array<[string, number | undefined]>;
	/** Its messages are wanted[from, to) of the poll's reading list. */
	from: number;
	to: number;
}

/**
 * Reads one folder's delta round (or the rest of it) within the poll's budget, appending emitted items. Pages are
 * decided first and their new messages read together at the end (one list over their receivedDateTime window
 * instead of one GET each); the cursor then moves past every page whose messages were all taken.
 */
async function drainFolder(
	this: IPollFunctions,
	config: TriggerConfig,
	folder: string,
	cursor: FolderCursor,
	emitted: EmittedSet,
	out: INodeExecutionData[],
): Promise<void> {
	let resets = 0;
	let link = cursor.link;
	const decided: DecidedPage[] = [];
	const wanted: WantedMessage[] = [];
	const wantedIds = new Set<string>();
	const flush = async () => {
		const { failure } = await takeMessages.call(this, config, folder, wanted, emitted, out);
		const readUpTo = failure ? failure.index : wanted.length;
		for (const page of decided) {
			if (page.to > readUpTo) break;
			commitPage(cursor, page);
		}
		decided.length = 0;
		wanted.length = 0;
		wantedIds.clear();
		if (failure) throw failure.error;
	};
	for (let pages = 0; pages < MAX_PAGES_PER_POLL; pages++) {
		const left = config.maxPerPoll - out.length - wanted.length;
		if (left <= 0) break;
		const pageSize = cursor.phase === 'live' ? Math.min(PAGE_SIZE, left) : PAGE_SIZE;
		let page: DeltaPage;
		try {
			page = await readDeltaPage.call(this, config.mailbox, folder, link, pageSize);
		} catch (error) {
			if (!isDeltaReset(error) || ++resets > MAX_RESETS_PER_POLL) {
				await flush();
				throw asNodeError(this.getNode(), error);
			}
			await flush();
			startOver(cursor);
			link = cursor.link;
			this.logger.info(
				`Scoped Mailbox Trigger: Graph reset the delta of folder ${folder}; re-reading it (${cursor.phase})`,
			);
			continue;
		}
		const entries = (page.value ?? []).filter((e) => typeof e.id !== 'string' || !wantedIds.has(e.id));
		const choice = decideEntries(config, folder, cursor, emitted, entries, left);
		// The cap was reached inside the page: its chosen messages are still taken, the next poll reads the page
		// again and skips them.
		const from = wanted.length;
		for (const w of choice.wanted) {
			wanted.push(w);
			wantedIds.add(w.id);
		}
		if (!choice.complete) break;
		const next = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
		if (typeof next !== 'string' || !next) {
			await flush();
			throw new NodeOperationError(
				this.getNode(),
				`Microsoft Graph returned a delta page without a nextLink or deltaLink for folder ${folder}`,
			);
		}
		const final = page['@odata.deltaLink'] !== undefined;
		decided.push({ next, final, looked: choice.looked, from, to: wanted.length });
		link = next;
		if (final) break;
	}
	await flush();
}

/**
 * Moves the cursor past a page whose every message is decided and taken. The watermark moves only then: were it
 * raised over a message still to be emitted, a reset at that moment would leave that message out. A re-sync lists
 * the folder in no particular order, so there the messages are only remembered and the watermark waits.
 */
function commitPage(cursor: FolderCursor, page: DecidedPage) {
	const raise = cursor.phase !== 'resync';
	for (const [id, created] of page.looked) observe(cursor, id, created, { raise });
	if (raise) pruneSeen(cursor);
	cursor.link = page.next;
	if (page.final) cursor.phase = 'live';
}

/** A reset throws the round away. A baseline starts again as a baseline; otherwise a re-sync follows. */
function startOver(cursor: FolderCursor) {
	cursor.link = '';
	cursor.resets++;
	if (cursor.phase !== 'baseline') cursor.phase = 'resync';
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
