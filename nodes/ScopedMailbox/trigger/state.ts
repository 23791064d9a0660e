/**
 * The trigger's memory, kept in the workflow's static data (node scope). n8n writes it to its database only when
 * a poll emits (and after activation), so every field here must stay correct when a later poll starts again from
 * an older copy: cursors are replayable and the emitted-id set makes replays harmless.
 */
import { createHash } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

export const STATE_VERSION = 1;
/** Emitted ids kept for dedupe. Ids older than the watermark are pruned first, so this only bounds bursts. */
export const MAX_EMITTED = 3000;
/**
 * The newest emitted ids are kept whatever their age: a page read again (after a failure or a cap in the middle
 * of it) may hold mail moved in with an old createdDateTime. Larger than any page and than the per-poll cap.
 */
export const KEEP_RECENT = 500;
/** Ids seen in the watermark's own second (a burst can share one second). */
export const MAX_BOUNDARY = 1000;
/**
 * How far below the watermark (the newest createdDateTime looked at) a message may have been created and still
 * be told apart as new: every message the trigger looked at that was created within this window is remembered
 * (`seen`). Exchange stamps createdDateTime when it stores the item, and concurrent deliveries can become visible
 * to delta out of that order; 15 minutes is far more than that, and small enough to keep `seen` short.
 */
export const SEEN_WINDOW_SECONDS = 15 * 60;
/** Bound on `seen`; when a burst exceeds it, the window shrinks to what is still remembered. */
export const MAX_SEEN = 5000;

export type Phase = 'baseline' | 'live' | 'resync';

export interface FolderCursor {
	/** The next URL to read: a nextLink mid-round, a deltaLink between rounds, '' before the first request. */
	link: string;
	phase: Phase;
	/**
	 * Newest createdDateTime (epoch seconds) of the messages the trigger has looked at in this folder. Every
	 * later arrival has a createdDateTime at or after it; a reset uses it to tell new mail from old.
	 */
	watermark?: number;
	/** Hashes of the ids looked at whose createdDateTime is the watermark's second. */
	boundary: string[];
	/**
	 * [id hash, createdDateTime] of every message looked at (emitted or not) created at or after `floor`. A delta
	 * entry whose message was created at or after `floor` and is not in here is new to the folder; one created
	 * before `floor` cannot be told from an old message that changed (see isNewToFolder).
	 */
	seen?: Array<[string, number]>;
	/** Epoch seconds from which `seen` is complete; undefined until the first message is looked at. */
	floor?: number;
	/**
	 * Every message ever looked at in this folder (the baseline lists them all), as Bloom filters: tells mail moved
	 * in long after its creation (never looked at here) from old mail that changed. Absent in state written before
	 * it existed; then mail created before `floor` is taken as old.
	 */
	known?: KnownFilter[];
	/** Reset count, for the logs and tests. */
	resets: number;
}

/** One Bloom filter of a folder's `known` ids: `cap` ids at most, `k` bits of `m` per id, `bits` in base64. */
export interface KnownFilter {
	m: number;
	k: number;
	n: number;
	cap: number;
	bits: string;
}

/**
 * The first filter holds 1,024 ids at a 0.3 % false-positive rate; each next one twice as many at half the rate,
 * so the rate over all of them stays under 0.6 % whatever the folder's size, at about 2 to 3 bytes per id.
 */
const KNOWN_FIRST_CAPACITY = 1024;
const KNOWN_FIRST_FP = 0.003;

export interface TriggerState {
	v: number;
	folders: Record<string, FolderCursor>;
	/** [id hash, createdDateTime epoch seconds] of emitted messages, oldest first. */
	emitted: Array<[string, number]>;
	/** Which folder the next poll starts with, so a busy folder cannot starve the others under the cap. */
	turn: number;
}

/** Ids are long base64 strings; 96 bits of their SHA-256 identify them in a mailbox and keep the state small. */
export function idHash(id: string): string {
	return createHash('sha256').update(id).digest('base64url').slice(0, 16);
}

