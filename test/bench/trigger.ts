/**
 * Trigger: what an idle poll costs (requests, bytes), and how many polls and how much time it takes to drain a
 * burst of N new messages with the trigger's default settings. Every message must be emitted exactly once.
 */
import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess, type LogEntry } from './emulator';
import { measurePeak } from './memory';
import { CREDENTIALS, MAILBOX, loadPackage, newCredentialStore } from './pkg';
import { median } from './stats';
import { figure, seconds, type BenchContext, type BenchmarkOutcome } from './types';

interface TriggerInput {
	folderId: string;
	burst: number;
}

interface TriggerWorkerResult {
	idle: { ms: number; emitted: number; log: LogEntry[] };
	drain: {
		polls: number;
		pollsWithItems: number;
		busyMs: number;
		wallMs: number;
		emitted: number;
		distinct: number;
		missing: number;
		unexpected: number;
		perPollMaxItems: number;
		/** Largest RSS growth during one poll (the execution it starts holds its items). */
		perPollPeakBytes: number;
		/** Largest JSON size of one poll's items. */
		perPollItemBytes: number;
		log: LogEntry[];
	};
}

const MAX_POLLS = 5_000;

function bodyOf(bytes: number): string {
	if (!bytes) return 'A new message.';
	const line = '<p>Hello, this is a line of a longer message body as mail clients write them.</p>\n';
	return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

export const workerTasks = {
	async 'trigger.package'(input: TriggerInput, info: EmulatorInfo): Promise<TriggerWorkerResult> {
		const { harness, ScopedMailboxTrigger } = loadPackage();
		const store = newCredentialStore(info);
		const wf = new harness.PollingWorkflow({
			nodeType: new ScopedMailboxTrigger(),
			parameters: {
				authentication: 'scopedMailboxAppApi',
				mailbox: MAILBOX,
				folders: { folder: [{ folder: { __rl: true, mode: 'id', value: input.folderId } }] },
				output: 'simple',
				filters: {},
				postAction: 'none',
				options: {},
			},
			credentials: CREDENTIALS,
			store,
		});
		const poll = async () => {
			const result = await wf.poll();
			if (result.error) throw result.error;
			return result;
		};
		// Activation: n8n polls once at once; the trigger records where the folder stands (a baseline).
		const activation = await poll();
		if (activation.items) throw new Error(`the activation poll emitted ${activation.items.length} existing message(s)`);
		// A second quiet poll settles anything the activation left for later, so the next one is a plain idle poll.
		await poll();

		await admin(info, 'Clear-RequestLog');
		let started = performance.now();
		const idlePoll = await poll();
		const idle = { ms: performance.now() - started, emitted: idlePoll.items?.length ?? 0, log: await requestLog(info) };

		const { ImmutableIds: Ids } = await admin<{ ImmutableIds: string[] }>(info, 'Deliver-Message', {
			To: MAILBOX,
			Folder: input.folderId,
			Count: input.burst,
			Subject: 'Burst message',
			// SCOPED_MAILBOX_BENCH_BODY_BYTES=N gives every message an HTML body of about N bytes (memory per execution).
			Body: bodyOf(Number(process.env.SCOPED_MAILBOX_BENCH_BODY_BYTES ?? 0)),
		});
		await admin(info, 'Clear-RequestLog');
		const emitted: string[] = [];
		let polls = 0;
		let pollsWithItems = 0;
		let busyMs = 0;
		let perPollMaxItems = 0;
		let perPollPeakBytes = 0;
		let perPollItemBytes = 0;
		started = performance.now();
		for (;;) {
			if (polls >= MAX_POLLS) throw new Error(`the burst was not drained after ${MAX_POLLS} polls`);
			const t = performance.now();
			const { result, memory } = await measurePeak(poll);
			busyMs += performance.now() - t;
			polls++;
			if (!result.items) break;
			pollsWithItems++;
			perPollMaxItems = Math.max(perPollMaxItems, result.items.length);
			perPollPeakBytes = Math.max(perPollPeakBytes, memory.growthBytes);
			perPollItemBytes = Math.max(perPollItemBytes, JSON.stringify(result.items).length);
			emitted.push(...result.items.map((i) => String(i.json.id)));
		}
		const wallMs = performance.now() - started;
		const expected = new Set(Ids);
		const distinct = new Set(emitted);
		return {
			idle,
			drain: {
				polls,
				pollsWithItems,
				busyMs,
				wallMs,
				emitted: emitted.length,
				distinct: distinct.size,
				missing: [...expected].filter((id) => !distinct.has(id)).length,
				unexpected: [...distinct].filter((id) => !expected.has(id)).length,
				perPollMaxItems,
				perPollPeakBytes,
				perPollItemBytes,
				log: await requestLog(info),
			},
		};
	},
};

const graphOnly = (log: LogEntry[]) => log.filter((e) => e.kind === 'graph');

export async function runTrigger(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const burst = ctx.scale.triggerBurst;
	const emulator = await startEmulatorProcess('rbac', ctx.options.latencyMs);
	const { info } = emulator;
	const runs: Array<Record<string, unknown>> = [];
	const { runInWorker } = await import('./workers');
	try {
		for (let r = 0; r < ctx.options.runs; r++) {
			// A fresh folder per run (holding one older message), so every run starts from the same state.
			const name = `Bench Trigger ${r + 1}`;
			await admin(info, 'Deliver-Message', { To: MAILBOX, Folder: name, Subject: 'Older message' });
			const folders = await admin<Array<{ Id: string; DisplayName: string }>>(info, 'Get-MailboxFolders', {
				Mailbox: MAILBOX,
			});
			const folderId = folders.find((f) => f.DisplayName === name)!.Id;
			ctx.log(`trigger: run ${r + 1}/${ctx.options.runs} (idle poll, then a burst of ${burst})`);
			const result = await runInWorker<TriggerWorkerResult>('trigger.package', { folderId, burst }, info);
			const idleGraph = graphOnly(result.idle.log);
			const drainGraph = graphOnly(result.drain.log);
			const { log: _idleLog, ...idle } = result.idle;
			const { log: _drainLog, ...drain } = result.drain;
			runs.push({
				idle: {
					...idle,
					requests: result.idle.log.length,
					graphRequests: idleGraph.length,
					tokenRequests: result.idle.log.filter((e) => e.kind === 'token').length,
					bytesIn: idleGraph.reduce((s, e) => s + e.bytesIn, 0),
					bytesOut: idleGraph.reduce((s, e) => s + e.bytesOut, 0),
					requestsDetail: idleGraph.map((e) => `${e.method} ${e.path} ${e.status}`),
				},
				drain: {
					...drain,
					graphRequests: drainGraph.length,
					deltaRequests: drainGraph.filter((e) => /\/delta$/i.test(e.path)).length,
					messageReads: drainGraph.filter((e) => e.method === 'GET' && !/\/delta$/i.test(e.path)).length,
					requestsPerMessage: drainGraph.length / burst,
					throttled429: drainGraph.filter((e) => e.status === 429).length,
					bytesOut: drainGraph.reduce((s, e) => s + e.bytesOut, 0),
					exactlyOnce:
						drain.emitted === burst && drain.distinct === burst && drain.missing === 0 && drain.unexpected === 0,
				},
			});
		}
	} finally {
		await emulator.stop();
	}
	const idle = (pick: (i: Record<string, number>) => number) => runs.map((r) => pick(r.idle as Record<string, number>));
	const drain = (pick: (d: Record<string, number>) => number) =>
		runs.map((r) => pick(r.drain as Record<string, number>));
	const exact = runs.every((r) => (r.drain as { exactlyOnce: boolean }).exactlyOnce);
	const polls = median(drain((d) => d.pollsWithItems));
	const perPoll = median(drain((d) => d.perPollMaxItems));
	return {
		id: 'trigger',
		title: `Trigger: idle poll and a burst of ${burst.toLocaleString('en-US')}`,
		setup: `Polling trigger on one folder with its defaults (Simplify output, at most 1,000 messages per poll), run by n8n-core's PollTriggerExecutor; polls back to back; ${ctx.options.latencyMs} ms latency.`,
		figures: [
			figure(
				'idle poll',
				'requests (all endpoints)',
				'',
				idle((i) => i.requests),
			),
			figure(
				'idle poll',
				'request bytes (bodies)',
				'B',
				idle((i) => i.bytesIn),
			),
			figure(
				'idle poll',
				'response bytes (bodies)',
				'B',
				idle((i) => i.bytesOut),
			),
			figure(
				'idle poll',
				'time',
				'ms',
				idle((i) => i.ms),
			),
			figure(
				`burst of ${burst}`,
				'polls that emitted',
				'',
				drain((d) => d.pollsWithItems),
			),
			figure(
				`burst of ${burst}`,
				'Graph requests',
				'',
				drain((d) => d.graphRequests),
			),
			figure(
				`burst of ${burst}`,
				'of which message reads (lists and GETs)',
				'',
				drain((d) => d.messageReads),
			),
			figure(
				`burst of ${burst}`,
				'Graph requests per emitted message',
				'',
				drain((d) => Math.round(d.requestsPerMessage * 1000) / 1000),
			),
			figure(
				`burst of ${burst}`,
				'peak RSS growth during one poll (max)',
				'MB',
				drain((d) => Math.round(d.perPollPeakBytes / 1e5) / 10),
			),
			figure(
				`burst of ${burst}`,
				'items of one execution, as JSON (max)',
				'MB',
				drain((d) => Math.round(d.perPollItemBytes / 1e5) / 10),
			),
			figure(
				`burst of ${burst}`,
				'busy time (sum of polls)',
				's',
				drain((d) => seconds(d.busyMs)),
			),
			figure(
				`burst of ${burst}`,
				'emitted exactly once',
				`of ${burst}`,
				drain((d) => d.distinct),
			),
		],
		checks: [
			{
				text: 'idle poll requests',
				value: median(idle((i) => i.requests)),
				goal: '1',
				met: median(idle((i) => i.requests)) <= 1,
			},
			{
				text: `burst emitted exactly once, in all runs`,
				value: median(drain((d) => d.distinct)),
				goal: `exactly ${burst}`,
				met: exact,
			},
			{
				text: 'polls until every message of the burst was emitted',
				value: polls,
				goal: 'at most 2',
				met: polls <= 2,
			},
			{
				text: 'Graph requests per emitted message',
				value: median(drain((d) => d.requestsPerMessage)),
				goal: 'well under 1 (< 0.1)',
				met: median(drain((d) => d.requestsPerMessage)) < 0.1,
			},
			{
				text: 'busy time / Exchange limit for the requests made',
				value:
					median(drain((d) => seconds(d.busyMs))) /
					((median(drain((d) => d.graphRequests)) * ctx.options.latencyMs) / 4 / 1000),
				unit: '×',
			},
		],
		notes: [
			`At most ${perPoll} messages per poll (the default "Max Messages per Poll" is 1,000), so ${polls} polls: with a 1-minute poll interval every message has started a workflow within ${polls} minute(s). New messages are read in lists over their receivedDateTime window (pages of up to 250), not one GET each.`,
			"Memory per execution: all messages of one poll start one execution; the figures are the poll process's RSS growth and the JSON size of those items (each message here has a one-line body: real bodies scale the JSON figure).",
			'Bytes are request/response bodies as the emulator logs them (headers not counted).',
		],
		runs: { package: runs },
		durationMs: Date.now() - started,
	};
}
