/**
 * Sends under sustained throttling, a stopped run's send report, and re-runs with Prevent Duplicate Sends,
 * against Exchange's sending limits as the emulator models them (30 messages a minute per mailbox, queued in
 * the Outbox; Sent Items filled after the 202).
 *
 * Time: the emulator's clock carries Exchange's minutes (the 429 window, the 30/min drain); the node waits real
 * time for each Retry-After, so the tests answer Retry-After: 1 and move the emulator clock 15 s per throttled
 * round. "429s for 2 minutes" is therefore 2 minutes of the emulator clock over about 8 rounds of 1 s each: per
 * request more than the 4 throttle retries the transport used to allow, which is the property that matters.
 */
import { EXTERNAL, NOTIFICATIONS, assertNoSecrets, graphLog, startWorld, type World } from './world';
import { waitFor } from '../harness/waitFor';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

type Sent = { Subject: string; ExtendedProperties: Array<{ Id: string; Value: string }> };

async function sentSubjects(prefix: string): Promise<string[]> {
	const sent = await world.emu.admin<Sent[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS });
	return sent.map((m) => m.Subject).filter((s) => s.startsWith(prefix));
}

/** Moves the emulator clock until the mailbox's Outbox has drained (30 a minute), as a user would wait. */
async function drainOutbox(): Promise<void> {
	for (let i = 0; i < 100; i++) {
		const q = await world.emu.admin<{ Queued: number }>('Get-OutboundQueue', { Mailbox: NOTIFICATIONS });
		if (q.Queued === 0) return;
		await world.emu.admin('Advance-Clock', { Seconds: 60 });
	}
	throw new Error('Outbox did not drain');
}

const THROTTLED = {
	Method: 'POST',
	PathRegex: 'sendMail',
	Status: 429,
	Headers: { 'Retry-After': '1' },
	Body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
};

const sendParams = (extra: Record<string, unknown> = {}) => ({
	resource: 'message',
	operation: 'send',
	mailbox: NOTIFICATIONS,
	toRecipients: EXTERNAL,
	subject: '={{ $json.subject }}',
	bodyContent: 'hello',
	...extra,
});

/** While the fault lasts on the emulator clock: after each round of 429s, move the clock 15 s. */
async function driveClockThroughFault(endsAtMs: number, run: Promise<unknown>): Promise<number> {
	let seq = (await graphLog(world)).at(-1)?.seq ?? 0;
	let rounds = 0;
	let finished = false;
	void run.finally(() => (finished = true));
	for (;;) {
		const clock = await world.emu.admin<{ epochMs: number }>('Get-Clock');
		if (clock.epochMs >= endsAtMs || finished) return rounds;
		const throttled = await waitFor(
			async () => {
				if (finished) return -1;
				const log = (await graphLog(world)).filter((r) => r.seq > seq && r.status === 429);
				return log.length ? log.at(-1)!.seq : undefined;
			},
			{ what: 'a throttled sendMail', timeoutMs: 60_000 },
		);
		if (throttled < 0) return rounds;
		seq = throttled;
		rounds++;
		await world.emu.admin('Advance-Clock', { Seconds: 15 });
	}
}

