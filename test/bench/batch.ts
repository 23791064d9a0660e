/**
 * Get / Update / Move / Delete of N messages of one mailbox: does JSON $batch earn its place against 4 concurrent
 * single requests? Inner requests of a $batch take the same 4 Exchange slots per app and mailbox and count
 * against the same budget, so the only thing a batch can save is the client's round trips. Measured side by
 * side with plain fetch (no package code), each strategy in the best shape Graph accepts:
 * - one request at a time (the naive way);
 * - 4 single requests in flight (Exchange's concurrency limit);
 * - $batch, sequential shape (each inner request depends on the one before it), 4 batches of up to 20 in flight:
 *   4 inner requests run at once, as with the singles;
 * - $batch, parallel shape, 4 requests per batch, one batch in flight;
 * and the package itself (n8n-core, one execution per operation). The client's round trip time is added by a
 * delaying TCP proxy in front of the emulator (0 ms and BENCH_RTT_MS); the emulator's latency is service time,
 * held inside the mailbox slot, as Exchange's is.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { INodeParameters } from 'n8n-workflow';

import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess } from './emulator';
import { fetchToken } from './naive';
import { CREDENTIALS, MAILBOX, assertRunOk, loadPackage, newCredentialStore } from './pkg';
import { median } from './stats';
import { figure, seconds, type BenchContext, type BenchmarkOutcome, type Figure } from './types';

const MAILBOX_CONCURRENCY = 4;
const BATCH_MAX = 20;
const OPERATIONS = ['get', 'update', 'move', 'delete'] as const;
type Operation = (typeof OPERATIONS)[number];
const STRATEGIES = ['naive', 'singles', 'batchSequential', 'batchParallel4', 'package'] as const;
type Strategy = (typeof STRATEGIES)[number];
const LABEL: Record<Strategy, string> = {
	naive: 'naive: one request at a time',
	singles: '4 concurrent single requests',
	batchSequential: '$batch sequential ×20, 4 in flight',
	batchParallel4: '$batch parallel ×4, 1 in flight',
	package: 'package (n8n node)',
};

interface BatchInput {
	strategy: Strategy;
	ids: string[];
	/** Where requests go (the delaying proxy); the token is still for the emulator's Graph. */
	graphUrl: string;
}

interface BatchWorkerResult {
	msByOperation: Record<Operation, number>;
	/** Inner or single requests answered 429 or 424 and sent again. */
	resent: number;
	done: number;
}

interface Call {
	method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
	url: string;
	body?: unknown;
}

const userPath = `/users/${encodeURIComponent(MAILBOX)}`;
const messageUrl = (id: string) => `${userPath}/messages/${encodeURIComponent(id)}`;

function callFor(operation: Operation, id: string): Call {
	switch (operation) {
		case 'get':
			return { method: 'GET', url: messageUrl(id) };
		case 'update':
			return { method: 'PATCH', url: messageUrl(id), body: { isRead: true } };
		case 'move':
			return { method: 'POST', url: `${messageUrl(id)}/move`, body: { destinationId: 'archive' } };
		case 'delete':
			return { method: 'DELETE', url: messageUrl(id) };
	}
}

const retryAfterMs = (value: string | null | undefined) => (Number(value) > 0 ? Number(value) * 1000 : 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over the items with `lanes` workers pulling from one queue. */
async function inLanes<T>(items: T[], lanes: number, work: (item: T) => Promise<void>) {
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(lanes, items.length) }, async () => {
			while (next < items.length) await work(items[next++]);
		}),
	);
}

class FetchClient {
	resent = 0;

	constructor(
		private readonly graphUrl: string,
		private readonly token: string,
	) {}

	private headers(body: unknown) {
		return {
			Authorization: `Bearer ${this.token}`,
			...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
		};
	}

