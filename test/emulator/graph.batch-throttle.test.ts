/** $batch and Exchange's per-app-per-mailbox limits (concurrency with injected latency, rate), measured. */
import { ALICE, BOB, enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
beforeAll(async () => {
	k = await startKit();
	await k.emu.admin('Deliver-Message', { To: SHARED, Subject: 'batch me', Count: 3 });
});
afterAll(() => k.emu.close());

const setLatency = (ms: number) => k.emu.admin('Set-Settings', { LatencyMs: ms });

describe('$batch', () => {
	test('inner requests get their own statuses and bodies; the envelope is 200', async () => {
		const r = await k.call('POST', '/$batch', {
			body: {
				requests: [
					{ id: '1', method: 'GET', url: `/users/${enc(SHARED)}/mailFolders/inbox/messages?$select=subject&$top=2` },
					{ id: '2', method: 'GET', url: `/users/${enc('ghost@contoso.onmicrosoft.com')}/messages` },
					{
						id: '3',
						method: 'POST',
						url: `/users/${enc(SHARED)}/sendMail`,
						headers: { 'Content-Type': 'application/json' },
						body: { message: { subject: 'from batch', toRecipients: [{ emailAddress: { address: BOB } }] } },
					},
					{ id: '4', method: 'GET', url: `users/${enc(SHARED)}/mailFolders/inbox` },
				],
			},
		});
		expect(r.status).toBe(200);
		const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
		expect(byId['1'].status).toBe(200);
		expect(byId['1'].body.value).toHaveLength(2);
		expect(byId['1'].body['@odata.nextLink']).toBeTruthy();
		expect(byId['2']).toMatchObject({ status: 404, body: { error: { code: 'ErrorInvalidUser' } } });
		expect(byId['3'].status).toBe(202);
		expect(byId['4'].body.displayName).toBe('Inbox');
		const atBob = await k.emu.admin<Array<{ Subject: string }>>('Get-MailboxMessages', { Mailbox: BOB });
		expect(atBob.map((m) => m.Subject)).toContain('from batch');
	});

	test('dependsOn orders a sequential batch; a failed dependency gives 424', async () => {
		const [id] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: ALICE, Subject: 'chain' })).Ids;
		const r = await k.call('POST', '/$batch', {
			body: {
				requests: [
					{
						id: 'a',
						method: 'PATCH',
						url: `/users/${enc(ALICE)}/messages/${enc(id)}`,
						headers: { 'Content-Type': 'application/json' },
						body: { isRead: true },
					},
					{ id: 'b', method: 'GET', url: `/users/${enc(ALICE)}/messages/${enc(id)}?$select=isRead`, dependsOn: ['a'] },
					{
						id: 'c',
						method: 'GET',
						url: `/users/${enc(ALICE)}/messages/AAMkADdoesnotexistdoesnotexist=`,
						dependsOn: ['b'],
					},
					{ id: 'd', method: 'GET', url: `/users/${enc(ALICE)}/messages`, dependsOn: ['c'] },
				],
			},
		});
		const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
		expect(byId.a.status).toBe(200);
		expect(byId.b.body.isRead).toBe(true);
		expect(byId.c.status).toBe(404);
		expect(byId.d.status).toBe(424);
	});

	test('more than 20 requests, duplicate ids, unknown dependencies, no token', async () => {
		const many = Array.from({ length: 21 }, (_, i) => ({
			id: String(i),
			method: 'GET',
			url: `/users/${enc(SHARED)}/messages`,
		}));
		const tooMany = await k.call('POST', '/$batch', { body: { requests: many } });
		expect(tooMany.status).toBe(400);
		const twenty = await k.call('POST', '/$batch', {
			body: { requests: many.slice(0, 20).map((x) => ({ ...x, url: `${x.url}?$top=1` })) },
		});
		expect(twenty.status).toBe(200);
		const dup = await k.call('POST', '/$batch', { body: { requests: [many[0], many[0]] } });
		expect(dup.status).toBe(400);
		const dep = await k.call('POST', '/$batch', { body: { requests: [{ ...many[0], dependsOn: ['zz'] }] } });
		expect(dep.status).toBe(400);
		const anon = await k.call('POST', '/$batch', { app: null, body: { requests: [many[0]] } });
		expect(anon.status).toBe(401);
	});

	test('inner requests to one mailbox compete for its 4 slots: inner 429s with Retry-After', async () => {
		await setLatency(150);
		try {
			const requests = Array.from({ length: 6 }, (_, i) => ({
				id: String(i + 1),
				method: 'GET',
				url: `/users/${enc(SHARED)}/messages?$top=1`,
			}));
			const r = await k.call('POST', '/$batch', { body: { requests } });
			expect(r.status).toBe(200);
			const statuses = r.json.responses.map((x: { status: number }) => x.status).sort();
			expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
			const throttled = r.json.responses.find((x: { status: number }) => x.status === 429);
			expect(throttled.headers['Retry-After']).toBe('1');
			expect(throttled.body.error).toMatchObject({
				code: 'ApplicationThrottled',
				message: 'Application is over its MailboxConcurrency limit.',
			});
		} finally {
			await setLatency(0);
		}
	});
});

