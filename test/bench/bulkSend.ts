/**
 * Bulk send: N messages from one shared mailbox through the action node (one execution, N items) in n8n-core,
 * against a sequential fetch loop, and against what Exchange's 4 concurrent requests per mailbox allow.
 * Every run is checked in the mailbox's Sent Items: exactly N, each subject once. The emulator applies
 * Exchange's 30 messages a minute per mailbox: sendMail answers 202 at once and the excess waits in the Outbox,
 * so after each run the emulator clock is moved until the Outbox is empty (delivery time on Exchange's clock).
 * A third variant turns on Prevent Duplicate Sends: its extra cost per item is the mailbox lookup.
 */
import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess } from './emulator';
import { fetchToken, sendMail, sequentialSend } from './naive';
import { CREDENTIALS, EXTERNAL_RECIPIENT, MAILBOX, assertRunOk, loadPackage, newCredentialStore } from './pkg';
import { figure, seconds, type BenchContext, type BenchmarkOutcome } from './types';
import { median } from './stats';

const MAILBOX_CONCURRENCY = 4;

interface BulkInput {
	count: number;
	tag: string;
	preventDuplicates?: boolean;
}

interface BulkWorkerResult {
	ms: number;
	outputItems: number;
	reportedSent: number;
}

function sendParameters(preventDuplicates = false) {
	return {
		...(preventDuplicates ? { options: { preventDuplicates: true } } : {}),
		authentication: 'scopedMailboxAppApi',
		resource: 'message',
		operation: 'send',
		mailbox: MAILBOX,
		toRecipients: EXTERNAL_RECIPIENT,
		subject: '={{ $json.subject }}',
		bodyContentType: 'text',
		bodyContent: 'Benchmark message',
		additionalFields: {},
	};
}

