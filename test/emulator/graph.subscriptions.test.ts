/** /subscriptions: Graph's rules for Outlook messages, validation, delivery, retries, lifecycle events and faults. */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { ensureCa, issueServerCertificate } from './core/tls';
import { ALICE, BOB, SHARED, startKit, type Kit } from './graph/testkit';
import { waitFor } from '../harness/waitFor';

interface Received {
	path: string;
	query: URLSearchParams;
	body: string;
}

/** An HTTPS receiver with a certificate from the emulator's test CA; its answer is set per test. */
class Receiver {
	server!: Server;
	base = '';
	received: Received[] = [];
	answer: (r: Received) => { status: number; type?: string; body?: string } | Promise<never> = (r) => {
		const token = r.query.get('validationToken');
		return token !== null ? { status: 200, type: 'text/plain', body: token } : { status: 202 };
	};

	async start() {
		const cert = issueServerCertificate(ensureCa(), ['127.0.0.1', 'localhost']);
		this.server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', async () => {
				const url = new URL(req.url ?? '/', 'https://127.0.0.1');
				const r = { path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') };
				this.received.push(r);
				const a = await this.answer(r);
				res.writeHead(a.status, a.type ? { 'content-type': a.type } : {});
				res.end(a.body ?? '');
			});
		});
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.base = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	notifications(path = '/notify'): any[] {
		return this.received
			.filter((r) => r.path === path && !r.query.has('validationToken'))
			.flatMap((r) => JSON.parse(r.body).value);
	}

	close() {
		this.server.closeAllConnections();
		return new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

let k: Kit;
let rx: Receiver;
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const body = (over: Record<string, unknown> = {}) => ({
	changeType: 'created',
	notificationUrl: `${rx.base}/notify`,
	lifecycleNotificationUrl: `${rx.base}/lifecycle`,
	resource: `users/${SHARED}/mailFolders('inbox')/messages`,
	expirationDateTime: inMinutes(60),
	clientState: 'secret-state',
	...over,
});

beforeAll(async () => {
	k = await startKit();
	rx = new Receiver();
	await rx.start();
});
afterAll(async () => {
	await k.emu.close();
	await rx.close();
});
beforeEach(async () => {
	rx.received = [];
	rx.answer = new Receiver().answer;
	await k.emu.admin('Clear-NotificationFaults');
	for (const s of await k.emu.admin<any[]>('Get-Subscriptions'))
		await k.emu.admin('Remove-Subscription', { Id: s.Id, Notify: false });
});

test('create validates both URLs, then new mail in the folder is notified with Graph’s payload', async () => {
	const r = await k.call('POST', '/subscriptions', { body: body(), app: 'reader' });
	expect(r.status).toBe(201);
	expect(r.json).toMatchObject({
		changeType: 'created',
		clientState: 'secret-state',
		applicationId: expect.any(String),
	});
	const validations = rx.received.filter((x) => x.query.has('validationToken')).map((x) => x.path);
	expect(validations).toEqual(['/notify', '/lifecycle']);

	const { Ids } = await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'one' });
	await k.emu.admin('Deliver-Message', { To: SHARED, Subject: 'elsewhere', Folder: 'Invoices' });
	const [n] = await waitFor(() => rx.notifications().length >= 1 && rx.notifications(), { what: 'a notification' });
	expect(n).toMatchObject({
		subscriptionId: r.json.id,
		changeType: 'created',
		clientState: 'secret-state',
		tenantId: expect.any(String),
		subscriptionExpirationDateTime: expect.any(String),
		resourceData: { '@odata.type': '#Microsoft.Graph.Message', id: Ids[0] },
	});
	expect(n.resource).toMatch(new RegExp(`^Users/[^/]+/Messages/${Ids[0].replace(/[+]/g, '\\+')}$`));
	// Deliveries start as the message arrives: once those in flight are answered, none can be on its way.
	await k.emu.admin('Wait-NotificationDeliveries');
	expect(rx.notifications().map((x) => x.resourceData.id)).toEqual([Ids[0]]); // Invoices is not the subscribed folder
});

