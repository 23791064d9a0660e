/** The state's bounds and the watermark rule, on their own. */
import {
	EmittedSet,
	KEEP_RECENT,
	MAX_BOUNDARY,
	MAX_EMITTED,
	idHash,
	loadState,
	newCursor,
	newerThanWatermark,
	observe,
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
