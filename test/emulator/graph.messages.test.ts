/** Graph v1.0 mail reads against the emulator over HTTPS: mailbox resolution, list/get/OData, folders, attachments, updates. */
import { ALICE, BOB, enc, SCENARIO, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
const inbox = `/users/${enc(SHARED)}/mailFolders/inbox/messages`;

beforeAll(async () => {
	k = await startKit();
	// 25 plain messages, then a few distinctive ones.
	await k.emu.admin('Deliver-Message', {
		To: SHARED,
		Subject: 'Bulk',
		Count: 25,
		ReceivedDateTime: '2024-01-01T08:00:00Z',
	});
	await k.emu.admin('Deliver-Message', {
		To: SHARED,
		Subject: "O'Brien's invoice",
		From: 'billing@fabrikam.example',
		Importance: 'High',
		ReceivedDateTime: '2024-02-01T10:00:00Z',
		Attachments: [
			{
				Name: 'inv.pdf',
				ContentType: 'application/pdf',
				ContentBase64: Buffer.from('%PDF-1.4 test').toString('base64'),
			},
		],
	});
	await k.emu.admin('Deliver-Message', {
		To: SHARED,
		Subject: 'Weekly report',
		From: 'Reports <reports@contoso.onmicrosoft.com>',
		IsRead: true,
		ReceivedDateTime: '2024-03-01T10:00:00Z',
		Categories: ['Red category'],
	});
	await k.emu.admin('Deliver-Message', {
		To: SHARED,
		Subject: 'Invoice 42',
		Folder: 'Invoices',
		ReceivedDateTime: '2024-03-02T10:00:00Z',
	});
});
afterAll(() => k.emu.close());

describe('mailbox resolution and tokens', () => {
	test('no token and a bad token give 401 InvalidAuthenticationToken', async () => {
		const none = await k.call('GET', inbox, { app: null });
		expect(none.status).toBe(401);
		expect(none.json.error.code).toBe('InvalidAuthenticationToken');
		const bad = await k.call('GET', inbox, { app: null, headers: { Authorization: 'Bearer abc.def.ghi' } });
		expect(bad.status).toBe(401);
		expect(bad.json.error.code).toBe('InvalidAuthenticationToken');
	});

	test('unknown user is 404 ErrorInvalidUser naming it', async () => {
		const r = await k.call('GET', `/users/${enc('nobody@contoso.onmicrosoft.com')}/messages`);
		expect(r.status).toBe(404);
		expect(r.json.error).toMatchObject({
			code: 'ErrorInvalidUser',
			message: "The requested user 'nobody@contoso.onmicrosoft.com' is invalid.",
		});
		expect(r.json.error.innerError['request-id']).toBeTruthy();
	});

	test('UPN is case-insensitive, the object id works, OData key syntax works', async () => {
		const byUpper = await k.call('GET', `/users/${enc(SHARED.toUpperCase())}/mailFolders/inbox/messages?$top=1`);
		const byId = await k.call(
			'GET',
			`/users/${k.emu.info.scenario.mailboxes.shared.id}/mailFolders/inbox/messages?$top=1`,
		);
		const byKey = await k.call('GET', `/users('${enc(SHARED)}')/mailFolders('inbox')/messages?$top=1`);
		expect([byUpper.status, byId.status, byKey.status]).toEqual([200, 200, 200]);
		expect(byUpper.json.value[0].id).toBe(byId.json.value[0].id);
		expect(byKey.json.value[0].id).toBe(byId.json.value[0].id);
	});

	test('/me needs a delegated token', async () => {
		const r = await k.call('GET', '/me/messages');
		expect(r.status).toBe(400);
		expect(r.json.error.message).toMatch(/delegated/);
	});

	test('a hostile user segment is just an unknown user', async () => {
		const r = await k.call('GET', `/users/${enc("x' or 1 eq 1/../admin")}/messages`);
		expect(r.status).toBe(404);
		expect(r.json.error.code).toBe('ErrorInvalidUser');
	});

	test('log entries carry kind, app and mailbox', async () => {
		await k.emu.admin('Clear-RequestLog');
		await k.call('GET', `${inbox}?$top=1`);
		const log = await k.emu.admin<Array<Record<string, unknown>>>('Get-RequestLog');
		const entry = log.find((e) => String(e.path).includes('/mailFolders/inbox/messages'));
		expect(entry).toMatchObject({
			kind: 'graph',
			appId: k.emu.info.scenario.apps.mailer.appId,
			mailbox: SHARED,
			status: 200,
		});
	});
});

describe('list, paging and OData', () => {
	test('default page is 10 and nextLink paging visits every message once, newest first', async () => {
		const seen: string[] = [];
		let url: string | undefined = inbox;
		let pages = 0;
		let lastTime = Infinity;
		while (url) {
			const r = await k.call('GET', url);
			expect(r.status).toBe(200);
			pages++;
			if (pages === 1) expect(r.json.value).toHaveLength(10);
			for (const m of r.json.value) {
				expect(Date.parse(m.receivedDateTime)).toBeLessThanOrEqual(lastTime);
				lastTime = Date.parse(m.receivedDateTime);
				seen.push(m.id);
			}
			url = r.json['@odata.nextLink'];
			if (url) expect(url.startsWith(`${k.base}/v1.0/`)).toBe(true);
		}
		expect(pages).toBe(3);
		expect(new Set(seen).size).toBe(27);
		expect(seen).toHaveLength(27);
	});

	test('$top up to 1000, 1001 is 400; $count adds @odata.count', async () => {
		const ok = await k.call('GET', `${inbox}?$top=1000&$count=true`);
		expect(ok.status).toBe(200);
		expect(ok.json.value).toHaveLength(27);
		expect(ok.json['@odata.count']).toBe(27);
		expect(ok.json['@odata.nextLink']).toBeUndefined();
		const bad = await k.call('GET', `${inbox}?$top=1001`);
		expect(bad.status).toBe(400);
		expect(bad.json.error.message).toMatch(/1000/);
		expect((await k.call('GET', `${inbox}?$top=abc`)).status).toBe(400);
	});

	test('Prefer odata.maxpagesize sets the page size and is acknowledged', async () => {
		const r = await k.call('GET', inbox, { headers: { Prefer: 'odata.maxpagesize=4' } });
		expect(r.json.value).toHaveLength(4);
		expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=4');
		expect(r.json['@odata.nextLink']).toContain('%24skip=4');
	});

	test('$select returns only the selected properties (plus id and etag); unknown ones are 400', async () => {
		const r = await k.call('GET', `${inbox}?$select=subject,isRead&$top=1`);
		expect(Object.keys(r.json.value[0]).sort()).toEqual(['@odata.etag', 'id', 'isRead', 'subject']);
		expect(r.json['@odata.context']).toMatch(/messages\(subject,isRead\)$/);
		const bad = await k.call('GET', `${inbox}?$select=subject,nope`);
		expect(bad.status).toBe(400);
		expect(bad.json.error.message).toBe("Could not find a property named 'nope' on type 'microsoft.graph.message'.");
	});

	const count = async (filter: string, path = inbox): Promise<number> => {
		const r = await k.call('GET', `${path}?$top=1000&$filter=${enc(filter)}`);
		if (r.status !== 200) throw new Error(`${filter}: ${r.status} ${r.text}`);
		return r.json.value.length;
	};

	test.each([
		['isRead eq false', 26],
		['isRead eq true', 1],
		['not isRead', 26],
		["importance eq 'high'", 1],
		["importance ne 'high'", 26],
		['hasAttachments eq true', 1],
		['receivedDateTime ge 2024-02-01T00:00:00Z', 2],
		['receivedDateTime gt 2024-02-01T10:00:00Z', 1],
		['receivedDateTime lt 2024-02-01', 25],
		["subject eq 'O''Brien''s invoice'", 1],
		["subject eq 'o''brien''s INVOICE'", 1],
		["startswith(subject,'Week')", 1],
		["contains(subject,'report')", 1],
		["endswith(subject,'invoice')", 1],
		["from/emailAddress/address eq 'billing@fabrikam.example'", 1],
		["categories/any(c:c eq 'Red category')", 1],
		[`toRecipients/any(r: r/emailAddress/address eq '${SHARED}')`, 27],
		["(importance eq 'high' or isRead eq true) and receivedDateTime ge 2024-01-15T00:00:00Z", 2],
		["not (subject eq 'Bulk')", 2],
		["flag/flagStatus eq 'notFlagged'", 27],
		['isDraft eq false and hasAttachments eq false', 26],
	])('$filter %s', async (filter, expected) => {
		expect(await count(filter)).toBe(expected);
	});

	test('conversationId filter finds the message', async () => {
		const one = (await k.call('GET', `${inbox}?$top=1&$select=conversationId`)).json.value[0];
		expect(await count(`conversationId eq '${one.conversationId}'`)).toBe(1);
	});

	test.each([
		["subject eq 'unterminated", 'BadRequest', /Invalid filter clause/],
		['subject eq', 'BadRequest', /Invalid filter clause/],
		["nope eq 'x'", 'BadRequest', /Could not find a property named 'nope'/],
		["receivedDateTime ge '2024-01-01'", 'BadRequest', /incompatible types/],
		["importance eq 'urgent'", 'BadRequest', /not a valid enumeration/],
		["toRecipients eq 'x'", 'ErrorInvalidUrlQueryFilter', /invalid nodes/],
		["subject eq 'x' )", 'BadRequest', /Invalid filter clause/],
	])('bad $filter %s is 400 %s', async (filter, code, message) => {
		const r = await k.call('GET', `${inbox}?$filter=${enc(filter)}`);
		expect(r.status).toBe(400);
		expect(r.json.error.code).toBe(code);
		expect(r.json.error.message).toMatch(message);
	});

	test('$orderby sorts; with $filter its properties must lead the filter in the same order (InefficientFilter)', async () => {
		const asc = await k.call('GET', `${inbox}?$orderby=receivedDateTime asc&$top=2&$select=subject`);
		expect(asc.json.value[0].subject).toBe('Bulk');
		const ok = await k.call(
			'GET',
			`${inbox}?$filter=${enc("receivedDateTime ge 2024-01-15T00:00:00Z and importance eq 'high'")}&$orderby=receivedDateTime desc`,
		);
		expect(ok.status).toBe(200);
		expect(ok.json.value).toHaveLength(1);
		const bad = await k.call(
			'GET',
			`${inbox}?$filter=${enc("importance eq 'high' and receivedDateTime ge 2024-01-15T00:00:00Z")}&$orderby=receivedDateTime desc`,
		);
		expect(bad.status).toBe(400);
		expect(bad.json.error).toMatchObject({
			code: 'InefficientFilter',
			message: 'The restriction or sort order is too complex for this operation.',
		});
		const missing = await k.call('GET', `${inbox}?$filter=${enc('isRead eq false')}&$orderby=subject`);
		expect(missing.json.error.code).toBe('InefficientFilter');
		const unknown = await k.call('GET', `${inbox}?$orderby=nope desc`);
		expect(unknown.status).toBe(400);
	});

	test('$search matches subject, body and sender, pages with $skiptoken, and refuses $filter/$orderby', async () => {
		const r = await k.call('GET', `/users/${enc(SHARED)}/messages?$search=${enc('"invoice"')}`);
		expect(r.status).toBe(200);
		expect(r.json.value.map((m: { subject: string }) => m.subject).sort()).toEqual(['Invoice 42', "O'Brien's invoice"]);
		const sender = await k.call('GET', `/users/${enc(SHARED)}/messages?$search=${enc('"billing@fabrikam.example"')}`);
		expect(sender.json.value).toHaveLength(1);
		const paged = await k.call('GET', `${inbox}?$search=${enc('"bulk"')}`);
		expect(paged.json['@odata.nextLink']).toContain('skiptoken');
		const page2 = await k.call('GET', paged.json['@odata.nextLink']);
		expect(page2.json.value).toHaveLength(10);
		expect(page2.json.value[0].id).not.toBe(paged.json.value[0].id);
		for (const extra of [`$filter=${enc('isRead eq false')}`, '$orderby=subject']) {
			const bad = await k.call('GET', `${inbox}?$search=${enc('"bulk"')}&${extra}`);
			expect(bad.status).toBe(400);
		}
	});

	test('mailbox-wide list covers all folders; a folder list only its own', async () => {
		expect(await count("subject eq 'Invoice 42'", `/users/${enc(SHARED)}/messages`)).toBe(1);
		expect(await count("subject eq 'Invoice 42'")).toBe(0);
	});
});

describe('get, attachments, folders', () => {
	const find = async (subject: string): Promise<any> =>
		(
			await k.call(
				'GET',
				`/users/${enc(SHARED)}/messages?$filter=${enc(`subject eq '${subject.replace(/'/g, "''")}'`)}`,
			)
		).json.value[0];

	test('get by id (ids carry - _ = and must be encoded), with body in the asked content type', async () => {
		const m = await find("O'Brien's invoice");
		expect(m.id).toMatch(/^AAMkAD[A-Za-z0-9_-]+=$/);
		const r = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}`);
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({
			id: m.id,
			subject: "O'Brien's invoice",
			importance: 'high',
			hasAttachments: true,
			isRead: false,
		});
		expect(r.json['@odata.context']).toMatch(/messages\/\$entity$/);
		const html = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}?$select=body`, {
			headers: { Prefer: 'outlook.body-content-type="html"' },
		});
		expect(html.json.body.contentType).toBe('html');
		expect(html.headers.get('preference-applied')).toContain('outlook.body-content-type');
	});

	test('unknown and malformed ids', async () => {
		const unknown = await k.call('GET', `/users/${enc(SHARED)}/messages/AAMkADunknownunknownunknown=`);
		expect(unknown.status).toBe(404);
		expect(unknown.json.error.code).toBe('ErrorItemNotFound');
		const malformed = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc("x' or '1'='1")}`);
		expect(malformed.status).toBe(400);
		expect(malformed.json.error.code).toBe('ErrorInvalidIdMalformed');
	});

	test('attachments: list, get, $value with the content type', async () => {
		const m = await find("O'Brien's invoice");
		const list = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}/attachments`);
		expect(list.status).toBe(200);
		expect(list.json.value).toHaveLength(1);
		const a = list.json.value[0];
		expect(a).toMatchObject({
			'@odata.type': '#microsoft.graph.fileAttachment',
			name: 'inv.pdf',
			contentType: 'application/pdf',
			size: 13,
			isInline: false,
		});
		expect(Buffer.from(a.contentBytes, 'base64').toString()).toBe('%PDF-1.4 test');
		const one = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}/attachments/${enc(a.id)}`);
		expect(one.json.id).toBe(a.id);
		const raw = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}/attachments/${enc(a.id)}/$value`);
		expect(raw.status).toBe(200);
		expect(raw.headers.get('content-type')).toBe('application/pdf');
		expect(raw.text).toBe('%PDF-1.4 test');
		const expanded = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(m.id)}?$expand=attachments`);
		expect(expanded.json.attachments).toHaveLength(1);
	});

	test('mailFolders: top level, by well-known name and id, child folders with counts', async () => {
		const top = await k.call('GET', `/users/${enc(SHARED)}/mailFolders?$top=50`);
		const names = top.json.value.map((f: { displayName: string }) => f.displayName);
		expect(names).toEqual(
			expect.arrayContaining(['Inbox', 'Sent Items', 'Drafts', 'Deleted Items', 'Junk Email', 'Archive']),
		);
		expect(names).not.toContain('Invoices');
		const inboxF = await k.call('GET', `/users/${enc(SHARED)}/mailFolders/Inbox`);
		expect(inboxF.json).toMatchObject({
			displayName: 'Inbox',
			totalItemCount: 27,
			unreadItemCount: 26,
			childFolderCount: 1,
		});
		const byId = await k.call('GET', `/users/${enc(SHARED)}/mailFolders/${enc(inboxF.json.id)}`);
		expect(byId.json.id).toBe(inboxF.json.id);
		const children = await k.call('GET', `/users/${enc(SHARED)}/mailFolders/inbox/childFolders`);
		expect(children.json.value).toHaveLength(1);
		expect(children.json.value[0]).toMatchObject({
			displayName: 'Invoices',
			totalItemCount: 1,
			parentFolderId: inboxF.json.id,
		});
		const small = await k.call('GET', `/users/${enc(SHARED)}/mailFolders?$top=2`);
		expect(small.json.value).toHaveLength(2);
		expect(small.json['@odata.nextLink']).toBeTruthy();
		const created = await k.call('POST', `/users/${enc(SHARED)}/mailFolders/inbox/childFolders`, {
			body: { displayName: 'Processed' },
		});
		expect(created.status).toBe(201);
		const again = await k.call('POST', `/users/${enc(SHARED)}/mailFolders/inbox/childFolders`, {
			body: { displayName: 'processed' },
		});
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('ErrorFolderExists');
		const nested = await k.call(
			'GET',
			`/users/${enc(SHARED)}/mailFolders/inbox/childFolders/${enc(created.json.id)}/messages`,
		);
		expect(nested.status).toBe(200);
		expect(nested.json.value).toEqual([]);
		const filtered = await k.call(
			'GET',
			`/users/${enc(SHARED)}/mailFolders?$filter=${enc("displayName eq 'inbox' or startswith(displayName,'Sent')")}`,
		);
		expect(filtered.json.value.map((f: { displayName: string }) => f.displayName).sort()).toEqual([
			'Inbox',
			'Sent Items',
		]);
		const nonEmpty = await k.call('GET', `/users/${enc(SHARED)}/mailFolders?$filter=${enc('totalItemCount gt 0')}`);
		expect(nonEmpty.json.value.map((f: { displayName: string }) => f.displayName)).toEqual(['Inbox']);
		const badFilter = await k.call('GET', `/users/${enc(SHARED)}/mailFolders?$filter=${enc("subject eq 'x'")}`);
		expect(badFilter.json.error.message).toBe(
			"Could not find a property named 'subject' on type 'microsoft.graph.mailFolder'.",
		);
		const unknown = await k.call('GET', `/users/${enc(SHARED)}/mailFolders/nosuchfolder`);
		expect(unknown.status).toBe(400);
		expect(unknown.json.error.code).toBe('ErrorInvalidIdMalformed');
	});
});

describe('updates', () => {
	test('PATCH isRead, categories, flag; draft-only properties refused on received mail', async () => {
		const [id] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: BOB, Subject: 'patch me' })).Ids;
		const path = `/users/${enc(BOB)}/messages/${enc(id)}`;
		const r = await k.call('PATCH', path, {
			body: { isRead: true, categories: ['Blue'], flag: { flagStatus: 'flagged' } },
		});
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ isRead: true, categories: ['Blue'], flag: { flagStatus: 'flagged' } });
		const [stored] = await k.emu.admin<Array<Record<string, unknown>>>('Get-MailboxMessages', { Mailbox: BOB });
		expect(stored).toMatchObject({ IsRead: true, Categories: ['Blue'], Flag: 'flagged' });
		expect((await k.call('PATCH', path, { body: { subject: 'new' } })).status).toBe(400);
		const typeErr = await k.call('PATCH', path, { body: { isRead: 'yes' } });
		expect(typeErr.status).toBe(400);
		expect((await k.call('PATCH', path, { body: { bogus: 1 } })).json.error.message).toMatch(/does not exist/);
		expect((await k.call('PATCH', path, { body: '{not json' })).status).toBe(400);
	});

	test('move gives 201 and a new id; the old id is gone; DELETE moves to Deleted Items', async () => {
		const [id] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: ALICE, Subject: 'move me' })).Ids;
		const moved = await k.call('POST', `/users/${enc(ALICE)}/messages/${enc(id)}/move`, {
			body: { destinationId: 'archive' },
		});
		expect(moved.status).toBe(201);
		expect(moved.json.id).not.toBe(id);
		expect(moved.json.subject).toBe('move me');
		expect((await k.call('GET', `/users/${enc(ALICE)}/messages/${enc(id)}`)).status).toBe(404);
		const del = await k.call('DELETE', `/users/${enc(ALICE)}/messages/${enc(moved.json.id)}`);
		expect(del.status).toBe(204);
		const deleted = await k.emu.admin<Array<Record<string, unknown>>>('Get-MailboxMessages', {
			Mailbox: ALICE,
			Folder: 'deleteditems',
		});
		expect(deleted.map((m) => m.Subject)).toContain('move me');
		const gone = deleted.find((m) => m.Subject === 'move me')!;
		expect((await k.call('DELETE', `/users/${enc(ALICE)}/messages/${enc(String(gone.Id))}`)).status).toBe(204);
		expect(
			(await k.emu.admin<unknown[]>('Get-MailboxMessages', { Mailbox: ALICE, Folder: 'deleteditems' })).length,
		).toBe(deleted.length - 1);
		const [live] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: ALICE, Subject: 'stay' })).Ids;
		const noDest = await k.call('POST', `/users/${enc(ALICE)}/messages/${enc(live)}/move`, { body: {} });
		expect(noDest.status).toBe(400);
	});
});

describe('permissions by capability', () => {
	test('Mail.ReadBasic lists metadata without body; asking for the body is 403', async () => {
		const r = await k.call('GET', `${inbox}?$top=1`, { app: 'basic' });
		expect(r.status).toBe(200);
		expect(r.json.value[0].subject).toBeDefined();
		expect(r.json.value[0].body).toBeUndefined();
		expect(r.json.value[0].bodyPreview).toBeUndefined();
		const body = await k.call('GET', `${inbox}?$top=1&$select=subject,body`, { app: 'basic' });
		expect(body.status).toBe(403);
		expect(body.json.error.code).toBe('ErrorAccessDenied');
	});

	test('Mail.Read reads but cannot write or send', async () => {
		const r = await k.call('GET', `${inbox}?$top=1`, { app: 'reader' });
		expect(r.status).toBe(200);
		expect(r.json.value[0].body).toBeDefined();
		const id = r.json.value[0].id;
		expect(
			(await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(id)}`, { app: 'reader', body: { isRead: true } }))
				.status,
		).toBe(403);
		const send = await k.call('POST', `/users/${enc(SHARED)}/sendMail`, {
			app: 'reader',
			body: { message: { subject: 'x', toRecipients: [{ emailAddress: { address: BOB } }] } },
		});
		expect(send.status).toBe(403);
	});
});