test('Graph’s rules: HTTPS, maximum expiration, failed validation, list/get/renew/delete by the owning app only', async () => {
	expect(
		(await k.call('POST', '/subscriptions', { body: body({ notificationUrl: 'http://127.0.0.1:1/x' }) })).status,
	).toBe(400);
	const tooLong = await k.call('POST', '/subscriptions', { body: body({ expirationDateTime: inMinutes(10081) }) });
	expect(tooLong.status).toBe(400);
	expect(tooLong.text).toMatch(/10080 minutes/);
	expect(
		(await k.call('POST', '/subscriptions', { body: body({ expirationDateTime: inMinutes(10079) }) })).status,
	).toBe(201);

	rx.answer = (x) =>
		x.query.has('validationToken') ? { status: 200, type: 'text/plain', body: 'wrong' } : { status: 202 };
	const bad = await k.call('POST', '/subscriptions', { body: body() });
	expect(bad.status).toBe(400);
	expect(bad.text).toMatch(/validation request failed/);
	rx.answer = new Receiver().answer;

	const created = (await k.call('POST', '/subscriptions', { body: body(), app: 'reader' })).json;
	expect((await k.call('GET', '/subscriptions', { app: 'reader' })).json.value.map((s: any) => s.id)).toEqual([
		created.id,
	]);
	expect((await k.call('GET', `/subscriptions/${created.id}`, { app: 'mailer' })).status).toBe(404);
	const renewed = await k.call('PATCH', `/subscriptions/${created.id}`, {
		body: { expirationDateTime: inMinutes(120) },
		app: 'reader',
	});
	expect(renewed.status).toBe(200);
	expect(Date.parse(renewed.json.expirationDateTime)).toBeGreaterThan(Date.parse(created.expirationDateTime));
	expect((await k.call('DELETE', `/subscriptions/${created.id}`, { app: 'reader' })).status).toBe(204);
	expect((await k.call('GET', `/subscriptions/${created.id}`, { app: 'reader' })).status).toBe(404);
});

test('validation answered too late fails the create (Graph waits 10 s; shortened here)', async () => {
	await k.emu.admin('Set-SubscriptionSettings', { ValidationTimeoutMs: 300 });
	rx.answer = (x) =>
		x.query.has('validationToken')
			? (new Promise((resolve) =>
					setTimeout(() => resolve({ status: 200, type: 'text/plain', body: x.query.get('validationToken')! }), 800),
				) as never)
			: { status: 202 };
	const r = await k.call('POST', '/subscriptions', { body: body() });
	expect(r.status).toBe(400);
	await k.emu.admin('Set-SubscriptionSettings', { ValidationTimeoutMs: 10_000 });
});

test('access goes through Exchange: Mail.ReadBasic subscribes, delegated only to the signed-in mailbox', async () => {
	expect((await k.call('POST', '/subscriptions', { body: body(), app: 'basic' })).status).toBe(201);
	const token = await k.delegatedToken(); // Alice, FullAccess on the shared mailbox
	const asAlice = (resource: string) =>
		fetch(`${k.base}/v1.0/subscriptions`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
			body: JSON.stringify(body({ resource })),
		});
	expect((await asAlice(`users/${SHARED}/messages`)).status).toBe(403);
	expect((await asAlice(`users/${BOB}/messages`)).status).toBe(403);
	expect((await asAlice(`me/mailFolders('inbox')/messages`)).status).toBe(201);
	expect((await asAlice(`users/${ALICE}/messages`)).status).toBe(201);
});

test('the per-mailbox limit is 1,000 active subscriptions for all apps', async () => {
	await k.emu.admin('Set-SubscriptionSettings', { MaxPerMailbox: 2 });
	expect((await k.call('POST', '/subscriptions', { body: body(), app: 'reader' })).status).toBe(201);
	expect((await k.call('POST', '/subscriptions', { body: body(), app: 'mailer' })).status).toBe(201);
	const third = await k.call('POST', '/subscriptions', { body: body(), app: 'basic' });
	expect(third.status).toBe(403);
	await k.emu.admin('Set-SubscriptionSettings', { MaxPerMailbox: 1000 });
	expect((await k.emu.admin<any>('Get-SubscriptionSettings')).maxPerMailbox).toBe(1000);
});

