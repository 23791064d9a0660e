/** messages/delta: paging with maxpagesize, deltaLink rounds, updates, moves in and out, deletes, filters, forced resets. */
import { enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
beforeAll(async () => {
	k = await startKit();
});
afterAll(() => k.emu.close());

interface Round {
	items: any[];
	deltaLink: string;
	pages: number;
	preferenceApplied: (string | null)[];
}

/** Follows nextLinks verbatim until the deltaLink. */
async function round(url: string, pageSize?: number): Promise<Round> {
	const items: any[] = [];
	const preferenceApplied: (string | null)[] = [];
	let pages = 0;
	let next: string | undefined = url;
	for (;;) {
		const r = await k.call('GET', next!, { headers: pageSize ? { Prefer: `odata.maxpagesize=${pageSize}` } : {} });
		if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
		pages++;
		preferenceApplied.push(r.headers.get('preference-applied'));
		items.push(...r.json.value);
		if (r.json['@odata.deltaLink']) {
			expect(r.json['@odata.nextLink']).toBeUndefined();
			return { items, deltaLink: r.json['@odata.deltaLink'], pages, preferenceApplied };
		}
		next = r.json['@odata.nextLink'];
		expect(next).toBeTruthy();
	}
}

const deltaUrl = (folder: string, query = '') => `/users/${enc(SHARED)}/mailFolders/${folder}/messages/delta${query}`;

test('initial sync pages through everything, then rounds report only changes', async () => {
	const { Ids } = await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'seed', Count: 23 });
	const first = await round(deltaUrl('inbox', '?$select=subject,isRead,receivedDateTime'), 10);
	expect(first.pages).toBe(3);
	expect(first.preferenceApplied).toEqual(['odata.maxpagesize=10', 'odata.maxpagesize=10', 'odata.maxpagesize=10']);
	expect(first.items).toHaveLength(23);
	expect(new Set(first.items.map((m) => m.id))).toEqual(new Set(Ids));
	expect(Object.keys(first.items[0]).sort()).toEqual(['@odata.etag', 'id', 'isRead', 'receivedDateTime', 'subject']);
	expect(first.deltaLink.startsWith(`${k.base}/v1.0/users/`)).toBe(true);

	const nothing = await round(first.deltaLink);
	expect(nothing.items).toEqual([]);

	// A new message, an update, a move out, a move in, a delete.
	const [fresh] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'fresh' })).Ids;
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(Ids[0])}`, { body: { isRead: true } });
	const movedOut = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(Ids[1])}/move`, {
		body: { destinationId: 'archive' },
	});
	expect(movedOut.status).toBe(201);
	const [elsewhere] = (
		await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'came back', Folder: 'archive' })
	).Ids;
	const movedIn = await k.emu.admin<{ Id: string }>('Move-MailboxMessage', {
		Mailbox: SHARED,
		MessageId: elsewhere,
		Folder: 'inbox',
	});
	expect((await k.call('DELETE', `/users/${enc(SHARED)}/messages/${enc(Ids[2])}`)).status).toBe(204);

	const second = await round(nothing.deltaLink, 2);
	const byId = new Map(second.items.map((x) => [x.id, x]));
	expect(byId.get(fresh)).toMatchObject({ subject: 'fresh' });
	expect(byId.get(Ids[0])).toMatchObject({ isRead: true });
	expect(byId.get(Ids[1])).toEqual({
		'@odata.type': '#microsoft.graph.message',
		id: Ids[1],
		'@removed': { reason: 'deleted' },
	});
	expect(byId.get(Ids[2])).toEqual({
		'@odata.type': '#microsoft.graph.message',
		id: Ids[2],
		'@removed': { reason: 'deleted' },
	});
	expect(byId.get(movedIn.Id)).toMatchObject({ subject: 'came back' });
	expect(second.items).toHaveLength(5);
	expect(second.pages).toBe(3);

	// The archive folder's own delta sees the moved-in message, then its move out.
	const archive = await round(deltaUrl('archive'));
	expect(archive.items.map((m) => m.subject)).toEqual([movedOut.json.subject]);

	expect((await round(second.deltaLink)).items).toEqual([]);
});