describe('limits', () => {
	test('the 5th concurrent request for one app and mailbox gets 429 ApplicationThrottled; other mailboxes are separate', async () => {
		await setLatency(400);
		try {
			const path = `/users/${enc(SHARED)}/messages?$top=1`;
			const results = await Promise.all([
				...Array.from({ length: 5 }, () => k.call('GET', path)),
				k.call('GET', `/users/${enc(ALICE)}/messages?$top=1`),
			]);
			const statuses = results
				.slice(0, 5)
				.map((r) => r.status)
				.sort();
			expect(statuses).toEqual([200, 200, 200, 200, 429]);
			expect(results[5].status).toBe(200);
			const throttled = results.find((r) => r.status === 429)!;
			expect(throttled.headers.get('retry-after')).toBe('1');
			expect(throttled.json.error).toMatchObject({
				code: 'ApplicationThrottled',
				message: 'Application is over its MailboxConcurrency limit.',
			});
			// Another app has its own slots.
			const [mailerAgain, readerOne] = await Promise.all([k.call('GET', path), k.call('GET', path, { app: 'reader' })]);
			expect([mailerAgain.status, readerOne.status]).toEqual([200, 200]);
		} finally {
			await setLatency(0);
		}
	});

	test('latency is served inside the window: 4 workers at 100 ms overlap 4 deep, at most 40 requests/s, no 429', async () => {
		await setLatency(100);
		try {
			const path = `/users/${enc(SHARED)}/messages?$top=1&$select=subject`;
			await k.emu.admin('Get-ConcurrencyPeak', { Reset: true });
			const started = Date.now();
			let done = 0;
			let throttled = 0;
			await Promise.all(
				Array.from({ length: 4 }, async () => {
					for (let i = 0; i < 8; i++) {
						const r = await k.call('GET', path);
						if (r.status === 429) throttled++;
						done++;
					}
				}),
			);
			const seconds = (Date.now() - started) / 1000;
			const rate = done / seconds;
			expect(done).toBe(32);
			expect(throttled).toBe(0);
			// At most 40/s (4 slots x 100 ms): a lower bound on the time, which a slow machine only lengthens.
			expect(rate).toBeLessThanOrEqual(40.5);
			// Latency not serialised: the 4 workers' requests were in the window together (a rate floor would say
			// the same only on an idle machine).
			const peaks = await k.emu.admin<Record<string, number>>('Get-ConcurrencyPeak');
			expect(Math.max(...Object.values(peaks))).toBe(4);
			process.stdout.write(`graph throughput, 4 workers at 100 ms latency: ${rate.toFixed(1)} requests/s\n`);
		} finally {
			await setLatency(0);
		}
	});

	test('rate limit per 10 minutes, reset by the clock', async () => {
		await k.emu.admin('Set-Settings', { RateLimitPer10Min: 3 });
		try {
			const path = `/users/${enc(BOB)}/messages?$top=1`;
			const statuses: number[] = [];
			for (let i = 0; i < 4; i++) statuses.push((await k.call('GET', path)).status);
			expect(statuses).toEqual([200, 200, 200, 429]);
			const r = await k.call('GET', path);
			expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(500);
			await k.emu.admin('Advance-Clock', { Seconds: 601 });
			expect((await k.call('GET', path, { headers: {} })).status).not.toBe(429);
		} finally {
			await k.emu.admin('Set-Settings', { RateLimitPer10Min: 10000 });
		}
	});
});
