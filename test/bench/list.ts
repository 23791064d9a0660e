/**
 * List with Return All: requests, time and peak memory for N messages, against the naive way (Graph's default
 * page size of 10, following @odata.nextLink). Both ask for the same fields and order, so only paging differs.
 */
import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess } from './emulator';
import { measurePeak, type MemoryPeak } from './memory';
import { fetchToken, listAllDefaultPage } from './naive';
import { CREDENTIALS, MAILBOX, assertRunOk, loadPackage, newCredentialStore, simpleSelect } from './pkg';
import { median } from './stats';
import { MiB, figure, seconds, type BenchContext, type BenchmarkOutcome } from './types';

const FOLDER_NAME = 'Bench List';
const ORDER = 'receivedDateTime desc';

interface ListInput {
	folderId: string;
	select: string[];
}

interface ListWorkerResult {
	ms: number;
	items: number;
	memory: MemoryPeak;
}

export const workerTasks = {
	async 'list.package'(input: ListInput, info: EmulatorInfo): Promise<ListWorkerResult> {
		const { harness, ScopedMailbox } = loadPackage();
		const store = newCredentialStore(info);
		const nodeType = new ScopedMailbox();
		const run = (extra: Record<string, unknown>) =>
			harness.runNode({
				nodeType,
				parameters: {
					authentication: 'scopedMailboxAppApi',
					resource: 'message',
					operation: 'list',
					mailbox: MAILBOX,
					folder: { __rl: true, mode: 'id', value: input.folderId },
					filters: {},
					options: {},
					simplify: true,
					...extra,
				},
				credentials: CREDENTIALS,
				store,
				mode: 'trigger',
			});
		assertRunOk(await run({ returnAll: false, limit: 1 }), 'list warm-up');
		harness.logCapture.clear();
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		const { result, memory } = await measurePeak(async () => await run({ returnAll: true }));
		const ms = performance.now() - started;
		assertRunOk(result, 'list');
		return { ms, items: result.items.length, memory };
	},

	async 'list.naive'(input: ListInput, info: EmulatorInfo): Promise<ListWorkerResult> {
		const token = await fetchToken(info);
		const query = { $select: input.select.join(','), $orderby: ORDER };
		const warm = await fetch(
			`${info.graphBaseUrl}/v1.0/users/${encodeURIComponent(MAILBOX)}/mailFolders/inbox/messages?%24top=1`,
			{
				headers: { Authorization: `Bearer ${token}` },
			},
		);
		await warm.arrayBuffer();
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		const { result, memory } = await measurePeak(
			async () => await listAllDefaultPage(info, token, MAILBOX, input.folderId, query),
		);
		const ms = performance.now() - started;
		return { ms, items: result.messages.length, memory };
	},
};

export async function runList(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const count = ctx.scale.listMessages;
	const emulator = await startEmulatorProcess('rbac', ctx.options.latencyMs);
	const { info } = emulator;
	const runs: Record<'package' | 'naive', Array<Record<string, unknown>>> = { package: [], naive: [] };
	const { runInWorker } = await import('./workers');
	try {
		const seeded = Date.now();
		await admin(info, 'Deliver-Message', {
			To: MAILBOX,
			Folder: FOLDER_NAME,
			Count: count,
			Subject: 'Listed message',
			Body: 'A message to list.',
		});
		const folders = await admin<Array<{ Id: string; DisplayName: string }>>(info, 'Get-MailboxFolders', {
			Mailbox: MAILBOX,
		});
		const folderId = folders.find((f) => f.DisplayName === FOLDER_NAME)!.Id;
		ctx.log(`list: seeded ${count} messages in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
		const input: ListInput = { folderId, select: simpleSelect() };
		for (let r = 0; r < ctx.options.runs; r++) {
			for (const variant of ['package', 'naive'] as const) {
				ctx.log(`list: ${variant} run ${r + 1}/${ctx.options.runs} (${count} messages)`);
				const result = await runInWorker<ListWorkerResult>(`list.${variant}`, input, info);
				const log = (await requestLog(info)).filter((e) => e.kind === 'graph');
				if (result.items !== count)
					throw new Error(`list ${variant}: ${result.items} messages listed, ${count} expected`);
				runs[variant].push({
					...result,
					requests: log.length,
					bytesOut: log.reduce((sum, e) => sum + e.bytesOut, 0),
					failed: log.filter((e) => e.status >= 400).length,
				});
			}
		}
	} finally {
		await emulator.stop();
	}
	const of = (variant: 'package' | 'naive', pick: (r: Record<string, unknown>) => number) => runs[variant].map(pick);
	const ms = (r: Record<string, unknown>) => seconds(r.ms as number);
	const requests = (r: Record<string, unknown>) => r.requests as number;
	const memoryMb = (r: Record<string, unknown>) => (r.memory as MemoryPeak).growthBytes / MiB;
	const bytesMb = (r: Record<string, unknown>) => (r.bytesOut as number) / MiB;
	const pkgRequests = median(of('package', requests));
	const idealRequests = Math.ceil(count / 1000);
	return {
		id: 'list',
		title: `List: ${count.toLocaleString('en-US')} messages, Return All`,
		setup: `Message → List, Return All, Simplify on (its default $select and order), one folder of ${count} messages; the naive way asks for the same fields and order without $top (Graph's default page of 10) and follows @odata.nextLink; ${ctx.options.latencyMs} ms latency.`,
		figures: [
			figure('package (n8n node)', 'Graph requests', '', of('package', requests)),
			figure('package (n8n node)', 'time', 's', of('package', ms)),
			figure('package (n8n node)', 'peak RSS above baseline', 'MB', of('package', memoryMb)),
			figure('package (n8n node)', 'response bytes', 'MB', of('package', bytesMb)),
			figure('naive default page size', 'Graph requests', '', of('naive', requests)),
			figure('naive default page size', 'time', 's', of('naive', ms)),
			figure('naive default page size', 'peak RSS above baseline', 'MB', of('naive', memoryMb)),
			figure('naive default page size', 'response bytes', 'MB', of('naive', bytesMb)),
		],
		checks: [
			{
				text: 'package requests',
				value: pkgRequests,
				goal: `about ${idealRequests}`,
				met: pkgRequests <= idealRequests + 1,
			},
			{ text: 'naive requests / package requests', value: median(of('naive', requests)) / pkgRequests, unit: '×' },
			{ text: 'naive time / package time', value: median(of('naive', ms)) / median(of('package', ms)), unit: '×' },
		],
		notes: [
			'Peak RSS of the package includes the n8n items the execution holds (what n8n keeps in memory for the next node); the naive loop holds only the raw JSON.',
		],
		runs,
		durationMs: Date.now() - started,
	};
}