test('changes made while paging are reported in the next round, not lost', async () => {
	await k.emu.admin('Deliver-Message', { To: SHARED, Folder: 'junkemail', Subject: 'junk', Count: 4 });
	const page1 = await k.call('GET', deltaUrl('junkemail'), { headers: { Prefer: 'odata.maxpagesize=2' } });
	const ids = page1.json.value.map((m: { id: string }) => m.id);
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(ids[0])}`, { body: { categories: ['Seen'] } });
	const [late] = (
		await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Folder: 'junkemail', Subject: 'late' })
	).Ids;
	const rest = await round(page1.json['@odata.nextLink'], 2);
	expect(rest.items).toHaveLength(2);
	const next = await round(rest.deltaLink);
	expect(new Set(next.items.map((m) => m.id))).toEqual(new Set([ids[0], late]));
});

test('changeType and the receivedDateTime filter', async () => {
	await k.emu.admin('Deliver-Message', {
		To: SHARED,
		Folder: 'Invoices',
		Subject: 'old',
		ReceivedDateTime: '2023-06-01T00:00:00Z',
	});
	const [recent] = (
		await k.emu.admin<{ Ids: string[] }>('Deliver-Message', {
			To: SHARED,
			Folder: 'Invoices',
			Subject: 'recent',
			ReceivedDateTime: '2024-06-01T00:00:00Z',
		})
	).Ids;
	const filtered = await round(
		deltaUrl(
			'inbox/childFolders/Invoices'.replace('Invoices', await invoicesId()),
			`?$filter=${enc('receivedDateTime ge 2024-01-01T00:00:00Z')}`,
		),
	);
	expect(filtered.items.map((m) => m.id)).toEqual([recent]);

	const created = await round(deltaUrl('inbox', '?changeType=created'));
	const [brandNew] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'brand new' }))
		.Ids;
	const someOld = created.items[0].id;
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(someOld)}`, {
		body: { flag: { flagStatus: 'flagged' } },
	});
	const onlyCreated = await round(created.deltaLink);
	expect(onlyCreated.items.map((m) => m.id)).toEqual([brandNew]);

	for (const bad of [
		`$filter=${enc("subject eq 'x'")}`,
		`$filter=${enc('receivedDateTime lt 2024-01-01T00:00:00Z')}`,
		'$orderby=subject',
		'$orderby=receivedDateTime asc',
		'$expand=singleValueExtendedProperties',
		'$search=%22x%22',
		'changeType=sometimes',
	]) {
		const r = await k.call('GET', deltaUrl('inbox', `?${bad}`));
		expect(r.status).toBe(400);
	}
});

async function invoicesId(): Promise<string> {
	const r = await k.call('GET', `/users/${enc(SHARED)}/mailFolders/inbox/childFolders`);
	return r.json.value.find((f: { displayName: string }) => f.displayName === 'Invoices').id;
}

test('Reset-DeltaState 410 gives Gone with a Location to start over; syncStateNotFound gives 400', async () => {
	const a = await round(deltaUrl('drafts', '?$select=subject'));
	const b = await round(deltaUrl('outbox'));
	await k.emu.admin('Reset-DeltaState', { Mailbox: SHARED, Folder: 'drafts', Mode: '410' });
	const gone = await k.call('GET', a.deltaLink);
	expect(gone.status).toBe(410);
	const location = gone.headers.get('location')!;
	expect(location).toContain('/messages/delta');
	expect(location).toContain('$select=subject');
	expect((await k.call('GET', location)).status).toBe(200);
	// Other folders are untouched by a folder reset.
	expect((await k.call('GET', b.deltaLink)).status).toBe(200);

	const c = await round(location);
	await k.emu.admin('Reset-DeltaState', { Mailbox: SHARED, Mode: 'syncStateNotFound' });
	for (const link of [c.deltaLink, b.deltaLink]) {
		const r = await k.call('GET', link);
		expect(r.status).toBe(400);
		expect(r.json.error.code).toBe('syncStateNotFound');
	}
	// A fresh sync works again, and its tokens too.
	const d = await round(deltaUrl('drafts'));
	expect((await k.call('GET', d.deltaLink)).status).toBe(200);
});

