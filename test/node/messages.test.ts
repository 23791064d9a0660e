import {
	ADELE,
	EXTERNAL,
	FINANCE,
	NOTIFICATIONS,
	SUPPORT,
	assertNoSecrets,
	graphLog,
	serialiseError,
	startWorld,
	type World,
} from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

async function since(): Promise<number> {
	return (await graphLog(world)).at(-1)?.seq ?? 0;
}

async function requestsAfter(seq: number) {
	return (await graphLog(world)).filter((r) => r.seq > seq);
}

async function innerRequestsAfter(seq: number) {
	const log =
		await world.emu.admin<
			Array<{ seq: number; kind: string; path: string; rawPath: string; status: number; mailbox?: string }>
		>('Get-RequestLog');
	return log.filter((r) => r.kind === 'batch-inner' && r.seq > seq);
}

const inbox = { __rl: true, mode: 'id', value: 'inbox' };

describe('Message → List', () => {
	it('compiles filters into one escaped $filter and returns simplified messages', async () => {
		await world.emu.admin('Deliver-Message', {
			To: SUPPORT,
			From: "o'brien@fabrikam.example",
			Subject: "Quote's #1 ?",
			Importance: 'high',
		});
		await world.emu.admin('Deliver-Message', {
			To: SUPPORT,
			From: "o'brien@fabrikam.example",
			Subject: 'Other',
			Importance: 'low',
		});
		const seq = await since();
		const run = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			returnAll: true,
			filters: {
				from: "o'brien@fabrikam.example",
				subjectContains: "Quote's #1 ?",
				unreadOnly: true,
				importance: 'high',
				receivedAfter: '2000-01-01T00:00:00Z',
			},
		});
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items).toHaveLength(1);
		expect(run.items[0].json).toMatchObject({
			subject: "Quote's #1 ?",
			from: "o'brien@fabrikam.example",
			importance: 'high',
			isRead: false,
		});
		const [request] = await requestsAfter(seq);
		const filter = new URLSearchParams(request.query).get('$filter')!;
		expect(filter.startsWith('receivedDateTime ge 2000-01-01T00:00:00.000Z')).toBe(true);
		expect(filter).toContain("from/emailAddress/address eq 'o''brien@fabrikam.example'");
		expect(filter).toContain("contains(subject, 'Quote''s #1 ?')");
		expect(request.path).toBe(`/v1.0/users/${SUPPORT}/mailFolders/inbox/messages`);
	});

	it('reads everything in pages of 1000: 2,500 messages take 3 requests', async () => {
		await world.emu.admin('Deliver-Message', { To: FINANCE, Subject: 'Bulk', Count: 2500 });
		const seq = await since();
		const run = await world.run('unscoped', {
			resource: 'message',
			operation: 'list',
			mailbox: FINANCE,
			folder: inbox,
			returnAll: true,
		});
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items.length).toBeGreaterThanOrEqual(2500);
		const requests = await requestsAfter(seq);
		expect(requests).toHaveLength(Math.ceil(run.items.length / 1000));
		expect(new URLSearchParams(requests[0].query).get('$top')).toBe('1000');

		const limited = await world.run('unscoped', {
			resource: 'message',
			operation: 'list',
			mailbox: FINANCE,
			folder: inbox,
			returnAll: false,
			limit: 5,
			simplify: false,
			options: { fields: ['subject'] },
		});
		expect(limited.items).toHaveLength(5);
		expect(Object.keys(limited.items[0].json).filter((k) => !k.startsWith('@odata'))).toEqual(
			expect.arrayContaining(['id', 'subject']),
		);
	});

	it('puts the ordered property first in the filter (Graph rejects it otherwise)', async () => {
		const seq = await since();
		const run = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			filters: { unreadOnly: true },
			options: { orderBy: 'sentDateTime desc' },
		});
		expect(serialiseError(run.error)).toBeUndefined();
		const [request] = await requestsAfter(seq);
		const query = new URLSearchParams(request.query);
		expect(query.get('$filter')).toBe('sentDateTime ge 1900-01-01T00:00:00Z and isRead eq false');
		expect(query.get('$orderby')).toBe('sentDateTime desc');
	});

	it('explains that search cannot be combined with filters, and passes a search alone', async () => {
		const both = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			filters: { search: 'invoice', unreadOnly: true },
		});
		expect(both.error!.message).toMatch(/Search cannot be combined with filters/);
		expect(String((both.error as { description?: string }).description)).toMatch(/\$search together with \$filter/);
		const seq = await since();
		const alone = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			filters: { search: 'Quote' },
		});
		expect(serialiseError(alone.error)).toBeUndefined();
		const [request] = await requestsAfter(seq);
		const query = new URLSearchParams(request.query);
		expect(query.get('$search')).toBe('"Quote"');
		expect(query.get('$orderby')).toBeNull();
	});
});

