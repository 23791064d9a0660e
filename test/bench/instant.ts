/**
 * The instant trigger in a real n8n serving HTTPS (test CA), against the emulator as its own process:
 * 1. delivery -> workflow start, beside the polling trigger on the same mail (poll every minute, n8n's shortest);
 * 2. a burst with 10% of notifications dropped, 5% duplicated, reordered, n8n restarted once and the
 *    subscription removed once: every message emitted exactly once, Graph requests per message;
 * 3. a quiet mailbox over several subscription lifetimes (lifetimes shortened, see docs/benchmarks.md): the
 *    subscription is alive after it and the next mail starts the workflow.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, startEmulatorProcess, startN8n, sleep, type N8nServer } from '../e2e/n8nServer';
import { instantTriggerWorkflow, managedIdentityCredential, triggerWorkflow } from '../e2e/templates';
import { figure, type BenchContext, type BenchmarkOutcome, type Check } from './types';

const INSTANT = 'benchInstant0001';
const POLLING = 'benchPolling0001';
const WEBHOOK_ID = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';

interface RunSummary {
	id: string;
	startedAt: string;
	workflowId: string;
}

/** Every execution of a workflow (n8n pages its list). */
async function allExecutions(n8n: N8nServer, workflowId: string): Promise<RunSummary[]> {
	const out: RunSummary[] = [];
	let lastId: string | undefined;
	for (;;) {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const page = await n8n.rest<{ results: RunSummary[] }>(
			'GET',
			`/executions?filter=${filter}&limit=100${lastId ? `&lastId=${lastId}` : ''}`,
		);
		const results = page.results ?? [];
		const fresh = results.filter((r) => !out.some((o) => o.id === r.id));
		out.push(...fresh);
		if (results.length < 100 || !fresh.length) return out;
		lastId = String(Math.min(...results.map((r) => Number(r.id))));
	}
}

const itemsOf = (execution: any): any[] =>
	execution?.data?.resultData?.runData?.['New Mail']?.[0]?.data?.main?.[0] ?? [];

/** Resident set size of a process in bytes (Linux), or undefined once it has exited. */
function rssOf(pid: number): number | undefined {
	try {
		const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
		return line ? Number(line[1]) * 1024 : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Samples n8n main's RSS until stopped: the growth above the first sample of each process (a restart starts a
 * new one), so the figure is what the burst's executions added, not n8n's start-up.
 */
function sampleRss(n8n: N8nServer, everyMs = 200) {
	const base = new Map<number, number>();
	let peakGrowth = 0;
	let paused = false;
	const timer = setInterval(() => {
		if (paused) return;
		const pid = n8n.main.pid;
		const rss = rssOf(pid);
		if (rss === undefined) return;
		if (!base.has(pid)) base.set(pid, rss);
		peakGrowth = Math.max(peakGrowth, rss - base.get(pid)!);
	}, everyMs);
	return {
		/** Around a restart: the new process is measured from the first sample after it is ready. */
		pause: () => (paused = true),
		resume: () => (paused = false),
		stop: () => {
			clearInterval(timer);
			return peakGrowth;
		},
	};
}

const idsOf = (execution: any): string[] => itemsOf(execution).map((i: any) => i.json.id);

const p95 = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
};