test('tokens are bound to their mailbox and folder and must be well-formed', async () => {
	const a = await round(deltaUrl('inbox'));
	const token = new URL(a.deltaLink).searchParams.get('$deltatoken')!;
	const other = await k.call('GET', deltaUrl('archive', `?$deltatoken=${token}`));
	expect(other.status).toBe(400);
	const garbage = await k.call('GET', deltaUrl('inbox', '?$deltatoken=not-a-token'));
	expect(garbage.status).toBe(400);
});

test('changeType=created reports a message in the round it was created in, even when it changed while the client paged', async () => {
	const baseline = await round(deltaUrl('inbox', '?changeType=created&$select=subject'));
	const [filler] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'first' })).Ids;
	const [quick] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'read at once' }))
		.Ids;
	const page1 = await k.call('GET', baseline.deltaLink, { headers: { Prefer: 'odata.maxpagesize=1' } });
	expect(page1.json.value.map((m: any) => m.id)).toEqual([filler]);
	// Changed after the round began and before the client reached its page.
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(quick)}`, { body: { isRead: true } });
	const rest = await round(page1.json['@odata.nextLink'], 1);
	expect(rest.items.map((m) => m.id)).toEqual([quick]);
	// Reported once as created; a later read-state change comes again (Graph's note on message: delta: created
	// rounds do not filter read/unread changes out), a flag does not.
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(quick)}`, { body: { flag: { flagStatus: 'flagged' } } });
	// The read change made while the client paged comes in the next round.
	const settled = await round(rest.deltaLink);
	expect(settled.items).toEqual([expect.objectContaining({ id: quick, subject: 'read at once' })]);
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(quick)}`, { body: { flag: { flagStatus: 'complete' } } });
	const flagged = await round(settled.deltaLink);
	expect(flagged.items).toEqual([]);
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(quick)}`, { body: { isRead: false } });
	const unread = await round(flagged.deltaLink);
	expect(unread.items).toEqual([expect.objectContaining({ id: quick, subject: 'read at once' })]);
});