describe('Message → Get / Update / Move / Delete', () => {
	it('handles many items through $batch, per item results and errors with pairedItem', async () => {
		await world.emu.admin('Deliver-Message', { To: SUPPORT, Subject: 'Batch me', Count: 25 });
		const listed = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			returnAll: true,
			filters: { subjectContains: 'Batch me' },
		});
		const ids = listed.items.map((i) => i.json.id as string);
		expect(ids).toHaveLength(25);
		const items = [...ids.map((id) => ({ id })), { id: 'AAMkAGI2THVSAAA=' }];

		let seq = await since();
		const got = await world.run(
			'rbac',
			{ resource: 'message', operation: 'get', mailbox: SUPPORT, messageId: '={{ $json.id }}' },
			{ items, continueOnFail: true },
		);
		expect(got.items).toHaveLength(26);
		expect(got.items.slice(0, 25).map((i) => i.json.id)).toEqual(ids);
		expect(got.items[25].json.error).toMatch(/Not found/i);
		expect(got.items.map((i) => (i.pairedItem as { item: number }).item)).toEqual(items.map((_, i) => i));
		// 26 requests to one mailbox: the first alone (the execution's first request), then 4 sequential chains
		// (7, 7, 7, 4), one per Exchange slot; none refused.
		const batchCalls = (await requestsAfter(seq)).filter((r) => r.path === '/v1.0/$batch');
		expect(batchCalls.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
		expect((await innerRequestsAfter(seq)).filter((r) => r.status === 424)).toHaveLength(0);

		// The unscoped app has Mail.Read, not Mail.ReadWrite: updates are denied per item with the clear error.
		const denied = await world.run(
			'unscoped',
			{
				resource: 'message',
				operation: 'update',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				updateFields: { readStatus: 'read' },
			},
			{ items: items.slice(0, 3), continueOnFail: true },
		);
		expect(denied.items).toHaveLength(3);
		for (const item of denied.items)
			expect(item.json.error).toMatch(/not allowed to use mailbox support@contoso\.onmicrosoft\.com/);

		seq = await since();
		const updated = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'update',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				updateFields: { readStatus: 'read', categories: 'Blue, Orders', flagStatus: 'flagged' },
			},
			{ items: items.slice(0, 25) },
		);
		expect(serialiseError(updated.error)).toBeUndefined();
		expect(updated.items.every((i) => i.json.isRead === true && i.json.flagStatus === 'flagged')).toBe(true);
		expect(updated.items[0].json.categories).toEqual(['Blue', 'Orders']);
		expect((await requestsAfter(seq)).filter((r) => r.path === '/v1.0/$batch').map((r) => r.status)).toEqual([
			200, 200, 200, 200, 200,
		]);

		const moved = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'move',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				destinationFolder: { __rl: true, mode: 'id', value: 'archive' },
			},
			{ items: items.slice(0, 5) },
		);
		expect(serialiseError(moved.error)).toBeUndefined();
		expect(moved.items.every((i) => i.json.moved === true && typeof i.json.id === 'string')).toBe(true);
		const archived = await world.emu.admin<Array<{ Subject: string }>>('Get-MailboxMessages', {
			Mailbox: SUPPORT,
			Folder: 'archive',
		});
		expect(archived.filter((m) => m.Subject.startsWith('Batch me'))).toHaveLength(5);

		const deleted = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'delete',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
			},
			{ items: moved.items.map((i) => ({ id: i.json.id })) },
		);
		expect(serialiseError(deleted.error)).toBeUndefined();
		expect(deleted.items.every((i) => i.json.deleted === true)).toBe(true);
		const left = await world.emu.admin<unknown[]>('Get-MailboxMessages', { Mailbox: SUPPORT, Folder: 'archive' });
		expect(left).toHaveLength(0);

		const single = await world.run('rbac', {
			resource: 'message',
			operation: 'get',
			mailbox: SUPPORT,
			messageId: ids[10],
			simplify: false,
		});
		expect(single.items[0].json).toMatchObject({ id: ids[10], isRead: true, flag: { flagStatus: 'flagged' } });
		assertNoSecrets(world, single);
	});
});