const subjects = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag} ${i}`);

export const workerTasks = {
	async 'bulk.dedupe'(input: BulkInput, info: EmulatorInfo): Promise<BulkWorkerResult> {
		return await workerTasks['bulk.package']({ ...input, preventDuplicates: true }, info);
	},

	async 'bulk.package'(input: BulkInput, info: EmulatorInfo): Promise<BulkWorkerResult> {
		const { harness, ScopedMailbox } = loadPackage();
		const store = newCredentialStore(info);
		const nodeType = new ScopedMailbox();
		const run = (items: string[]) =>
			harness.runNode({
				nodeType,
				parameters: sendParameters(input.preventDuplicates),
				credentials: CREDENTIALS,
				store,
				items: items.map((subject) => ({ subject })),
				mode: 'trigger',
			});
		// Warm-up: a running n8n has its code compiled and the token in its database.
		assertRunOk(await run([`${input.tag}-warmup 0`]), 'bulk send warm-up');
		harness.logCapture.clear();
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		const result = await run(subjects(input.tag, input.count));
		const ms = performance.now() - started;
		assertRunOk(result, 'bulk send');
		return {
			ms,
			outputItems: result.items.length,
			reportedSent: result.items.filter((i) => i.json.sent === true).length,
		};
	},

	async 'bulk.naive'(input: BulkInput, info: EmulatorInfo): Promise<BulkWorkerResult> {
		const token = await fetchToken(info);
		await sendMail(info, token, MAILBOX, EXTERNAL_RECIPIENT, `${input.tag}-warmup 0`);
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		await sequentialSend(info, token, MAILBOX, EXTERNAL_RECIPIENT, subjects(input.tag, input.count));
		return { ms: performance.now() - started, outputItems: input.count, reportedSent: input.count };
	},
};

interface SentMessage {
	Subject: string;
	SentDateTime: string;
}

/** Moves the emulator clock a minute at a time until the Outbox is empty, then a minute more (a fresh window). */
async function drainOutbox(info: EmulatorInfo): Promise<void> {
	for (let i = 0; i < 10_000; i++) {
		const q = await admin<{ Queued: number }>(info, 'Get-OutboundQueue', { Mailbox: MAILBOX });
		if (q.Queued === 0) break;
		await admin(info, 'Advance-Clock', { Seconds: 60 });
	}
	await admin(info, 'Advance-Clock', { Seconds: 60 });
}

export async function runBulk(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const count = ctx.scale.bulkMessages;
	const latency = ctx.options.latencyMs;
	const emulator = await startEmulatorProcess('rbac', latency);
	const { info } = emulator;
	const runs: Record<'package' | 'naive' | 'dedupe', Array<Record<string, unknown>>> = {
		package: [],
		naive: [],
		dedupe: [],
	};
	const { runInWorker } = await import('./workers');
	try {
		for (let r = 0; r < ctx.options.runs; r++) {
			for (const variant of ['package', 'naive', 'dedupe'] as const) {
				const tag = `bench-bulk-${variant}-r${r}`;
				ctx.log(`bulk send: ${variant} run ${r + 1}/${ctx.options.runs} (${count} messages)`);
				const result = await runInWorker<BulkWorkerResult>(`bulk.${variant}`, { count, tag }, info);
				// The worker cleared the log after its warm-up: this is the measured part only.
				const log = (await requestLog(info)).filter((e) => e.kind === 'graph');
				const queuedAfterRun = (await admin<{ Queued: number }>(info, 'Get-OutboundQueue', { Mailbox: MAILBOX }))
					.Queued;
				await drainOutbox(info);
				const sent = await admin<SentMessage[]>(info, 'Get-SentMessages', { Mailbox: MAILBOX });
				const mine = sent.filter((m) => m.Subject.startsWith(`${tag} `));
				const distinct = new Set(mine.map((m) => m.Subject));
				const expected = subjects(tag, count);
				const exact = mine.length === count && distinct.size === count && expected.every((s) => distinct.has(s));
				const sendRequests = log.filter((e) => e.path.endsWith('/sendMail'));
				const sentTimes = mine.map((m) => Date.parse(m.SentDateTime)).filter((t) => !Number.isNaN(t));
				runs[variant].push({
					queuedAfterRun,
					deliveryMinutes: sentTimes.length ? (Math.max(...sentTimes) - Math.min(...sentTimes)) / 60_000 : 0,
					...result,
					sentInMailbox: mine.length,
					distinctSubjects: distinct.size,
					exactlyOnce: exact,
					graphRequests: log.length,
					sendMailRequests: sendRequests.length,
					throttled429: log.filter((e) => e.status === 429).length,
					failed: log.filter((e) => e.status >= 400 && e.status !== 429).length,
				});
				if (!exact)
					ctx.log(
						`bulk send: ${variant} run ${r + 1}: ${mine.length} sent, ${distinct.size} distinct of ${count} expected`,
					);
			}
		}
	} finally {
		await emulator.stop();
	}
	const limitMs = (count * latency) / MAILBOX_CONCURRENCY;
	const pkgSeconds = runs.package.map((r) => seconds(r.ms as number));
	const naiveSeconds = runs.naive.map((r) => seconds(r.ms as number));
	const allRuns = [...runs.package, ...runs.naive, ...runs.dedupe];
	const allExact = allRuns.every((r) => r.exactlyOnce === true);
	const dedupeSeconds = runs.dedupe.map((r) => seconds(r.ms as number));
	const perItem = (list: Array<Record<string, unknown>>, key: string) =>
		median(list.map((r) => (r[key] as number) / count));
	const extraMsPerItem = ((median(dedupeSeconds) - median(pkgSeconds)) * 1000) / count;
	const extraRequestsPerItem = perItem(runs.dedupe, 'graphRequests') - perItem(runs.package, 'graphRequests');
	const pkgMedian = median(pkgSeconds);
	const ratioToLimit = limitMs > 0 ? pkgMedian / seconds(limitMs) : NaN;
	return {
		id: 'bulk',
		title: `Bulk send: ${count} messages from one shared mailbox`,
		setup: `One execution of the action node with ${count} items (Message → Send, sendMail) in n8n-core, with and without Prevent Duplicate Sends, against a sequential fetch loop; ${latency} ms latency per Graph request; emulator in its own process with Exchange's 30 messages/min per mailbox (the time is to the last 202; delivery is then drained on the emulator clock).`,
		figures: [
			figure('package (n8n node)', 'time', 's', pkgSeconds),
			figure(
				'package (n8n node)',
				'Graph requests',
				'',
				runs.package.map((r) => r.graphRequests as number),
			),
			figure(
				'package (n8n node)',
				'429 responses',
				'',
				runs.package.map((r) => r.throttled429 as number),
			),
			figure('naive sequential loop', 'time', 's', naiveSeconds),
			figure(
				`Exchange limit (${count} × ${latency} ms / ${MAILBOX_CONCURRENCY})`,
				'time',
				's',
				[seconds(limitMs)],
				true,
			),
			figure('package + Prevent Duplicate Sends', 'time', 's', dedupeSeconds),
			figure(
				'package + Prevent Duplicate Sends',
				'Graph requests',
				'',
				runs.dedupe.map((r) => r.graphRequests as number),
			),
			figure(
				'package (n8n node)',
				"delivery on Exchange's clock (30 messages/min)",
				'min',
				runs.package.map((r) => r.deliveryMinutes as number),
			),
			figure(
				'package (n8n node)',
				'left in the Outbox when the run ended',
				'',
				runs.package.map((r) => r.queuedAfterRun as number),
			),
			figure(
				'all',
				'sent exactly once (all runs)',
				`of ${count}`,
				allRuns.map((r) => r.distinctSubjects as number),
			),
		],
		checks: [
			{
				text: 'package time / Exchange limit',
				value: ratioToLimit,
				unit: '×',
				goal: '≤ 1.25',
				met: ratioToLimit <= 1.25,
			},
			{ text: 'naive time / package time', value: median(naiveSeconds) / pkgMedian, unit: '×' },
			{ text: 'Prevent Duplicate Sends: extra Graph requests per item', value: extraRequestsPerItem, unit: '' },
			{
				text: 'Prevent Duplicate Sends: extra time per item (wall clock of the run / N)',
				value: extraMsPerItem,
				unit: 'ms',
			},
			{
				text: `messages in Sent Items per run (no duplicates, no losses)`,
				value: median(allRuns.map((r) => r.sentInMailbox as number)),
				goal: `exactly ${count}`,
				met: allExact,
			},
		],
		notes: [],
		runs,
		durationMs: Date.now() - started,
	};
}