describe('sends under throttling and sending limits', () => {
	afterEach(async () => {
		await world.emu.admin('Clear-Faults');
		await drainOutbox();
	});

	it('a 200-item send run under 2 minutes (emulator clock) of 429 on sendMail finishes: 200 messages in Sent Items, none twice; the waiting is logged', async () => {
		const start = await world.emu.admin<{ epochMs: number }>('Get-Clock');
		await world.emu.admin('Add-Fault', { ...THROTTLED, ForSeconds: 120 });
		const items = Array.from({ length: 200 }, (_, i) => ({ subject: `bulk-${i}` }));
		const runPromise = world.run('mi', sendParams(), { items });
		const rounds = await driveClockThroughFault(start.epochMs + 120_000, runPromise);
		const run = await runPromise;
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(200);
		expect(run.items.every((i) => i.json.sendStatus === 'accepted')).toBe(true);
		expect(rounds).toBeGreaterThan(4);
		// The execution's first request goes alone (transport/limits.ts: it may refresh the token), so it takes every
		// 429 of the window while the others wait: more retries than the old count of 4 allowed.
		const throttled = (await graphLog(world)).filter(
			(r) => r.method === 'POST' && /sendMail$/.test(r.path) && r.status === 429,
		);
		expect(throttled.length).toBeGreaterThan(4);
		expect(run.logText).toMatch(/throttled POST .*sendMail.*waiting \d+ s before sending it again/);
		expect(run.task?.hints?.some((h) => /waited as Graph asked/.test(h.message))).toBe(true);
		// Exchange's 30 messages a minute: not all 200 are out yet; the rest wait in the Outbox, none refused.
		const queue = await world.emu.admin<{ Queued: number }>('Get-OutboundQueue', { Mailbox: NOTIFICATIONS });
		expect(queue.Queued).toBeGreaterThan(0);
		await drainOutbox();
		const subjects = await sentSubjects('bulk-');
		expect(subjects).toHaveLength(200);
		expect(new Set(subjects).size).toBe(200);
		assertNoSecrets(world, run);
	}, 120_000);

	it('the throttle budget ends a send run with a clear error that says what was sent', async () => {
		await world.emu.admin('Add-Fault', { ...THROTTLED, Skip: 3 });
		const items = Array.from({ length: 6 }, (_, i) => ({ subject: `budget-${i}` }));
		const run = await world.run('mi', sendParams({ throttleWaitMinutes: 0.05 }), { items });
		expect(run.error).toBeDefined();
		expect(run.error!.message).toMatch(/kept throttling .*Max Wait on Throttling \(0\.05 min\) is spent/);
		const description = String(run.error!.description);
		expect(description).toMatch(
			/Accepted by Microsoft Graph \(202: submitted, delivery not confirmed\) \(3\): items \d/,
		);
		expect(description).toMatch(/Not sent \(3\): items \d/);
		expect(description).not.toMatch(/delivered/i);
		const report = (run.error as unknown as { context: { sendReport: Record<string, number[]> } }).context.sendReport;
		// Which three went first depends on which concurrent request arrived first; all six are accounted for.
		expect(report.accepted).toHaveLength(3);
		expect(report.notSent).toHaveLength(3);
		expect([...report.accepted, ...report.notSent].sort()).toEqual([0, 1, 2, 3, 4, 5]);
		await drainOutbox();
		expect((await sentSubjects('budget-')).sort()).toEqual(report.accepted.map((i) => `budget-${i}`));
		assertNoSecrets(world, run);
	}, 60_000);

	it('a stopped run names the item of unknown outcome; with Prevent Duplicate Sends a re-run sends every message exactly once', async () => {
		const options = { options: { preventDuplicates: true } };
		const items = Array.from({ length: 200 }, (_, i) => ({ subject: `rerun-${i}` }));
		// The 101st sendMail is carried out but its connection drops: the node cannot know it was sent.
		await world.emu.admin('Add-Fault', {
			Method: 'POST',
			PathRegex: 'sendMail',
			ResetAfter: true,
			Count: 1,
			Skip: 100,
		});
		const first = await world.run('mi', sendParams(options), { items });
		expect(first.error?.message).toMatch(
			/was sent to Microsoft Graph but the connection was closed unexpectedly before an answer came: it may or may not have been carried out/,
		);
		const report = (first.error as unknown as { context: { sendReport: Record<string, unknown> } }).context
			.sendReport as {
			accepted: number[];
			unknown: number[];
			notSent: number[];
			idempotencyKeys: Record<string, string[]>;
		};
		expect(report.unknown).toHaveLength(1);
		expect(report.accepted.length).toBeGreaterThanOrEqual(100);
		expect(report.notSent.length).toBeGreaterThan(0);
		expect(report.accepted.length + report.unknown.length + report.notSent.length).toBe(200);
		expect(report.idempotencyKeys.unknown).toHaveLength(1);
		expect(String(first.error!.description)).toMatch(
			/Outcome unknown .*\(1\): items \d+; idempotency keys: \d{4}-\d{2}-\d{2}\./,
		);
		await world.emu.admin('Clear-Faults');

		// The user runs the workflow again with the same input.
		const second = await world.run('mi', sendParams(options), { items });
		expect(second.error).toBeUndefined();
		expect(second.items).toHaveLength(200);
		const statuses = second.items.map((i) => i.json.sendStatus);
		expect(statuses.filter((s) => s === 'alreadySent').length).toBe(report.accepted.length + 1);
		expect(statuses.filter((s) => s === 'accepted').length).toBe(report.notSent.length);
		expect(second.items.every((i) => typeof i.json.idempotencyKey === 'string')).toBe(true);
		await drainOutbox();
		const subjects = await sentSubjects('rerun-');
		expect(subjects.sort()).toEqual(items.map((i) => i.subject).sort());
		assertNoSecrets(world, second);
	}, 60_000);

	it('Prevent Duplicate Sends finds messages still queued in the Outbox (30 a minute) and stores the key on the message', async () => {
		const options = { options: { preventDuplicates: true, idempotencyKey: '=order-{{ $json.n }}' } };
		const items = Array.from({ length: 45 }, (_, n) => ({ subject: `queued-${n}`, n }));
		const first = await world.run('mi', sendParams(options), { items });
		expect(first.error).toBeUndefined();
		const queue = await world.emu.admin<{ Queued: number }>('Get-OutboundQueue', { Mailbox: NOTIFICATIONS });
		expect(queue.Queued).toBeGreaterThan(0);
		const second = await world.run('mi', sendParams(options), { items });
		expect(second.items.map((i) => i.json.sendStatus)).toEqual(items.map(() => 'alreadySent'));
		await drainOutbox();
		const sent = (await world.emu.admin<Sent[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS })).filter((m) =>
			m.Subject.startsWith('queued-'),
		);
		expect(sent).toHaveLength(45);
		expect(sent.find((m) => m.Subject === 'queued-7')!.ExtendedProperties[0].Value).toBe('order-7');
	}, 60_000);

	it('without the option nothing is looked up, and items say accepted (never delivered)', async () => {
		const seq = (await graphLog(world)).at(-1)?.seq ?? 0;
		const run = await world.run('mi', sendParams(), { items: [{ subject: 'plain-0' }] });
		expect(run.items[0].json).toMatchObject({ sent: true, sendStatus: 'accepted' });
		expect(run.items[0].json.idempotencyKey).toBeUndefined();
		const log = (await graphLog(world)).filter((r) => r.seq > seq);
		expect(log.map((r) => r.method)).toEqual(['POST']);
	});

	it('reply and forward with Prevent Duplicate Sends: the second run of the same input is alreadySent', async () => {
		const { Ids } = await world.emu.admin<{ Ids: string[] }>('Deliver-Message', {
			To: NOTIFICATIONS,
			From: EXTERNAL,
			Subject: 'question-1',
		});
		const reply = {
			resource: 'message',
			operation: 'reply',
			mailbox: NOTIFICATIONS,
			messageId: Ids[0],
			replyType: 'reply',
			comment: 'On it.',
			options: { preventDuplicates: true },
		};
		const forward = {
			resource: 'message',
			operation: 'forward',
			mailbox: NOTIFICATIONS,
			messageId: Ids[0],
			toRecipients: 'colleague@fabrikam.example',
			comment: 'FYI',
			options: { preventDuplicates: true },
		};
		for (const parameters of [reply, forward]) {
			const first = await world.run('mi', parameters);
			expect(first.items[0].json).toMatchObject({ sendStatus: 'accepted' });
			const second = await world.run('mi', parameters);
			expect(second.items[0].json).toMatchObject({
				sendStatus: 'alreadySent',
				idempotencyKey: first.items[0].json.idempotencyKey,
			});
		}
		await drainOutbox();
		const sent = await world.emu.admin<Sent[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS });
		expect(sent.filter((m) => m.Subject === 'RE: question-1')).toHaveLength(1);
		expect(sent.filter((m) => m.Subject === 'FW: question-1')).toHaveLength(1);
	});

	it('Continue On Fail: a failed send item says notSent or unknown', async () => {
		await world.emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', Status: 400, Count: 1 });
		await world.emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', ResetAfter: true, Count: 1 });
		const run = await world.run('mi', sendParams(), {
			items: [{ subject: 'cof-0' }],
			continueOnFail: true,
		});
		expect(run.items[0].json.sendStatus).toBe('notSent');
		const again = await world.run('mi', sendParams(), { items: [{ subject: 'cof-1' }], continueOnFail: true });
		expect(again.items[0].json).toMatchObject({ sendStatus: 'unknown', outcome: 'unknown' });
	});

	it('the window it cannot cover: a re-run before the sent copy shows up in the mailbox sends again', async () => {
		await world.emu.admin('Set-Settings', { SentItemsDelaySeconds: 30 });
		try {
			const options = { options: { preventDuplicates: true } };
			const items = [{ subject: 'window-0' }];
			const first = await world.run('mi', sendParams(options), { items });
			expect(first.items[0].json.sendStatus).toBe('accepted');
			// Within the 30 s after the 202 nothing is in the mailbox yet: the lookup finds nothing.
			const early = await world.run('mi', sendParams(options), { items });
			expect(early.items[0].json.sendStatus).toBe('accepted');
			await world.emu.admin('Advance-Clock', { Seconds: 31 });
			const later = await world.run('mi', sendParams(options), { items });
			expect(later.items[0].json.sendStatus).toBe('alreadySent');
			expect(await sentSubjects('window-')).toEqual(['window-0', 'window-0']);
		} finally {
			await world.emu.admin('Set-Settings', { SentItemsDelaySeconds: 0 });
		}
	});
});