describe('delegated tokens', () => {
	const asAlice = async (method: string, path: string, body?: unknown) =>
		k.call(method, path, { app: null, headers: { Authorization: `Bearer ${await k.delegatedToken()}` }, body });

	test('/me is the signed-in user; a shared mailbox with FullAccess is readable; another user is not', async () => {
		const me = await asAlice('GET', '/me');
		expect(me.json).toMatchObject({ userPrincipalName: ALICE, mail: ALICE });
		expect((await asAlice('GET', '/me/messages?$top=1')).status).toBe(200);
		expect((await asAlice('GET', `/users/${enc(SHARED)}/mailFolders/inbox/messages?$top=1`)).status).toBe(200);
		const other = await asAlice('GET', `/users/${enc(BOB)}/messages`);
		expect(other.status).toBe(403);
		expect(other.json.error.code).toBe('ErrorAccessDenied');
	});

	test('/me/sendMail from a mailbox the user holds SendAs on; not from one without it', async () => {
		const ok = await asAlice('POST', '/me/sendMail', {
			message: {
				subject: 'as shared',
				from: { emailAddress: { address: SHARED } },
				toRecipients: [{ emailAddress: { address: BOB } }],
			},
		});
		expect(ok.status).toBe(202);
		const atBob = (await k.emu.admin<Array<Record<string, unknown>>>('Get-MailboxMessages', { Mailbox: BOB })).find(
			(m) => m.Subject === 'as shared',
		);
		expect(atBob?.From).toBe(SHARED);
		const denied = await asAlice('POST', '/me/sendMail', {
			message: {
				subject: 'as bob',
				from: { emailAddress: { address: BOB } },
				toRecipients: [{ emailAddress: { address: BOB } }],
			},
		});
		expect(denied.status).toBe(403);
		expect(denied.json.error.code).toBe('ErrorSendAsDenied');
	});
});

describe('scenario seeding', () => {
	test("a scenario's seed entries fill folders through the graph module's hook", async () => {
		const seeded = await startKit({
			scenario: {
				...SCENARIO,
				mailboxes: SCENARIO.mailboxes!.map((m) =>
					m.key === 'shared'
						? {
								...m,
								seed: [
									{ folder: 'inbox', count: 5 },
									{ folder: 'Invoices', count: 2 },
									{ folder: 'Projects', count: 1 },
								],
							}
						: m,
				),
			},
		});
		try {
			const inboxF = await seeded.call('GET', `/users/${enc(SHARED)}/mailFolders/inbox`);
			expect(inboxF.json.totalItemCount).toBe(5);
			const invoices = await seeded.emu.admin<unknown[]>('Get-MailboxMessages', {
				Mailbox: SHARED,
				Folder: 'Invoices',
			});
			expect(invoices).toHaveLength(2);
			const top = await seeded.call(
				'GET',
				`/users/${enc(SHARED)}/mailFolders?$filter=${enc("displayName eq 'Projects'")}`,
			);
			expect(top.json.value[0].totalItemCount).toBe(1);
		} finally {
			await seeded.emu.close();
		}
	});
});
