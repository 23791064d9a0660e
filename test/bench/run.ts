/**
 * `npm run bench`: the package against the naive way and against Exchange's own limits, measured against the
 * emulator with injected latency. Prints a table, a markdown version of it, and writes JSON
 * (bench-results/latest.json). See docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';

import { runAttachment } from './attachment';
import { runBatch } from './batch';
import { runBulk } from './bulkSend';
import { runInstant } from './instant';
import { ROOT } from './emulator';
import { runList } from './list';
import { describeMachine, machineInfo } from './machine';
import { HelpRequested, USAGE, parseOptions, type BenchmarkId } from './options';
import { packageBuild } from './pkg';
import { markdown, plainText, type BenchReport } from './report';
import { runTokens } from './tokens';
import { runTrigger } from './trigger';
import { FULL_SCALE, QUICK_SCALE, type BenchContext, type BenchmarkOutcome } from './types';

const BENCHMARKS: Record<BenchmarkId, (ctx: BenchContext) => Promise<BenchmarkOutcome>> = {
	bulk: runBulk,
	list: runList,
	trigger: runTrigger,
	tokens: runTokens,
	attachment: runAttachment,
	batch: runBatch,
	instant: runInstant,
};

async function main() {
	let options;
	try {
		options = parseOptions(process.argv.slice(2));
	} catch (error) {
		const help = error instanceof HelpRequested;
		process[help ? 'stdout' : 'stderr'].write(`${help ? '' : `${(error as Error).message}\n`}${USAGE}\n`);
		process.exit(help ? 0 : 2);
	}
	if (!process.env.NODE_EXTRA_CA_CERTS) {
		process.stderr.write(
			'bench: NODE_EXTRA_CA_CERTS is not set; run it as `npm run bench` (which creates the test CA and sets it).\n',
		);
		process.exit(2);
	}
	const build = packageBuild();
	const scale = options.quick ? QUICK_SCALE : FULL_SCALE;
	const machine = machineInfo();
	const startedAt = new Date();
	const begin = Date.now();
	const log = (message: string) =>
		process.stderr.write(`[${((Date.now() - begin) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
	log(
		`machine: ${describeMachine(machine)}; latency ${options.latencyMs} ms; ${options.runs} runs; package ${build.dir} (built ${build.builtAt})`,
	);
	const ctx: BenchContext = { options, scale, log };
	const outcomes: BenchmarkOutcome[] = [];
	for (const id of options.only) {
		outcomes.push(await BENCHMARKS[id](ctx));
		log(`${id}: done in ${Math.round(outcomes[outcomes.length - 1].durationMs / 1000)} s`);
	}
	const report: BenchReport = {
		startedAt: startedAt.toISOString(),
		durationSeconds: Math.round((Date.now() - begin) / 1000),
		machine,
		loadAverageAtEnd: Math.round(loadavg()[0] * 100) / 100,
		options,
		scale,
		package: build,
		benchmarks: outcomes,
	};
	const out = resolve(ROOT, options.out);
	mkdirSync(dirname(out), { recursive: true });
	const md = markdown(report);
	writeFileSync(out, `${JSON.stringify({ ...report, markdown: md }, null, 2)}\n`);
	process.stdout.write(`${plainText(report)}\n\n--- markdown (for the README) ---\n\n${md}\n\n`);
	log(`results written to ${out}; whole run ${report.durationSeconds} s`);
}

main().catch((error: Error) => {
	process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
	process.exit(1);
});