export async function runInstant(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const begin = Date.now();
	const log = ctx.log;
	mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
	const logFile = join(REPO_ROOT, 'test', '.tmp', 'bench-instant-n8n.log');
	writeFileSync(logFile, '');
	const fileLog = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
	const emulator = await startEmulatorProcess('all', { log: fileLog });
	const n8n = await startN8n({ emulator, https: true, log: fileLog });
	const checks: Check[] = [];
	const notes: string[] = [];
	const runs: Record<string, unknown[]> = {};
	const figures = [];
	try {
		const { info } = emulator;
		const mi = managedIdentityCredential(info);
		const mailbox = info.scenario.mailboxes.notifications.upn;
		await n8n.importCredentials([mi]);
		await n8n.importWorkflow(instantTriggerWorkflow(INSTANT, 'bench instant', mi, mailbox, WEBHOOK_ID));
		await n8n.importWorkflow(triggerWorkflow(POLLING, 'bench polling', mi, mailbox));
		await n8n.activate(INSTANT);
		await n8n.activate(POLLING);
		const until = async (what: string, fn: () => Promise<boolean>, ms: number) => {
			const deadline = Date.now() + ms;
			for (;;) {
				try {
					if (await fn()) return;
				} catch (error) {
					// n8n busy or restarting: ask again
					fileLog(`bench: ${what}: ${(error as Error).message}`);
				}
				if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
				await sleep(1000);
			}
		};
		await until('the subscription', async () => (await emulator.admin<any[]>('Get-Subscriptions')).length > 0, 60_000);
		await sleep(5000); // the polling trigger's activation poll (its baseline) is done

		// 1. Latency on the same mail.
		const samples = ctx.options.quick ? 3 : 8;
		const delivered = new Map<string, number>();
		for (let i = 0; i < samples; i++) {
			const at = Date.now();
			const { ImmutableIds: Ids } = await emulator.admin<{ ImmutableIds: string[] }>('Deliver-Message', {
				To: mailbox,
				Subject: `latency ${i}`,
			});
			delivered.set(Ids[0], at);
			await sleep(15_000);
		}
		const latency = async (workflowId: string) => {
			const found = new Map<string, number>();
			await until(
				`${workflowId} emitted the latency mail`,
				async () => {
					for (const summary of await allExecutions(n8n, workflowId)) {
						const started = Date.parse(summary.startedAt);
						for (const id of idsOf(await n8n.execution(summary.id)))
							if (delivered.has(id) && !found.has(id)) found.set(id, started - delivered.get(id)!);
					}
					return found.size === delivered.size;
				},
				180_000,
			);
			return [...found.values()].map((ms) => ms / 1000);
		};
		const instantLatency = await latency(INSTANT);
		const pollingLatency = await latency(POLLING);
		runs.latencyInstant = instantLatency;
		runs.latencyPolling = pollingLatency;
		figures.push(figure('instant trigger', 'delivery → workflow start', 's', instantLatency));
		figures.push(figure('polling trigger (every minute)', 'delivery → workflow start', 's', pollingLatency));
		checks.push({ text: 'instant p95 delivery → start', value: p95(instantLatency), unit: 's' });
		checks.push({ text: 'polling p95 delivery → start', value: p95(pollingLatency), unit: 's' });
		const medianInstant = figures[0].summary.median;
		checks.push({
			text: 'instant median delivery → start',
			value: medianInstant,
			unit: 's',
			goal: '< 3 s',
			met: medianInstant < 3,
		});
		log(`instant: median ${medianInstant} s; polling: median ${figures[1].summary.median} s`);
		await n8n.deactivate(POLLING);

		// 2. Burst with faults, a restart and a removal.
		const burst = ctx.scale.triggerBurst;
		const before = new Set((await allExecutions(n8n, INSTANT)).map((e) => e.id));
		const logStart = ((await emulator.admin<any[]>('Get-RequestLog')).at(-1)?.seq as number) ?? 0;
		await emulator.admin('Set-NotificationFaults', { DropRate: 0.1, DuplicateRate: 0.05, ReorderWindow: 20, Seed: 7 });
		const ids: string[] = [];
		const chunk = 100;
		const burstStart = Date.now();
		const rss = sampleRss(n8n);
		for (let sent = 0; sent < burst; sent += chunk) {
			const { ImmutableIds: Ids } = await emulator.admin<{ ImmutableIds: string[] }>('Deliver-Message', {
				To: mailbox,
				Count: Math.min(chunk, burst - sent),
				Subject: 'burst',
			});
			ids.push(...Ids);
			if (sent === Math.floor(burst / 2 / chunk) * chunk) {
				log('burst: restarting n8n');
				rss.pause();
				await n8n.restart();
				rss.resume();
			}
			if (sent === Math.floor((burst * 3) / 4 / chunk) * chunk) {
				const [sub] = await emulator.admin<any[]>('Get-Subscriptions');
				if (sub) await emulator.admin('Remove-Subscription', { Id: sub.Id });
			}
		}
		await emulator.admin('Clear-NotificationFaults');
		// Graph reports notifications it could not deliver with `missed`; the emulator's drops are silent, so the
		// bench sends it once the burst is in, as Graph would after dropping.
		await sleep(5000);
		const [current] = await emulator.admin<any[]>('Get-Subscriptions');
		if (current) await emulator.admin('Send-LifecycleEvent', { Id: current.Id, Event: 'missed' });
		const wanted = new Set(ids);
		const counts = new Map<string, number>();
		let lastExecutionAt = 0;
		await until(
			'every burst message emitted',
			async () => {
				counts.clear();
				for (const summary of await allExecutions(n8n, INSTANT)) {
					if (before.has(summary.id)) continue;
					lastExecutionAt = Math.max(lastExecutionAt, Date.parse(summary.startedAt));
					for (const id of idsOf(await n8n.execution(summary.id)))
						if (wanted.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
				}
				return counts.size === wanted.size;
			},
			10 * 60_000,
		);
		await sleep(10_000); // late duplicates would show up now
		const rssGrowth = rss.stop();
		counts.clear();
		let executions = 0;
		let largestItemsBytes = 0;
		let largestItems = 0;
		for (const summary of await allExecutions(n8n, INSTANT)) {
			if (before.has(summary.id)) continue;
			executions++;
			const execution = await n8n.execution(summary.id);
			const items = itemsOf(execution);
			const bytes = Buffer.byteLength(JSON.stringify(items.map((i: any) => i.json)));
			if (bytes > largestItemsBytes) [largestItemsBytes, largestItems] = [bytes, items.length];
			for (const id of idsOf(execution)) if (wanted.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
		}
		const twice = [...counts.values()].filter((c) => c > 1).length;
		const requests = (await emulator.admin<any[]>('Get-RequestLog', { Since: logStart })).filter(
			(e) => e.kind === 'graph' || e.kind === 'batch-inner',
		).length;
		const notificationLog = await emulator.admin<any[]>('Get-NotificationLog');
		runs.burst = [
			{
				burst,
				executions,
				emitted: counts.size,
				twice,
				requests,
				drainSeconds: (lastExecutionAt - burstStart) / 1000,
				largestItems,
				largestItemsBytes,
				rssGrowth,
			},
		];
		checks.push({
			text: `burst of ${burst}: messages emitted`,
			value: counts.size,
			goal: `${burst}`,
			met: counts.size === burst,
		});
		checks.push({ text: 'burst: messages emitted more than once', value: twice, goal: '0', met: twice === 0 });
		checks.push({
			text: 'burst: Graph requests per message',
			value: Math.round((requests / burst) * 1000) / 1000,
			goal: '< 1',
			met: requests < burst,
		});
		checks.push({ text: 'burst: executions', value: executions });
		checks.push({
			text: `burst: items of the largest execution (${largestItems} items), as JSON`,
			value: Math.round((largestItemsBytes / 1e6) * 100) / 100,
			unit: 'MB',
		});
		checks.push({
			text: "burst: n8n main's peak RSS growth above its own start (per process; the restart starts a new one)",
			value: Math.round((rssGrowth / 1e6) * 10) / 10,
			unit: 'MB',
		});
		checks.push({
			text: 'burst: delivery of the first to start of the last execution',
			value: (lastExecutionAt - burstStart) / 1000,
			unit: 's',
		});
		notes.push(
			`burst: ${notificationLog.filter((e) => e.kind === 'dropped').length} notifications dropped, ${notificationLog.filter((e) => e.kind === 'change' && e.status !== 202).length} delivery attempts failed (n8n restarting) and retried`,
		);
		log(`burst: ${counts.size}/${burst} emitted, ${twice} twice, ${requests} Graph requests, ${executions} executions`);

		// 3. Quiet mailbox over several (shortened) lifetimes.
		await emulator.admin('Set-SubscriptionSettings', {
			MaxExpirationMinutes: 1,
			ReauthorizationWindowMinutes: 0.5,
			ReauthorizationRepeatMinutes: 0.1,
		});
		await n8n.deactivate(INSTANT);
		await n8n.activate(INSTANT);
		await until(
			'the short subscription',
			async () => (await emulator.admin<any[]>('Get-Subscriptions')).length > 0,
			60_000,
		);
		const quietSeq = ((await emulator.admin<any[]>('Get-RequestLog')).at(-1)?.seq as number) ?? 0;
		const lifetimes = ctx.options.quick ? 2 : 4;
		await sleep(lifetimes * 60_000);
		const alive = await emulator.admin<any[]>('Get-Subscriptions');
		const renewals = (await emulator.admin<any[]>('Get-RequestLog', { Since: quietSeq })).filter(
			(e) => e.method === 'PATCH' && /subscriptions/.test(e.path),
		).length;
		const at = Date.now();
		const { ImmutableIds: Ids } = await emulator.admin<{ ImmutableIds: string[] }>('Deliver-Message', {
			To: mailbox,
			Subject: 'after quiet',
		});
		let started = NaN;
		await until(
			'the mail after the quiet period',
			async () => {
				for (const summary of await allExecutions(n8n, INSTANT))
					if (idsOf(await n8n.execution(summary.id)).includes(Ids[0])) started = Date.parse(summary.startedAt);
				return Number.isFinite(started);
			},
			60_000,
		);
		checks.push({
			text: `quiet for ${lifetimes} subscription lifetimes: subscription alive`,
			value: alive.length,
			goal: '1',
			met: alive.length === 1,
		});
		checks.push({ text: 'quiet: renewals (PATCH) made on reauthorizationRequired', value: renewals });
		checks.push({ text: 'quiet: next mail → workflow start', value: (started - at) / 1000, unit: 's' });
		runs.quiet = [{ lifetimes, alive: alive.length, renewals, startSeconds: (started - at) / 1000 }];
	} finally {
		await n8n.stop();
		await emulator.close();
	}
	return {
		id: 'instant',
		title: 'Instant trigger (Graph change notifications) in a real n8n over HTTPS',
		setup: 'n8n 2.41.1 on Node 24 serving HTTPS with the test CA; emulator as its own process, no injected latency',
		figures,
		checks,
		notes,
		runs,
		durationMs: Date.now() - begin,
	};
}
