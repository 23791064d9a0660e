/**
 * Many sends under Exchange's per-mailbox concurrency, injected 429/503 faults and connection resets: every
 * input item ends either sent exactly once or as an error item (outcome unknown for resets), never twice.
 */
import { EXTERNAL, NOTIFICATIONS, SUPPORT, assertNoSecrets, graphLog, startWorld, type World } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

type Sent = { Subject: string };

async function sentSubjects(mailbox: string, prefix: string): Promise<string[]> {
	// Exchange submits 30 messages a minute per mailbox; the rest wait in the Outbox: let the emulator's minutes pass.
	for (let i = 0; i < 20; i++) {
		const q = await world.emu.admin<{ Queued: number }>('Get-OutboundQueue', { Mailbox: mailbox });
		if (q.Queued === 0) break;
		await world.emu.admin('Advance-Clock', { Seconds: 60 });
	}
	const sent = await world.emu.admin<Sent[]>('Get-SentMessages', { Mailbox: mailbox });
	return sent.map((m) => m.Subject).filter((s) => s.startsWith(prefix));
}

const sendParams = {
	resource: 'message',
	operation: 'send',
	mailbox: NOTIFICATIONS,
	toRecipients: EXTERNAL,
	subject: '={{ $json.subject }}',
	bodyContent: 'hello',
};

describe('throttling and faults', () => {
	afterEach(async () => {
		await world.emu.admin('Clear-Faults');
	});

	it('sends 40 items within 4 concurrent requests per mailbox, retrying 429 and 503 with Retry-After, no duplicates', async () => {
		await world.emu.admin('Add-Fault', {
			Method: 'POST',
			PathRegex: 'sendMail',
			Status: 429,
			Headers: { 'Retry-After': '1' },
			Body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
			Count: 3,
		});
		await world.emu.admin('Add-Fault', {
			Method: 'POST',
			PathRegex: 'sendMail',
			Status: 503,
			Headers: { 'Retry-After': '1' },
			Count: 1,
		});
		await world.emu.admin('Set-Settings', { LatencyMs: 40 });
		const seq = (await graphLog(world)).at(-1)?.seq ?? 0;
		const items = Array.from({ length: 40 }, (_, i) => ({ subject: `load-${i}` }));
		const run = await world.run('mi', sendParams, { items });
		await world.emu.admin('Set-Settings', { LatencyMs: 0 });
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(40);
		const subjects = await sentSubjects(NOTIFICATIONS, 'load-');
		expect(subjects.sort()).toEqual(items.map((i) => i.subject).sort());
		const log = (await graphLog(world)).filter((r) => r.seq > seq);
		// No request was refused for concurrency by the emulator (only the injected faults).
		const throttled = log.filter((r) => r.status === 429);
		expect(throttled).toHaveLength(3);
		expect(log.filter((r) => r.status === 503)).toHaveLength(1);
		assertNoSecrets(world, run);
	});

	it('never sends twice after a connection reset: the item reports an unknown outcome', async () => {
		await world.emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', Reset: true, Count: 2 });
		const items = Array.from({ length: 10 }, (_, i) => ({ subject: `reset-${i}` }));
		const run = await world.run('mi', sendParams, { items, continueOnFail: true });
		expect(run.items).toHaveLength(10);
		const unknown = run.items.filter((i) => i.json.outcome === 'unknown');
		expect(unknown).toHaveLength(2);
		for (const item of unknown) expect(item.json.error).toMatch(/may or may not have been sent/);
		const sent = await sentSubjects(NOTIFICATIONS, 'reset-');
		// Each input is accounted for: sent exactly once, or reported as unknown (here: the reset hit before processing).
		expect(new Set(sent).size).toBe(sent.length);
		const sentIndexes = run.items.map((i, index) => (i.json.sent ? index : -1)).filter((i) => i >= 0);
		expect(sent.sort()).toEqual(sentIndexes.map((i) => `reset-${i}`).sort());
		expect(sent.length + unknown.length).toBe(10);

		await world.emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', Reset: true, Count: 1 });
		const failed = await world.run('mi', sendParams, { items: [{ subject: 'reset-single' }] });
		expect(failed.error!.message).toMatch(/may or may not have been carried out/);
		expect(await sentSubjects(NOTIFICATIONS, 'reset-single')).toHaveLength(0);
	});

	it('a reset while a large attachment is prepared sends nothing and says so', async () => {
		const { binaryItem } = await import('../harness');
		const big = await binaryItem({ property: 'data', fileName: 'big.bin', sizeBytes: 4 * 1024 * 1024 });
		await world.emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'createUploadSession', Reset: true, Count: 1 });
		const run = await world.run(
			'rbac',
			{ ...sendParams, mailbox: SUPPORT, subject: 'prepared-reset', additionalFields: { attachments: 'data' } },
			{ items: [big], continueOnFail: true },
		);
		expect(run.items[0].json.error).toMatch(/lost while the message was being prepared .* it was not sent/);
		expect(run.items[0].json.outcome).toBeUndefined();
		expect(await sentSubjects(SUPPORT, 'prepared-reset')).toHaveLength(0);
		// The unfinished draft was deleted (Graph's DELETE moves it to Deleted Items).
		const inDrafts = await world.emu.admin<Array<{ Subject: string }>>('Get-MailboxMessages', {
			Mailbox: SUPPORT,
			Folder: 'drafts',
		});
		expect(inDrafts.filter((m) => m.Subject === 'prepared-reset')).toHaveLength(0);
	});

	it('retries idempotent reads after resets and 5xx', async () => {
		await world.emu.admin('Add-Fault', { Method: 'GET', PathRegex: 'messages', Reset: true, Count: 1 });
		await world.emu.admin('Add-Fault', { Method: 'GET', PathRegex: 'messages', Status: 500, Count: 1 });
		const run = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: { __rl: true, mode: 'id', value: 'inbox' },
			limit: 2,
		});
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(2);
	});

	it('a large send under emulator-enforced concurrency loses nothing', async () => {
		// Exchange here allows only 2 concurrent requests while the node runs 4: the surplus gets 429 and is retried.
		await world.emu.admin('Set-Settings', { MailboxConcurrency: 2, LatencyMs: 40 });
		const seq = (await graphLog(world)).at(-1)?.seq ?? 0;
		try {
			const items = Array.from({ length: 24 }, (_, i) => ({ subject: `tight-${i}` }));
			const run = await world.run('mi', sendParams, { items, continueOnFail: true });
			const errors = run.items.filter((i) => i.json.error);
			const sent = await sentSubjects(NOTIFICATIONS, 'tight-');
			expect(new Set(sent).size).toBe(sent.length);
			expect(sent.length + errors.length).toBe(24);
			expect(sent.length).toBe(24);
			const throttled = (await graphLog(world)).filter((r) => r.seq > seq && r.status === 429);
			expect(throttled.length).toBeGreaterThan(0);
		} finally {
			await world.emu.admin('Set-Settings', { MailboxConcurrency: 4, LatencyMs: 0 });
		}
	});
});
