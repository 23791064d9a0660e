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

const send = (mailbox: string, extra: Record<string, unknown> = {}) => ({
	resource: 'message',
	operation: 'send',
	mailbox,
	toRecipients: EXTERNAL,
	subject: 'Order shipped',
	bodyContentType: 'text',
	bodyContent: 'Your order left the warehouse.',
	...extra,
});

describe('Message → Send', () => {
	it('the scoped managed identity sends from the shared mailbox', async () => {
		const run = await world.run(
			'mi',
			send(NOTIFICATIONS, {
				additionalFields: {
					ccRecipients: 'Adele Vance <adele@contoso.onmicrosoft.com>',
					bccRecipients: 'audit@fabrikam.example',
					replyTo: 'help@fabrikam.example',
					importance: 'high',
					internetMessageHeaders: { headers: [{ name: 'X-Ticket-Id', value: 'T-1' }] },
				},
			}),
		);
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items).toHaveLength(1);
		expect(run.items[0].json).toMatchObject({ sent: true, mailbox: NOTIFICATIONS, method: 'sendMail' });
		const sent = await world.emu.admin<Array<Record<string, unknown>>>('Get-SentMessages', { Mailbox: NOTIFICATIONS });
		const message = sent.find((m) => m.Subject === 'Order shipped');
		expect(message).toMatchObject({
			From: NOTIFICATIONS,
			To: [EXTERNAL],
			Cc: [ADELE],
			Bcc: ['audit@fabrikam.example'],
			ReplyTo: ['help@fabrikam.example'],
			Importance: 'high',
			Body: 'Your order left the warehouse.',
		});
		expect(message!.InternetMessageHeaders).toEqual(expect.arrayContaining([{ name: 'X-Ticket-Id', value: 'T-1' }]));
		assertNoSecrets(world, run);
	});

	it('the scoped managed identity is denied on another mailbox with a clear error', async () => {
		const run = await world.run('mi', send(FINANCE));
		expect(run.error).toBeDefined();
		expect(run.error!.message).toMatch(/not allowed to use mailbox finance@contoso\.onmicrosoft\.com/);
		expect(run.error!.message).toMatch(/Exchange scoping/);
		expect(String((run.error as { description?: string }).description)).toMatch(
			/Test-ApplicationAccessPolicy|Test-ServicePrincipalAuthorization/,
		);
		const sent = await world.emu.admin<unknown[]>('Get-SentMessages', { Mailbox: FINANCE });
		expect(sent).toHaveLength(0);
		assertNoSecrets(world, run);
	});

	it('the RBAC-scoped app sends from its mailbox, not from another', async () => {
		const ok = await world.run('rbac', send(SUPPORT, { subject: 'From support' }));
		expect(serialiseError(ok.error)).toBeUndefined();
		const denied = await world.run('rbac', send(ADELE, { subject: 'From adele' }), { continueOnFail: true });
		expect(denied.items[0].json.error).toMatch(/not allowed to use mailbox adele@contoso\.onmicrosoft\.com/);
		expect(denied.items[0].pairedItem).toEqual({ item: 0 });
	});

	it('the RBAC-scoped app with a certificate credential sends from its mailbox', async () => {
		const run = await world.run('rbacCert', send(SUPPORT, { subject: 'From support (certificate)' }));
		expect(serialiseError(run.error)).toBeUndefined();
		const sent = await world.emu.admin<Array<{ Subject: string }>>('Get-SentMessages', { Mailbox: SUPPORT });
		expect(sent.some((m) => m.Subject === 'From support (certificate)')).toBe(true);
		const tokenRequests = (
			await world.emu.admin<Array<{ kind: string; clientAuth?: string; appId?: string }>>('Get-RequestLog')
		).filter(
			(r) =>
				r.kind === 'token' &&
				r.appId === world.emu.info.scenario.apps.rbac.appId &&
				r.clientAuth?.startsWith('certificate'),
		);
		expect(tokenRequests.length).toBeGreaterThan(0);
		assertNoSecrets(world, run);
	});

	it('rejects headers Graph does not accept and bad addresses, naming the field', async () => {
		const header = await world.run(
			'mi',
			send(NOTIFICATIONS, {
				additionalFields: { internetMessageHeaders: { headers: [{ name: 'Subject', value: 'spoof' }] } },
			}),
		);
		expect(header.error!.message).toMatch(/Custom header "Subject" is not allowed/);
		const injected = await world.run(
			'mi',
			send(NOTIFICATIONS, {
				additionalFields: { internetMessageHeaders: { headers: [{ name: 'X-Evil', value: 'a\r\nBcc: x@y.z' }] } },
			}),
		);
		expect(injected.error!.message).toMatch(/line break/);
		const address = await world.run('mi', send(NOTIFICATIONS, { toRecipients: 'not an address' }));
		expect(address.error!.message).toMatch(/"not an address" in To is not an email address/);
	});

	it('Continue On Fail gives one error item per failed item, with pairedItem', async () => {
		const before = (await world.emu.admin<unknown[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS })).length;
		const run = await world.run(
			'mi',
			{ ...send('={{ $json.mailbox }}'), subject: '={{ $json.subject }}' },
			{
				continueOnFail: true,
				items: [
					{ mailbox: NOTIFICATIONS, subject: 'cof 1' },
					{ mailbox: FINANCE, subject: 'cof 2' },
					{ mailbox: 'a/../b@contoso.onmicrosoft.com', subject: 'cof 3' },
					{ mailbox: NOTIFICATIONS, subject: 'cof 4' },
				],
			},
		);
		expect(run.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		expect(run.items[0].json.sent).toBe(true);
		expect(run.items[1].json.error).toMatch(/not allowed/);
		expect(run.items[2].json.error).toMatch(/Mailbox .* is not valid/);
		expect(run.items[3].json.sent).toBe(true);
		const after = (await world.emu.admin<unknown[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS })).length;
		expect(after - before).toBe(2);
		const log = await graphLog(world);
		expect(log.some((r) => r.path.includes('..'))).toBe(false);
	});
});