	/** One request, sent again after Retry-After when throttled; returns the new id for a move. */
	async single(call: Call): Promise<string | undefined> {
		for (;;) {
			const response = await fetch(`${this.graphUrl}/v1.0${call.url}`, {
				method: call.method,
				headers: this.headers(call.body),
				body: call.body === undefined ? undefined : JSON.stringify(call.body),
			});
			const text = await response.text();
			if (response.status === 429) {
				this.resent++;
				await sleep(retryAfterMs(response.headers.get('retry-after')));
				continue;
			}
			if (response.status >= 300) throw new Error(`${call.method} ${call.url}: ${response.status} ${text}`);
			return text ? (JSON.parse(text) as { id?: string }).id : undefined;
		}
	}

	/** One $batch of the calls in the given shape; throttled or failed-dependency requests go again. */
	async batch(calls: Call[], shape: 'sequential' | 'parallel'): Promise<Array<string | undefined>> {
		const results = new Array<string | undefined>(calls.length);
		let todo = calls.map((call, index) => ({ call, index }));
		while (todo.length) {
			const response = await fetch(`${this.graphUrl}/v1.0/$batch`, {
				method: 'POST',
				headers: this.headers({}),
				body: JSON.stringify({
					requests: todo.map(({ call, index }, position) => ({
						id: String(index),
						method: call.method,
						url: call.url,
						...(call.body !== undefined ? { body: call.body, headers: { 'Content-Type': 'application/json' } } : {}),
						...(shape === 'sequential' && position > 0 ? { dependsOn: [String(todo[position - 1].index)] } : {}),
					})),
				}),
			});
			const text = await response.text();
			if (response.status !== 200) throw new Error(`$batch: ${response.status} ${text}`);
			const answers = (
				JSON.parse(text) as {
					responses: Array<{ id: string; status: number; headers?: Record<string, string>; body?: { id?: string } }>;
				}
			).responses;
			const again: typeof todo = [];
			let waitMs = 0;
			for (const answer of answers) {
				const index = Number(answer.id);
				if (answer.status === 429 || answer.status === 424) {
					if (answer.status === 429) waitMs = Math.max(waitMs, retryAfterMs(answer.headers?.['Retry-After']));
					again.push({ call: calls[index], index });
					continue;
				}
				if (answer.status >= 300)
					throw new Error(`$batch inner ${calls[index].method}: ${answer.status} ${JSON.stringify(answer.body)}`);
				results[index] = answer.body?.id;
			}
			this.resent += again.length;
			again.sort((a, b) => a.index - b.index);
			todo = again;
			if (waitMs) await sleep(waitMs);
		}
		return results;
	}
}

async function runFetchStrategy(
	client: FetchClient,
	strategy: Exclude<Strategy, 'package'>,
	operation: Operation,
	ids: string[],
): Promise<string[]> {
	const out = [...ids];
	const indices = ids.map((_, i) => i);
	const chunks = (size: number) =>
		Array.from({ length: Math.ceil(ids.length / size) }, (_, c) => indices.slice(c * size, (c + 1) * size));
	const keep = (index: number, id: string | undefined) => {
		if (operation === 'move' && id) out[index] = id;
	};
	switch (strategy) {
		case 'naive':
			for (const i of indices) keep(i, await client.single(callFor(operation, ids[i])));
			break;
		case 'singles':
			await inLanes(indices, MAILBOX_CONCURRENCY, async (i) =>
				keep(i, await client.single(callFor(operation, ids[i]))),
			);
			break;
		case 'batchSequential':
		case 'batchParallel4': {
			const sequential = strategy === 'batchSequential';
			// Sequential: as many batches as keep all 4 lanes busy, of even size (at most 20).
			const batches =
				Math.ceil(Math.max(MAILBOX_CONCURRENCY, Math.ceil(ids.length / BATCH_MAX)) / MAILBOX_CONCURRENCY) *
				MAILBOX_CONCURRENCY;
			const groups = chunks(sequential ? Math.ceil(ids.length / batches) : MAILBOX_CONCURRENCY);
			await inLanes(groups, sequential ? MAILBOX_CONCURRENCY : 1, async (group) => {
				const answers = await client.batch(
					group.map((i) => callFor(operation, ids[i])),
					sequential ? 'sequential' : 'parallel',
				);
				group.forEach((i, n) => keep(i, answers[n]));
			});
			break;
		}
	}
	return out;
}