test('created rounds also carry @removed entries and read-state changes; Set-DeltaExtras widens or narrows that', async () => {
	const folder = 'Extras';
	const [a, b, c] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Folder: folder, Count: 3 }))
		.Ids;
	const base = await round(deltaUrl(await folderIdOf(folder), '?changeType=created&$select=subject,isRead'));
	expect(base.items).toHaveLength(3);
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(a)}`, { body: { isRead: true } });
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(b)}`, { body: { categories: ['Blue'] } });
	await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(c)}/move`, { body: { destinationId: 'archive' } });
	const r1 = await round(base.deltaLink);
	expect(r1.items).toEqual([
		expect.objectContaining({ id: a, isRead: true, subject: expect.any(String) }),
		{ '@odata.type': '#microsoft.graph.message', id: c, '@removed': { reason: 'deleted' } },
	]);
	await k.emu.admin('Set-DeltaExtras', { Mailbox: SHARED, Mode: 'all', Partial: true });
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(b)}`, { body: { flag: { flagStatus: 'flagged' } } });
	const r2 = await round(r1.deltaLink);
	expect(r2.items).toEqual([
		{ '@odata.type': '#microsoft.graph.message', id: b, isRead: false, parentFolderId: expect.any(String) },
	]);
	await k.emu.admin('Set-DeltaExtras', { Mailbox: SHARED, Mode: 'none' });
	await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(a)}`, { body: { isRead: false } });
	expect((await round(r2.deltaLink)).items).toEqual([]);
	await k.emu.admin('Set-DeltaExtras', { Mailbox: SHARED, Mode: 'documented' });
});

test('$orderby=receivedDateTime desc, $expand=attachments and $top are served on delta, and kept in its links', async () => {
	const folder = 'Ordered';
	for (const [i, at] of ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z'].entries()) {
		await k.emu.admin('Deliver-Message', {
			To: SHARED,
			Folder: folder,
			Subject: `m${i}`,
			ReceivedDateTime: at,
			Attachments: [{ Name: 'a.txt', ContentType: 'text/plain', ContentBase64: 'aGk=' }],
		});
	}
	const id = await folderIdOf(folder);
	const ordered = await round(deltaUrl(id, `?$orderby=${enc('receivedDateTime desc')}&$expand=attachments&$top=2`));
	expect(ordered.pages).toBe(2);
	expect(ordered.items.map((m) => m.subject)).toEqual(['m1', 'm2', 'm0']);
	expect(ordered.items[0].attachments).toEqual([expect.objectContaining({ name: 'a.txt' })]);
});

test('ids: a move gives a new REST id and the old one answers 404; with Prefer IdType="ImmutableId" ids stay', async () => {
	const base = `/users/${enc(SHARED)}/messages`;
	const imm = { Prefer: 'IdType="ImmutableId"' };
	const [rest] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'ids' })).Ids;
	const moved = await k.call('POST', `${base}/${enc(rest)}/move`, { body: { destinationId: 'archive' } });
	expect(moved.status).toBe(201);
	expect(moved.json.id).not.toBe(rest);
	const stale = await k.call('GET', `${base}/${enc(rest)}`);
	expect(stale.status).toBe(404);
	expect(stale.json.error).toMatchObject({ code: 'ErrorItemNotFound', message: expect.any(String) });
	expect(stale.json.error.innerError).toMatchObject({ date: expect.any(String), 'request-id': expect.any(String) });

	const got = await k.call('GET', `${base}/${enc(moved.json.id)}?$select=subject`, { headers: imm });
	const immutable = got.json.id as string;
	expect(immutable).toMatch(/^AAkALgAA/);
	const again = await k.call('POST', `${base}/${enc(immutable)}/move`, {
		body: { destinationId: 'inbox' },
		headers: { Prefer: 'odata.maxpagesize=5, IdType="ImmutableId"' },
	});
	expect(again.json.id).toBe(immutable);
	expect((await k.call('GET', `${base}/${enc(immutable)}`, { headers: imm })).json).toMatchObject({
		id: immutable,
		subject: 'ids',
	});
	// The REST id it had in archive is stale now; the immutable id is accepted with or without the header.
	expect((await k.call('GET', `${base}/${enc(moved.json.id)}`)).status).toBe(404);
	const plain = await k.call('GET', `${base}/${enc(immutable)}`);
	expect(plain.status).toBe(200);
	expect(plain.json.id).not.toBe(immutable);
	// A copy is another item: a new immutable id.
	const copy = await k.call('POST', `${base}/${enc(immutable)}/copy`, {
		body: { destinationId: 'archive' },
		headers: imm,
	});
	expect(copy.json.id).toMatch(/^AAkALgAA/);
	expect(copy.json.id).not.toBe(immutable);
	// Delta in a folder reports immutable ids with the header, also in @removed entries.
	const d = await round(deltaUrl('inbox', '?changeType=created&$select=subject'));
	const viaHeader = await k.call('GET', deltaUrl('inbox', '?$select=subject&$top=1000'), { headers: imm });
	expect(viaHeader.json.value.map((m: any) => m.id)).toContain(immutable);
	await k.call('POST', `${base}/${enc(immutable)}/move`, { body: { destinationId: 'junkemail' }, headers: imm });
	const r = await k.call('GET', d.deltaLink, { headers: imm });
	expect(r.json.value).toContainEqual({
		'@odata.type': '#microsoft.graph.message',
		id: immutable,
		'@removed': { reason: 'deleted' },
	});
});

async function folderIdOf(name: string): Promise<string> {
	const r = await k.call('GET', `/users/${enc(SHARED)}/mailFolders?$top=100`);
	return r.json.value.find((f: { displayName: string }) => f.displayName === name).id;
}
