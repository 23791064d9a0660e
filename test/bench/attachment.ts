/**
 * Large attachment: one message with an N MB file held on disk by n8n's filesystem binary mode, sent by the
 * action node (draft + upload session, streamed in chunks), against reading the whole file into memory and
 * base64-encoding it. Peak RSS of the sending process above its level just before the send.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess } from './emulator';
import { measurePeak, type MemoryPeak } from './memory';
import { CHUNK_BYTES, fetchToken, streamedAttachment, wholeFileAttachment } from './naive';
import { CREDENTIALS, EXTERNAL_RECIPIENT, MAILBOX, assertRunOk, loadPackage, newCredentialStore } from './pkg';
import { median } from './stats';
import { MiB, figure, seconds, type BenchContext, type BenchmarkOutcome } from './types';

const WARM_UP_MB = 4;
/** The diagnostic variant collects garbage this often, to show what the send keeps alive. */
const DIAGNOSTIC_GC_MS = 20;

type Variant = 'package' | 'packageGc' | 'streamed' | 'naive';
/** "A few chunks", fixed before measuring: the send may hold up to this many upload chunks at once. */
const FEW_CHUNKS = 4;

interface AttachmentInput {
	sizeMb: number;
	tag: string;
	/** Diagnostic: force a GC this often during the send, to tell live memory from garbage awaiting collection. */
	gcEveryMs?: number;
}

interface AttachmentWorkerResult {
	ms: number;
	memory: MemoryPeak;
	method?: unknown;
}

function sendParameters(subject: string) {
	return {
		authentication: 'scopedMailboxAppApi',
		resource: 'message',
		operation: 'send',
		mailbox: MAILBOX,
		toRecipients: EXTERNAL_RECIPIENT,
		subject,
		bodyContentType: 'text',
		bodyContent: 'Benchmark attachment',
		additionalFields: { attachments: 'data' },
	};
}

/** Writes `bytes` of a repeating pattern without holding them in memory. */
async function writeFile(path: string, bytes: number): Promise<void> {
	const out = createWriteStream(path);
	const block = Buffer.alloc(MiB);
	for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 8)) & 0xff;
	for (let written = 0; written < bytes; written += block.length) {
		if (!out.write(block.subarray(0, Math.min(block.length, bytes - written)))) await once(out, 'drain');
	}
	out.end();
	await once(out, 'finish');
}

export const workerTasks = {
	async 'attachment.package'(input: AttachmentInput, info: EmulatorInfo): Promise<AttachmentWorkerResult> {
		const { harness, ScopedMailbox } = loadPackage();
		const store = newCredentialStore(info);
		const nodeType = new ScopedMailbox();
		const send = async (subject: string, sizeMb: number, fileName: string) => {
			const item = await harness.binaryItem({ sizeMb, fileName });
			return async () =>
				await harness.runNode({
					nodeType,
					parameters: sendParameters(subject),
					credentials: CREDENTIALS,
					store,
					items: [item],
					mode: 'trigger',
				});
		};
		// Warm-up through the same path (an upload session), so compiled code and sockets are not counted.
		assertRunOk(await (await send(`${input.tag}-warmup`, WARM_UP_MB, 'warmup.bin'))(), 'attachment warm-up');
		const measured = await send(input.tag, input.sizeMb, `bench-${input.sizeMb}mb.bin`);
		harness.logCapture.clear();
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		const { result, memory } = await measurePeak(measured, { gcEveryMs: input.gcEveryMs });
		const ms = performance.now() - started;
		assertRunOk(result, 'attachment send');
		return { ms, memory, method: result.items[0]?.json.attachments };
	},

	async 'attachment.naive'(input: AttachmentInput, info: EmulatorInfo): Promise<AttachmentWorkerResult> {
		return await plainFetchAttachment(input, info, wholeFileAttachment);
	},

	async 'attachment.streamed'(input: AttachmentInput, info: EmulatorInfo): Promise<AttachmentWorkerResult> {
		return await plainFetchAttachment(input, info, streamedAttachment);
	},
};