function nodeParameters(operation: Operation): INodeParameters {
	const base = {
		authentication: 'scopedMailboxAppApi',
		resource: 'message',
		mailbox: MAILBOX,
		messageId: '={{ $json.id }}',
	};
	switch (operation) {
		case 'get':
			return { ...base, operation: 'get', simplify: true, options: {} };
		case 'update':
			return { ...base, operation: 'update', simplify: true, updateFields: { readStatus: 'read' } };
		case 'move':
			return { ...base, operation: 'move', destinationFolder: { __rl: true, mode: 'id', value: 'archive' } };
		case 'delete':
			return { ...base, operation: 'delete' };
	}
}

export const workerTasks = {
	async 'batch.run'(input: BatchInput, info: EmulatorInfo): Promise<BatchWorkerResult> {
		const msByOperation = {} as Record<Operation, number>;
		let ids = input.ids;
		if (input.strategy === 'package') {
			const { harness, ScopedMailbox } = loadPackage();
			const store = newCredentialStore(info);
			const nodeType = new ScopedMailbox();
			const run = (operation: Operation, items: string[]) =>
				harness.runNode({
					nodeType,
					parameters: nodeParameters(operation),
					credentials: CREDENTIALS,
					store,
					items: items.map((id) => ({ id })),
					mode: 'trigger',
				});
			// Warm-up: a running n8n has its code compiled and the token in its database.
			assertRunOk(await run('get', ids.slice(0, 1)), 'batch warm-up');
			await admin(info, 'Clear-RequestLog');
			for (const operation of OPERATIONS) {
				const started = performance.now();
				const result = await run(operation, ids);
				msByOperation[operation] = performance.now() - started;
				assertRunOk(result, `package ${operation}`);
				if (result.items.length !== ids.length) throw new Error(`package ${operation}: ${result.items.length} items`);
				if (operation === 'move') ids = result.items.map((item) => item.json.id as string);
			}
			return { msByOperation, resent: 0, done: ids.length };
		}
		const client = new FetchClient(input.graphUrl, await fetchToken(info));
		await client.single(callFor('get', ids[0]));
		await admin(info, 'Clear-RequestLog');
		for (const operation of OPERATIONS) {
			const started = performance.now();
			ids = await runFetchStrategy(client, input.strategy, operation, ids);
			msByOperation[operation] = performance.now() - started;
		}
		return { msByOperation, resent: client.resent, done: ids.length };
	},
};