export function epochSeconds(iso: unknown): number | undefined {
	if (typeof iso !== 'string') return undefined;
	const ms = Date.parse(iso);
	return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

export function folderKey(mailbox: string, folder: string): string {
	return `${mailbox.toLowerCase()}|${folder}`;
}

function isCursor(value: unknown): value is FolderCursor {
	const c = value as FolderCursor;
	return !!c && typeof c === 'object' && typeof c.link === 'string' && ['baseline', 'live', 'resync'].includes(c.phase);
}

/** The state object inside static data, created or repaired in place (n8n tracks changes on that object). */
export function loadState(staticData: IDataObject): TriggerState {
	const raw = staticData.scopedMailbox as unknown as TriggerState | undefined;
	if (!raw || typeof raw !== 'object' || raw.v !== STATE_VERSION) {
		const fresh: TriggerState = { v: STATE_VERSION, folders: {}, emitted: [], turn: 0 };
		staticData.scopedMailbox = fresh as unknown as IDataObject;
		return staticData.scopedMailbox as unknown as TriggerState;
	}
	if (!raw.folders || typeof raw.folders !== 'object') raw.folders = {};
	for (const [key, cursor] of Object.entries(raw.folders)) {
		if (!isCursor(cursor)) {
			delete raw.folders[key];
			continue;
		}
		if (!Array.isArray(cursor.boundary)) cursor.boundary = [];
		if (cursor.floor === undefined && typeof cursor.watermark === 'number') {
			// Written before `seen` existed: all it remembers is the watermark's second.
			cursor.floor = cursor.watermark;
			cursor.seen = cursor.boundary.map((h) => [h, cursor.watermark!] as [string, number]);
		}
	}
	if (!Array.isArray(raw.emitted)) raw.emitted = [];
	if (typeof raw.turn !== 'number') raw.turn = 0;
	return raw;
}

/**
 * Marks the state as changed for n8n. n8n only tracks assignments on the objects it wrapped when it loaded the
 * static data; objects this trigger created in memory (a first state, a new cursor) change without n8n noticing,
 * and n8n would then skip saving them when the poll emits. Assigning the state again flags it every time.
 */
export function markStateChanged(staticData: IDataObject, state: TriggerState): void {
	staticData.scopedMailbox = state as unknown as IDataObject;
}

export function newCursor(): FolderCursor {
	return { link: '', phase: 'baseline', boundary: [], resets: 0, known: [] };
}

/** Drops folders the node no longer watches; adds new ones (they start with a baseline). */
export function alignFolders(state: TriggerState, keys: string[]): void {
	for (const key of Object.keys(state.folders)) if (!keys.includes(key)) delete state.folders[key];
	for (const key of keys) if (!state.folders[key]) state.folders[key] = newCursor();
}

/**
 * Fast membership over the stored list. Keys are per folder: with immutable ids a message keeps its id when it
 * moves, and a message moved from one watched folder into another is new in the second one.
 */
export class EmittedSet {
	private readonly hashes: Set<string>;

	constructor(private readonly state: TriggerState) {
		this.hashes = new Set(state.emitted.map(([h]) => h));
	}

	has(folder: string, id: string): boolean {
		return this.hashes.has(idHash(`${folder}|${id}`));
	}

	add(folder: string, id: string, created: number | undefined): void {
		const h = idHash(`${folder}|${id}`);
		if (this.hashes.has(h)) return;
		this.hashes.add(h);
		this.state.emitted.push([h, created ?? 0]);
	}

	/**
	 * Keeps the KEEP_RECENT newest ids, and of the older ones those a reset could still bring back: created at
	 * or after the lowest watermark of the watched folders (a reset ignores older mail anyway). At most
	 * MAX_EMITTED in all.
	 */
	prune(folders: FolderCursor[]): void {
		const marks = folders.map((f) => f.watermark).filter((w): w is number => typeof w === 'number');
		const floor = marks.length === folders.length && marks.length > 0 ? Math.min(...marks) : undefined;
		let list = this.state.emitted;
		if (floor !== undefined) {
			const recentFrom = Math.max(0, list.length - KEEP_RECENT);
			list = list.filter(([, created], index) => index >= recentFrom || created >= floor);
		}
		if (list.length > MAX_EMITTED) list = list.slice(list.length - MAX_EMITTED);
		if (list.length !== this.state.emitted.length) {
			this.state.emitted.splice(0, this.state.emitted.length, ...list);
			this.hashes.clear();
			for (const [h] of list) this.hashes.add(h);
		}
	}
}

/** Records that a message was looked at (emitted or not): raises the folder's watermark, remembers it as seen. */
export function observe(
	cursor: FolderCursor,
	id: string,
	created: number | undefined,
	options: { raise?: boolean } = {},
): void {
	if (created === undefined) return;
	const h = idHash(id);
	if (cursor.floor === undefined || created >= cursor.floor) {
		cursor.seen ??= [];
		cursor.seen.push([h, created]);
	}
	knowAdd(cursor, id);
	if (options.raise === false) return;
	if (cursor.watermark === undefined || created > cursor.watermark) {
		cursor.watermark = created;
		cursor.boundary = [h];
	} else if (created === cursor.watermark && !cursor.boundary.includes(h)) {
		cursor.boundary.push(h);
		if (cursor.boundary.length > MAX_BOUNDARY) cursor.boundary.splice(0, cursor.boundary.length - MAX_BOUNDARY);
	}
}

/** After a reset: is this message (not emitted before) newer than what the trigger had already looked at? */
export function newerThanWatermark(cursor: FolderCursor, id: string, created: number | undefined): boolean {
	if (cursor.watermark === undefined) return true;
	if (created === undefined) return false;
	if (created > cursor.watermark) return true;
	return created === cursor.watermark && !cursor.boundary.includes(idHash(id));
}

/**
 * Keeps `seen` to the window below the watermark (and to MAX_SEEN entries), moving `floor` up with it, so that
 * `seen` always holds every looked-at message created at or after `floor`.
 */
export function pruneSeen(cursor: FolderCursor): void {
	if (cursor.watermark === undefined) return;
	const windowFloor = cursor.watermark - SEEN_WINDOW_SECONDS;
	let floor = Math.max(cursor.floor ?? windowFloor, windowFloor);
	let seen = (cursor.seen ?? []).filter(([, created]) => created >= floor);
	if (seen.length > MAX_SEEN) {
		seen.sort((a, b) => a[1] - b[1]);
		// Drop whole seconds only: a second is either remembered completely or below the floor.
		const cut = seen[seen.length - MAX_SEEN][1];
		floor = cut + 1;
		seen = seen.filter(([, created]) => created >= floor);
	}
	const unique = new Map(seen.map((e) => [e[0], e]));
	cursor.seen = [...unique.values()];
	cursor.floor = floor;
}

/**
 * Is a delta entry a message new to this folder, rather than an old one Graph reports again? Graph's created
 * rounds also carry read-state changes of old mail (and, per delta clients, other updates), sometimes as partial
 * entries; an entry looks the same whether its message arrived, was moved in or was changed. What tells them
 * apart is the trigger's own memory of the messages it looked at in this folder: exactly for those created within
 * the window (`seen`, from `floor` on), and for all others through the `known` Bloom filters, whose false
 * positives (under 0.6 %) make a message moved in long after its creation look old now and then (not emitted).
 * An entry without createdDateTime (which the delta selects) is a partial change record, never a new message.
 */
export function isNewToFolder(cursor: FolderCursor, id: string, created: number | undefined): boolean {
	if (created === undefined) return false;
	if (seenHashes(cursor).has(idHash(id))) return false;
	const floor = cursor.floor ?? cursor.watermark;
	if (floor !== undefined && created >= floor) return true;
	if (cursor.known === undefined) return floor === undefined;
	return !knowHas(cursor, id);
}

const decodedBits = new WeakMap<KnownFilter, Buffer>();

function bitsOf(filter: KnownFilter): Buffer {
	let bits = decodedBits.get(filter);
	if (!bits) {
		bits = filter.bits ? Buffer.from(filter.bits, 'base64') : Buffer.alloc(Math.ceil(filter.m / 8));
		decodedBits.set(filter, bits);
	}
	return bits;
}

/** Bit positions of an id in a filter (double hashing over the id's SHA-256). */
function positions(filter: KnownFilter, digest: Buffer): number[] {
	const a = digest.readUInt32LE(0);
	const b = (digest.readUInt32LE(4) | 1) >>> 0;
	const out: number[] = [];
	for (let i = 0; i < filter.k; i++) out.push((a + i * b) % filter.m);
	return out;
}

function inFilter(filter: KnownFilter, digest: Buffer): boolean {
	const bits = bitsOf(filter);
	return positions(filter, digest).every((p) => (bits[p >> 3] & (1 << (p & 7))) !== 0);
}

const digestOf = (id: string): Buffer => createHash('sha256').update(id).digest();

/** Whether the folder's `known` filters (probably) hold the id: false positives under 0.6 %, no false negatives. */
export function knowHas(cursor: FolderCursor, id: string): boolean {
	const digest = digestOf(id);
	return (cursor.known ?? []).some((filter) => inFilter(filter, digest));
}

/** Adds an id to the folder's `known` filters, starting a larger one when the last is full. */
export function knowAdd(cursor: FolderCursor, id: string): void {
	cursor.known ??= [];
	if (knowHas(cursor, id)) return;
	let last = cursor.known[cursor.known.length - 1];
	if (!last || last.n >= last.cap) {
		const index = cursor.known.length;
		const cap = KNOWN_FIRST_CAPACITY * 2 ** index;
		const rate = KNOWN_FIRST_FP * 0.5 ** index;
		const m = Math.ceil((-cap * Math.log(rate)) / Math.LN2 ** 2);
		last = { m, k: Math.max(1, Math.round((m / cap) * Math.LN2)), n: 0, cap, bits: '' };
		cursor.known.push(last);
	}
	const bits = bitsOf(last);
	for (const p of positions(last, digestOf(id))) bits[p >> 3] |= 1 << (p & 7);
	last.n++;
}

/** Writes the filters changed in memory back into the state (static data holds JSON, so base64 strings). */
export function storeKnown(state: TriggerState): void {
	for (const cursor of Object.values(state.folders)) {
		for (const filter of cursor.known ?? []) {
			const bits = decodedBits.get(filter);
			if (bits) filter.bits = bits.toString('base64');
		}
	}
}

const seenCache = new WeakMap<Array<[string, number]>, { length: number; hashes: Set<string> }>();

/** `seen` as a set, kept in step with the array as observe() appends to it. */
function seenHashes(cursor: FolderCursor): Set<string> {
	const list = cursor.seen ?? [];
	let cached = seenCache.get(list);
	if (!cached || cached.length > list.length) {
		cached = { length: 0, hashes: new Set() };
		seenCache.set(list, cached);
	}
	for (let i = cached.length; i < list.length; i++) cached.hashes.add(list[i][0]);
	cached.length = list.length;
	return cached.hashes;
}