test('failed deliveries are retried with back-off until answered 2xx', async () => {
	const sub = (await k.call('POST', '/subscriptions', { body: body({ expirationDateTime: inMinutes(600) }) })).json;
	let failures = 2;
	rx.answer = (x) => {
		if (x.query.has('validationToken'))
			return { status: 200, type: 'text/plain', body: x.query.get('validationToken')! };
		return failures-- > 0 ? { status: 503 } : { status: 202 };
	};
	await k.emu.admin('Deliver-Message', { To: SHARED });
	const log = await waitFor(
		async () => {
			const l = (await k.emu.admin<any[]>('Get-NotificationLog', { Kind: 'change' })).filter(
				(e) => e.subscriptionId === sub.id,
			);
			return l.some((e) => e.status === 202) && l;
		},
		{ what: 'a 202 after retries' },
	);
	expect(log.map((e: any) => [e.status, e.attempt])).toEqual([
		[503, 1],
		[503, 2],
		[202, 3],
	]);
});

test('faults: drop, duplicate, reorder; lifecycle events on demand; removal; expiry and reauthorizationRequired on the clock', async () => {
	const sub = (await k.call('POST', '/subscriptions', { body: body({ expirationDateTime: inMinutes(600) }) })).json;
	await k.emu.admin('Set-NotificationFaults', { DropNext: 1 });
	await k.emu.admin('Deliver-Message', { To: SHARED, Count: 1 });
	await k.emu.admin('Set-NotificationFaults', { DuplicateRate: 1, ReorderWindow: 4 });
	const { Ids } = await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Count: 2 });
	const got = await waitFor(() => rx.notifications().length >= 4 && rx.notifications(), { what: '4 notifications' });
	expect(got.map((n: any) => n.resourceData.id).sort()).toEqual([...Ids, ...Ids].sort());
	await k.emu.admin('Clear-NotificationFaults');

	await k.emu.admin('Send-LifecycleEvent', { Id: sub.id, Event: 'missed' });
	const missed = await waitFor(() => rx.notifications('/lifecycle').find((n) => n.lifecycleEvent === 'missed'), {
		what: 'missed',
	});
	expect(missed).toMatchObject({ subscriptionId: sub.id, clientState: 'secret-state', tenantId: expect.any(String) });

	const again = (await k.call('POST', '/subscriptions', { body: body({ expirationDateTime: inMinutes(600) }) })).json;
	await k.emu.admin('Remove-Subscription', { Id: again.id });
	await waitFor(
		() =>
			rx
				.notifications('/lifecycle')
				.find((n) => n.lifecycleEvent === 'subscriptionRemoved' && n.subscriptionId === again.id),
		{ what: 'subscriptionRemoved' },
	);
	expect((await k.call('GET', `/subscriptions/${again.id}`)).status).toBe(404);

	// Close to expiry: reauthorizationRequired; past expiry: gone without a word.
	await k.emu.admin('Invoke-SubscriptionScan'); // far from expiry: the scan sends nothing
	await k.emu.admin('Wait-NotificationDeliveries');
	expect(rx.notifications('/lifecycle').filter((n) => n.lifecycleEvent === 'reauthorizationRequired')).toEqual([]);
	await k.emu.admin('Advance-Clock', { Seconds: (600 - 120) * 60 });
	await waitFor(() => rx.notifications('/lifecycle').find((n) => n.lifecycleEvent === 'reauthorizationRequired'), {
		what: 'reauthorizationRequired',
	});
	await k.emu.admin('Advance-Clock', { Seconds: 130 * 60 });
	await waitFor(async () => (await k.emu.admin<any[]>('Get-Subscriptions')).length === 0, { what: 'expired' });
});