/** A TCP proxy that holds every chunk for half the round trip time in each direction. */
async function startDelayProxy(target: string, rttMs: number): Promise<{ url: string; close(): Promise<void> }> {
	const upstream = new URL(target);
	const sockets = new Set<Socket>();
	const half = rttMs / 2;
	const pipeDelayed = (from: Socket, to: Socket) => {
		from.on('data', (chunk) => setTimeout(() => to.write(chunk), half));
		from.on('end', () => setTimeout(() => to.end(), half));
		from.on('error', () => to.destroy());
	};
	const server: Server = createServer((client) => {
		const server = connect(Number(upstream.port), upstream.hostname);
		for (const s of [client, server]) {
			sockets.add(s);
			s.on('close', () => sockets.delete(s));
		}
		pipeDelayed(client, server);
		pipeDelayed(server, client);
	});
	await new Promise<void>((resolve) => server.listen(0, upstream.hostname, resolve));
	const port = (server.address() as { port: number }).port;
	return {
		url: `${upstream.protocol}//${upstream.hostname}:${port}${upstream.pathname.replace(/\/$/, '')}`,
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

interface RunRecord extends BatchWorkerResult {
	rttMs: number;
	httpRequests: number;
	exchangeRequests: number;
	throttled429: number;
	refused400: number;
}

export async function runBatch(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const count = ctx.scale.batchItems;
	const latency = ctx.options.latencyMs;
	const rtts = [0, Number(process.env.BENCH_RTT_MS ?? 30)];
	// BENCH_BATCH_STRATEGIES=naive,singles,... measures a subset (default: all).
	const chosen = STRATEGIES.filter(
		(s) => !process.env.BENCH_BATCH_STRATEGIES || process.env.BENCH_BATCH_STRATEGIES.split(',').includes(s),
	);
	const emulator = await startEmulatorProcess('rbac', latency);
	const { info } = emulator;
	const runs: Record<string, RunRecord[]> = {};
	const { runInWorker } = await import('./workers');
	const proxies = new Map<number, Awaited<ReturnType<typeof startDelayProxy>>>();
	try {
		for (const rtt of rtts) if (rtt > 0) proxies.set(rtt, await startDelayProxy(info.graphBaseUrl, rtt));
		for (let r = 0; r < ctx.options.runs; r++) {
			for (const rtt of rtts) {
				for (const strategy of chosen) {
					// The package's Graph URL is also its token audience: it runs without the proxy only.
					if (strategy === 'package' && rtt > 0) continue;
					const tag = `bench-batch-${strategy}-${rtt}-r${r}`;
					const { Ids } = await admin<{ Ids: string[] }>(info, 'Deliver-Message', {
						To: MAILBOX,
						Count: count,
						Subject: tag,
						Body: 'A message to get, update, move and delete.',
					});
					ctx.log(`batch: ${strategy}, rtt ${rtt} ms, run ${r + 1}/${ctx.options.runs} (${count} messages × 4)`);
					const graphUrl = rtt > 0 ? proxies.get(rtt)!.url : info.graphBaseUrl;
					const result = await runInWorker<BatchWorkerResult>(
						'batch.run',
						{ strategy, ids: Ids, graphUrl } satisfies BatchInput,
						info,
					);
					const log = await requestLog(info);
					const outer = log.filter((e) => e.kind === 'graph');
					const inner = log.filter((e) => e.kind === 'batch-inner');
					const exchange = [...outer.filter((e) => !e.path.endsWith('/$batch')), ...inner];
					const deleted = await admin<Array<{ Subject: string; IsRead: boolean }>>(info, 'Get-MailboxMessages', {
						Mailbox: MAILBOX,
						Folder: 'deleteditems',
					});
					const mine = deleted.filter((m) => m.Subject === tag);
					if (mine.length !== count || !mine.every((m) => m.IsRead))
						throw new Error(`batch ${strategy}: ${mine.length} of ${count} read messages in Deleted Items`);
					(runs[`${strategy}@${rtt}`] ??= []).push({
						...result,
						rttMs: rtt,
						httpRequests: outer.length,
						exchangeRequests: exchange.filter((e) => e.status !== 424).length,
						throttled429: exchange.filter((e) => e.status === 429).length,
						refused400: outer.filter((e) => e.status === 400).length,
					});
				}
			}
		}
	} finally {
		for (const proxy of proxies.values()) await proxy.close();
		await emulator.stop();
	}

	const total = (r: RunRecord) => seconds(OPERATIONS.reduce((sum, op) => sum + r.msByOperation[op], 0));
	const medianTime = (key: string) => median(runs[key].map(total));
	const limitSeconds = seconds((OPERATIONS.length * count * latency) / MAILBOX_CONCURRENCY);
	const figures: Figure[] = [];
	for (const rtt of rtts) {
		for (const strategy of STRATEGIES) {
			const list = runs[`${strategy}@${rtt}`];
			if (!list) continue;
			const variant = `${LABEL[strategy]}, RTT ${rtt} ms`;
			figures.push(figure(variant, `time, 4 × ${count} items`, 's', list.map(total)));
			if (rtt === 0) {
				for (const op of OPERATIONS)
					figures.push(
						figure(
							variant,
							`time, ${op}`,
							's',
							list.map((x) => seconds(x.msByOperation[op])),
						),
					);
			}
			figures.push(
				figure(
					variant,
					'HTTP requests',
					'',
					list.map((x) => x.httpRequests),
				),
			);
			figures.push(
				figure(
					variant,
					'Exchange requests (inner + single)',
					'',
					list.map((x) => x.exchangeRequests),
				),
			);
			figures.push(
				figure(
					variant,
					'429 responses',
					'',
					list.map((x) => x.throttled429),
				),
			);
		}
	}
	figures.push(
		figure(
			`Exchange limit (4 × ${count} × ${latency} ms / ${MAILBOX_CONCURRENCY})`,
			`time, 4 × ${count} items`,
			's',
			[limitSeconds],
			true,
		),
	);
	const has = (key: string) => Boolean(runs[key]?.length);
	const checks = [
		...(has('package@0')
			? [
					{
						text: 'package time / Exchange limit (RTT 0)',
						value: medianTime('package@0') / limitSeconds,
						unit: '×',
						goal: '≤ 1.25',
						met: medianTime('package@0') / limitSeconds <= 1.25,
					},
					...(has('batchSequential@0')
						? [
								{
									text: 'package time / $batch sequential time (RTT 0)',
									value: medianTime('package@0') / medianTime('batchSequential@0'),
									unit: '×',
								},
							]
						: []),
					{
						text: 'naive time / package time (RTT 0)',
						value: medianTime('naive@0') / medianTime('package@0'),
						unit: '×',
					},
				]
			: []),
		...rtts.flatMap((rtt) =>
			!has(`singles@${rtt}`) || !has(`batchSequential@${rtt}`) || !has(`batchParallel4@${rtt}`)
				? []
				: [
						{
							text: `4 singles time / $batch sequential time (RTT ${rtt} ms)`,
							value: medianTime(`singles@${rtt}`) / medianTime(`batchSequential@${rtt}`),
							unit: '×',
						},
						{
							text: `4 singles time / $batch parallel ×4 time (RTT ${rtt} ms)`,
							value: medianTime(`singles@${rtt}`) / medianTime(`batchParallel4@${rtt}`),
							unit: '×',
						},
						{
							text: `4 singles HTTP requests / $batch sequential HTTP requests (RTT ${rtt} ms)`,
							value:
								median(runs[`singles@${rtt}`].map((x) => x.httpRequests)) /
								median(runs[`batchSequential@${rtt}`].map((x) => x.httpRequests)),
							unit: '×',
						},
						{
							text: `$batch sequential time / Exchange limit (RTT ${rtt} ms)`,
							value: medianTime(`batchSequential@${rtt}`) / limitSeconds,
							unit: '×',
						},
						{
							text: `4 singles time / Exchange limit (RTT ${rtt} ms)`,
							value: medianTime(`singles@${rtt}`) / limitSeconds,
							unit: '×',
						},
					],
		),
		{
			text: 'Graph requests refused with 400 (all variants, all runs)',
			value: Object.values(runs)
				.flat()
				.reduce((sum, x) => sum + x.refused400, 0),
			goal: '0',
			met: Object.values(runs).every((list) => list.every((x) => x.refused400 === 0)),
		},
	];
	return {
		id: 'batch',
		title: `Get / Update / Move / Delete of ${count} messages of one mailbox: $batch against 4 concurrent requests`,
		setup: `Each variant gets, marks read, moves to Archive and deletes ${count} fresh messages of one mailbox; ${latency} ms service latency per Graph request inside Exchange's 4 slots (inner requests of a $batch too); client round trip added by a delaying TCP proxy (RTT ${rtts.join(' and ')} ms; the package runs at 0 only, its Graph URL being its token audience). Every run is checked: all ${count} messages read and in Deleted Items.`,
		figures,
		checks,
		notes: [
			'HTTP requests: what the client sent; Exchange requests: what took an Exchange slot and counted against the 10,000 per 10 minutes budget (inner requests of a $batch and single requests; 424s excluded).',
		],
		runs,
		durationMs: Date.now() - started,
	};
}
