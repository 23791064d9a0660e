/** The state's bounds and the watermark rule, on their own. */
import {
	EmittedSet,
	KEEP_RECENT,
	MAX_BOUNDARY,
	MAX_EMITTED,
	MAX_SEEN,
	SEEN_WINDOW_SECONDS,
	idHash,
	isNewToFolder,
	knowAdd,
	knowHas,
	loadState,
	newCursor,
	newerThanWatermark,
	observe,
	pruneSeen,
	storeKnown,
} from '../../nodes/ScopedMailbox/trigger/state';

test('the emitted-id set stays bounded: old ids go once the watermark passes them, the newest always stay', () => {
	const data = {};
	const state = loadState(data);
	const set = new EmittedSet(state);
	for (let i = 0; i < MAX_EMITTED + 2000; i++) set.add('inbox', `id-${i}`, 1000 + i);
	const cursor = { ...newCursor(), watermark: 1000 + MAX_EMITTED + 1900 };
	set.prune([cursor]);
	// Ids older than the watermark are pruned, except the KEEP_RECENT newest.
	expect(state.emitted.length).toBe(KEEP_RECENT);
	expect(set.has('inbox', `id-${MAX_EMITTED + 1999}`)).toBe(true);
	// Per folder: the same (immutable) id moved into another watched folder is new there.
	expect(set.has('archive', `id-${MAX_EMITTED + 1999}`)).toBe(false);
	expect(set.has('inbox', 'id-0')).toBe(false);
	// Without a watermark (a folder still in its baseline) only the count bound applies.
	for (let i = 0; i < MAX_EMITTED * 2; i++) set.add('inbox', `more-${i}`, 0);
	set.prune([newCursor()]);
	expect(state.emitted.length).toBe(MAX_EMITTED);
	expect(JSON.stringify(data).length).toBeLessThan(MAX_EMITTED * 40);
});

test('watermark: after a reset, only mail newer than what was looked at counts, same-second mail by id', () => {
	const cursor = newCursor();
	observe(cursor, 'a', 100);
	observe(cursor, 'b', 105);
	observe(cursor, 'c', 105);
	observe(cursor, 'old-moved-in', 50);
	expect(cursor.watermark).toBe(105);
	expect(cursor.boundary).toEqual([idHash('b'), idHash('c')]);
	expect(newerThanWatermark(cursor, 'a', 100)).toBe(false);
	expect(newerThanWatermark(cursor, 'b', 105)).toBe(false);
	expect(newerThanWatermark(cursor, 'd', 105)).toBe(true);
	expect(newerThanWatermark(cursor, 'e', 106)).toBe(true);
	for (let i = 0; i < MAX_BOUNDARY + 10; i++) observe(cursor, `burst-${i}`, 105);
	expect(cursor.boundary.length).toBe(MAX_BOUNDARY);
	expect(newerThanWatermark(newCursor(), 'anything', undefined)).toBe(true);
});

test('unreadable or foreign static data starts over instead of failing', () => {
	const data: Record<string, unknown> = { scopedMailbox: { v: 99, junk: true } };
	const state = loadState(data as never);
	expect(state).toEqual({ v: 1, folders: {}, emitted: [], turn: 0 });
	const partly = { scopedMailbox: { v: 1, folders: { x: { link: 5 }, y: { link: '', phase: 'live' } } } };
	const repaired = loadState(partly as never);
	expect(Object.keys(repaired.folders)).toEqual(['y']);
	expect(repaired.folders.y.boundary).toEqual([]);
});

test('seen window: new means created at or after the floor and never looked at; the window follows the watermark', () => {
	const cursor = newCursor();
	expect(isNewToFolder(cursor, 'first', 10_000)).toBe(true);
	observe(cursor, 'first', 10_000);
	observe(cursor, 'second', 10_100);
	pruneSeen(cursor);
	expect(cursor.floor).toBe(10_100 - SEEN_WINDOW_SECONDS);
	// Looked at before: old, whatever Graph reports about it now.
	expect(isNewToFolder(cursor, 'first', 10_000)).toBe(false);
	// Never looked at, created in the window (an arrival out of order, or mail moved in soon after creation).
	expect(isNewToFolder(cursor, 'unseen', 10_050)).toBe(true);
	// Created below the floor and never looked at here: mail moved in long after it was created.
	expect(isNewToFolder(cursor, 'moved-in', 10_100 - SEEN_WINDOW_SECONDS - 1)).toBe(true);
	// Looked at long ago (the baseline): old, through the known filters.
	observe(cursor, 'ancient', 1_000, { raise: false });
	expect(isNewToFolder(cursor, 'ancient', 1_000)).toBe(false);
	// A partial change record carries no createdDateTime.
	expect(isNewToFolder(cursor, 'partial', undefined)).toBe(false);
	// The window moves up with the watermark and forgets what fell below it.
	observe(cursor, 'later', 10_100 + SEEN_WINDOW_SECONDS + 5);
	pruneSeen(cursor);
	expect(cursor.seen!.map(([h]) => h)).toEqual([idHash('later')]);
	expect(isNewToFolder(cursor, 'first', 10_000)).toBe(false);
});

test('seen window: more than MAX_SEEN in the window shrinks it by whole seconds, never forgetting inside it', () => {
	const cursor = newCursor();
	for (let i = 0; i < MAX_SEEN + 500; i++) observe(cursor, `m-${i}`, 50_000 + Math.floor(i / 100));
	pruneSeen(cursor);
	expect(cursor.seen!.length).toBeLessThanOrEqual(MAX_SEEN);
	const floor = cursor.floor!;
	for (let i = 0; i < MAX_SEEN + 500; i++) {
		const created = 50_000 + Math.floor(i / 100);
		if (created >= floor) expect(isNewToFolder(cursor, `m-${i}`, created)).toBe(false);
	}
});

test('state written before the seen window keeps its watermark second as what it remembers', () => {
	const data = {
		scopedMailbox: {
			v: 1,
			folders: { a: { link: 'x', phase: 'live', watermark: 500, boundary: [idHash('known')], resets: 0 } },
			emitted: [],
			turn: 0,
		},
	};
	const cursor = loadState(data as never).folders.a;
	expect(cursor.floor).toBe(500);
	expect(isNewToFolder(cursor, 'known', 500)).toBe(false);
	expect(isNewToFolder(cursor, 'other', 500)).toBe(true);
	expect(isNewToFolder(cursor, 'old', 499)).toBe(false);
});

test('known filters: no false negatives, under 1 % false positives, a few bytes per id in the state', () => {
	const cursor = newCursor();
	const n = 20_000;
	for (let i = 0; i < n; i++) knowAdd(cursor, `id-${i}`);
	for (let i = 0; i < n; i++) expect(knowHas(cursor, `id-${i}`)).toBe(true);
	let falsePositives = 0;
	for (let i = 0; i < n; i++) if (knowHas(cursor, `other-${i}`)) falsePositives++;
	expect(falsePositives / n).toBeLessThan(0.01);
	const state = { v: 1, folders: { a: cursor }, emitted: [], turn: 0 };
	storeKnown(state);
	const bytes = JSON.stringify(cursor.known).length;
	expect(bytes / n).toBeLessThan(6);
	// Read back from JSON (a restart): the same answers.
	const copy = JSON.parse(JSON.stringify(cursor));
	expect(knowHas(copy, 'id-123')).toBe(true);
	console.log(`known filters: ${n} ids, ${bytes} bytes, ${(100 * falsePositives) / n}% false positives`);
});