describe('Message → Reply / Forward', () => {
	it('replies, replies all and forwards from the shared mailbox', async () => {
		await world.emu.admin('Deliver-Message', { To: NOTIFICATIONS, From: EXTERNAL, Subject: 'Question' });
		const listed = await world.run('mi', {
			resource: 'message',
			operation: 'list',
			mailbox: NOTIFICATIONS,
			folder: inbox,
			filters: { subjectContains: 'Question' },
		});
		const messageId = listed.items[0].json.id as string;
		const reply = await world.run('mi', {
			resource: 'message',
			operation: 'reply',
			mailbox: NOTIFICATIONS,
			messageId,
			replyType: 'reply',
			comment: 'Thanks, on it.',
		});
		expect(serialiseError(reply.error)).toBeUndefined();
		const forward = await world.run('mi', {
			resource: 'message',
			operation: 'forward',
			mailbox: NOTIFICATIONS,
			messageId,
			toRecipients: ADELE,
			comment: 'FYI',
		});
		expect(serialiseError(forward.error)).toBeUndefined();
		const replyAll = await world.run('mi', {
			resource: 'message',
			operation: 'reply',
			mailbox: NOTIFICATIONS,
			messageId,
			replyType: 'replyAll',
			comment: 'All',
		});
		expect(serialiseError(replyAll.error)).toBeUndefined();
		const sent = await world.emu.admin<Array<{ Subject: string; To: string[]; Body: string }>>('Get-SentMessages', {
			Mailbox: NOTIFICATIONS,
		});
		expect(sent.find((m) => m.Subject === 'RE: Question' && m.Body.includes('Thanks, on it.'))?.To).toEqual([EXTERNAL]);
		expect(sent.find((m) => m.Subject === 'FW: Question')?.To).toEqual([ADELE]);
	});
});

describe('hostile values never leave the named mailbox', () => {
	it('encodes ids and rejects mailbox values that would change the path', async () => {
		const seq = await since();
		const hostileIds = [
			'../../finance@contoso.onmicrosoft.com/messages',
			"x' or 1 eq 1",
			'a?b#c',
			'..',
			'id/with/slashes',
		];
		const run = await world.run(
			'unscoped',
			{ resource: 'message', operation: 'get', mailbox: '={{ $json.mailbox }}', messageId: '={{ $json.id }}' },
			{
				continueOnFail: true,
				items: [
					...hostileIds.map((id) => ({ mailbox: SUPPORT, id })),
					{ mailbox: `${SUPPORT}/../../users/${FINANCE}`, id: 'x' },
					{ mailbox: `${FINANCE}?`, id: 'x' },
					{ mailbox: `${FINANCE}#`, id: 'x' },
					{ mailbox: '..', id: 'x' },
				],
			},
		);
		expect(run.items).toHaveLength(9);
		expect(run.items.every((i) => typeof i.json.error === 'string')).toBe(true);
		const requests = await requestsAfter(seq);
		expect(requests.length).toBeGreaterThan(0);
		// The gets of one mailbox travel in a $batch: its inner requests are checked like direct ones.
		const inner = await innerRequestsAfter(seq);
		expect(inner.length).toBeGreaterThan(0);
		for (const request of [...requests, ...inner]) {
			if (request.path === '/v1.0/$batch') continue;
			expect(request.path.startsWith(`/v1.0/users/${SUPPORT}/messages/`)).toBe(true);
			// 424: not run, because the request before it in its chain failed (it is sent again).
			if (request.status !== 424) expect(request.mailbox).toBe(SUPPORT);
		}
		for (const request of inner) {
			// Each id arrived whole, as one encoded path segment, and was refused as malformed.
			const id = request.rawPath.slice(`/v1.0/users/${encodeURIComponent(SUPPORT)}/messages/`.length);
			expect(request.rawPath.startsWith(`/v1.0/users/${encodeURIComponent(SUPPORT)}/messages/`)).toBe(true);
			expect(id).not.toMatch(/[/?#]/);
			expect(hostileIds).toContain(decodeURIComponent(id));
			expect([400, 424]).toContain(request.status);
		}
		// A folder ID and filter values that try to break out: encoded / escaped, so they stay data.
		const folderSeq = await since();
		const folder = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'list',
				mailbox: SUPPORT,
				folder: { __rl: true, mode: 'id', value: `../../../users/${FINANCE}/mailFolders/inbox` },
			},
			{ continueOnFail: true },
		);
		expect(folder.items[0].json.error).toMatch(
			/^Microsoft Graph refused the request for mailbox support@contoso\.onmicrosoft\.com: Id is malformed\./,
		);
		const injected = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			returnAll: true,
			filters: { from: "x' or true or from/emailAddress/address eq 'y", subjectContains: "') or (true" },
		});
		expect(serialiseError(injected.error)).toBeUndefined();
		expect(injected.items).toHaveLength(0);
		for (const request of await requestsAfter(folderSeq)) {
			expect(request.mailbox).toBe(SUPPORT);
			expect(request.path.startsWith(`/v1.0/users/${SUPPORT}/mailFolders/`)).toBe(true);
		}

		const finance = await world.emu.admin<Array<{ Id: string }>>('Get-MailboxMessages', { Mailbox: FINANCE });
		expect(finance.length).toBeGreaterThan(0);
		expect(requests.filter((r) => r.mailbox !== undefined && r.mailbox !== SUPPORT)).toEqual([]);
	});
});
