/**
 * Get / Update / Move / Delete on 12 items of one mailbox, with service latency so that Exchange's 4 concurrent
 * requests per app and mailbox bind. Graph refuses a $batch whose dependencies are neither fully sequential nor
 * fully parallel (nor all on one request); the package's 4 dependsOn lanes per mailbox were such a shape, so
 * these operations failed on more than 4 items of one mailbox (issue 11, divergence 1).
 */
import { SUPPORT, assertNoSecrets, serialiseError, startWorld, type World } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld({ latencyMs: 40 });
});
afterAll(async () => {
	await world?.close();
});

interface Logged {
	seq: number;
	kind: string;
	path: string;
	status: number;
}

async function logAfter(seq: number): Promise<Logged[]> {
	return (await world.emu.admin<Logged[]>('Get-RequestLog')).filter((e) => e.seq > seq);
}

async function lastSeq(): Promise<number> {
	return (await world.emu.admin<Logged[]>('Get-RequestLog')).at(-1)?.seq ?? 0;
}

const COUNT = 12;

it('runs Get, Update, Move and Delete on 12 items of one mailbox: every item done once, nothing refused or throttled', async () => {
	const { ImmutableIds: ids } = await world.emu.admin<{ ImmutableIds: string[] }>('Deliver-Message', {
		To: SUPPORT,
		Subject: 'Twelve of one mailbox',
		Count: COUNT,
	});
	const seq = await lastSeq();
	const base = { mailbox: SUPPORT, messageId: '={{ $json.id }}', resource: 'message' };
	const items = ids.map((id) => ({ id }));

	const got = await world.run('rbac', { ...base, operation: 'get' }, { items });
	expect(serialiseError(got.error)).toBeUndefined();
	expect(got.items.map((i) => i.json.id)).toEqual(ids);
	expect(got.items.map((i) => (i.pairedItem as { item: number }).item)).toEqual(ids.map((_, i) => i));

	const updated = await world.run(
		'rbac',
		{ ...base, operation: 'update', updateFields: { readStatus: 'read', categories: 'Twelve' } },
		{ items },
	);
	expect(serialiseError(updated.error)).toBeUndefined();
	expect(updated.items.map((i) => [i.json.id, i.json.isRead, i.json.categories])).toEqual(
		ids.map((id) => [id, true, ['Twelve']]),
	);

	const moved = await world.run(
		'rbac',
		{ ...base, operation: 'move', destinationFolder: { __rl: true, mode: 'id', value: 'archive' } },
		{ items },
	);
	expect(serialiseError(moved.error)).toBeUndefined();
	expect(moved.items.map((i) => i.json.previousId)).toEqual(ids);
	expect(moved.items.every((i) => i.json.moved === true && typeof i.json.id === 'string')).toBe(true);

	const deleted = await world.run('rbac', { ...base, operation: 'delete' }, { items: moved.items.map((i) => i.json) });
	expect(serialiseError(deleted.error)).toBeUndefined();
	expect(deleted.items.map((i) => i.json.deleted)).toEqual(ids.map(() => true));
	assertNoSecrets(world, deleted);

	const inDeleted = await world.emu.admin<Array<{ Subject: string; IsRead: boolean; Categories: string[] }>>(
		'Get-MailboxMessages',
		{ Mailbox: SUPPORT, Folder: 'deleteditems' },
	);
	const mine = inDeleted.filter((m) => m.Subject === 'Twelve of one mailbox');
	expect(mine).toHaveLength(COUNT);
	expect(mine.every((m) => m.IsRead && m.Categories.includes('Twelve'))).toBe(true);

	const log = await logAfter(seq);
	const graph = log.filter((e) => e.kind === 'graph' || e.kind === 'batch-inner');
	// No batch was refused for its shape, and the package stayed within Exchange's 4 slots: no 429 at all.
	expect(graph.filter((e) => e.status === 400)).toEqual([]);
	expect(graph.filter((e) => e.status === 429)).toEqual([]);
	// Every item's request reached Exchange exactly once per operation.
	const exchange = graph.filter((e) => !e.path.endsWith('/$batch') && e.status < 300);
	expect(exchange).toHaveLength(4 * COUNT);
});

it('an item that fails in the middle of a chain fails alone: the rest of its chain (424) is sent again', async () => {
	const { ImmutableIds: ids } = await world.emu.admin<{ ImmutableIds: string[] }>('Deliver-Message', {
		To: SUPPORT,
		Subject: 'One bad among twelve',
		Count: COUNT,
	});
	const items = ids.map((id) => ({ id }));
	// Item 2 is early in the first chain after the execution's first call: everything after it there gets 424.
	items[2] = { id: 'AAMkAGI2THVSAAA=' };
	const seq = await lastSeq();
	const got = await world.run(
		'rbac',
		{ resource: 'message', operation: 'get', mailbox: SUPPORT, messageId: '={{ $json.id }}' },
		{ items, continueOnFail: true },
	);
	expect(serialiseError(got.error)).toBeUndefined();
	expect(got.items.map((i) => (i.json.error ? 'error' : i.json.id))).toEqual(
		items.map((item, i) => (i === 2 ? 'error' : item.id)),
	);
	expect(got.items[2].json.error).toMatch(/not found/i);
	const inner = (await logAfter(seq)).filter((e) => e.kind === 'batch-inner');
	expect(inner.filter((e) => e.status === 424).length).toBeGreaterThan(0);
	expect(inner.filter((e) => e.status === 200)).toHaveLength(COUNT - 1);
});