async function plainFetchAttachment(
	input: AttachmentInput,
	info: EmulatorInfo,
	send: typeof wholeFileAttachment | typeof streamedAttachment,
): Promise<AttachmentWorkerResult> {
	const dir = await mkdtemp(join(tmpdir(), 'scoped-mailbox-bench-'));
	try {
		const warm = join(dir, 'warmup.bin');
		const big = join(dir, `bench-${input.sizeMb}mb.bin`);
		await writeFile(warm, WARM_UP_MB * MiB);
		await writeFile(big, input.sizeMb * MiB);
		const token = await fetchToken(info);
		await send(info, token, MAILBOX, EXTERNAL_RECIPIENT, `${input.tag}-warmup`, warm, 'warmup.bin');
		await admin(info, 'Clear-RequestLog');
		const started = performance.now();
		const { memory } = await measurePeak(
			async () => await send(info, token, MAILBOX, EXTERNAL_RECIPIENT, input.tag, big, `bench-${input.sizeMb}mb.bin`),
		);
		return { ms: performance.now() - started, memory };
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

interface SentMessage {
	Subject: string;
	Attachments: Array<{ Name: string; Size: number }>;
}

export async function runAttachment(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const sizeMb = ctx.scale.attachmentMb;
	const sizeBytes = sizeMb * MiB;
	const emulator = await startEmulatorProcess('rbac', ctx.options.latencyMs);
	const { info } = emulator;
	const runs: Record<Variant, Array<Record<string, unknown>>> = { package: [], packageGc: [], streamed: [], naive: [] };
	const { runInWorker } = await import('./workers');
	try {
		for (let r = 0; r < ctx.options.runs; r++) {
			for (const variant of ['package', 'packageGc', 'streamed', 'naive'] as const) {
				const tag = `bench-attachment-${variant}-r${r}`;
				ctx.log(`attachment: ${variant} run ${r + 1}/${ctx.options.runs} (${sizeMb} MB)`);
				const task = variant === 'packageGc' ? 'attachment.package' : `attachment.${variant}`;
				const input: AttachmentInput = {
					sizeMb,
					tag,
					...(variant === 'packageGc' ? { gcEveryMs: DIAGNOSTIC_GC_MS } : {}),
				};
				const result = await runInWorker<AttachmentWorkerResult>(task, input, info);
				const log = await requestLog(info);
				const sent = (await admin<SentMessage[]>(info, 'Get-SentMessages', { Mailbox: MAILBOX })).filter(
					(m) => m.Subject === tag,
				);
				const delivered =
					sent.length === 1 && sent[0].Attachments.length === 1 && sent[0].Attachments[0].Size === sizeBytes;
				if (!delivered)
					throw new Error(
						`attachment ${variant}: the sent message is not as expected: ${JSON.stringify(sent.map((m) => m.Attachments))}`,
					);
				runs[variant].push({
					...result,
					delivered,
					graphRequests: log.filter((e) => e.kind === 'graph').length,
					uploadRequests: log.filter((e) => e.kind === 'upload').length,
					failed: log.filter((e) => e.status >= 400 && e.kind !== 'admin').length,
				});
			}
		}
	} finally {
		await emulator.stop();
	}
	const mb = (variant: Variant) => runs[variant].map((r) => (r.memory as MemoryPeak).growthBytes / MiB);
	const time = (variant: Variant) => runs[variant].map((r) => seconds(r.ms as number));
	const chunkMiB = CHUNK_BYTES / MiB;
	const pkgPeak = median(mb('package'));
	return {
		id: 'attachment',
		title: `Large attachment: ${sizeMb} MB`,
		setup: `Message → Send with one ${sizeMb} MiB binary item held on disk (n8n's filesystem binary mode): draft, upload session in ${chunkMiB} MiB chunks, send; a reference upload with plain Node (fs stream in chunk-size reads, one fetch PUT each, no package code) shows the floor of Node's own HTTP stack; the naive way reads the whole file into memory and base64-encodes it (as in-memory binary data and an inline attachment hold it), then uploads slices of it the same way; ${ctx.options.latencyMs} ms latency. Peak RSS of the sending process (kernel high-water mark and 5 ms samples) above its level just before.`,
		figures: [
			figure('package (n8n node)', 'time', 's', time('package')),
			figure('package (n8n node)', 'peak RSS above baseline', 'MB', mb('package')),
			figure(
				'package (n8n node)',
				'upload requests',
				'',
				runs.package.map((r) => r.uploadRequests as number),
			),
			figure(
				`package, GC forced every ${DIAGNOSTIC_GC_MS} ms (diagnostic)`,
				'peak RSS above baseline',
				'MB',
				mb('packageGc'),
			),
			figure('reference: minimal streaming upload (fetch)', 'time', 's', time('streamed')),
			figure('reference: minimal streaming upload (fetch)', 'peak RSS above baseline', 'MB', mb('streamed')),
			figure('naive whole file + base64', 'time', 's', time('naive')),
			figure('naive whole file + base64', 'peak RSS above baseline', 'MB', mb('naive')),
		],
		checks: [
			{
				text: `package peak growth in ${chunkMiB} MiB chunks`,
				value: pkgPeak / chunkMiB,
				goal: `≤ ${FEW_CHUNKS} (a few chunks)`,
				met: pkgPeak / chunkMiB <= FEW_CHUNKS,
			},
			{ text: 'package peak growth / file size', value: pkgPeak / sizeMb, unit: '×' },
			{
				text: 'package peak growth / minimal streaming upload peak growth',
				value: pkgPeak / median(mb('streamed')),
				unit: '×',
			},
			{ text: 'naive peak growth / package peak growth', value: median(mb('naive')) / pkgPeak, unit: '×' },
		],
		notes: [
			'MB here are MiB (1,048,576 bytes).',
			`The diagnostic variant is the same send with a garbage collection forced every ${DIAGNOSTIC_GC_MS} ms: it shows what the send keeps alive, as opposed to chunks already sent that wait for V8's next collection. Its time is not comparable (the forced collections cost time).`,
		],
		runs,
		durationMs: Date.now() - started,
	};
}
