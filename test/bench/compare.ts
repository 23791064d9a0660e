/**
 * `npm run bench:compare -- [--before REF] [--only LIST] [other bench flags]`: the same benchmarks against two
 * builds of the package in one run, side by side: the git ref REF (default: the tag i15-before, the tree before
 * issue 15's re-layering), built into test/.tmp/bench-before, and this checkout's dist/. Each benchmark runs
 * before, then after, so both see the same machine load; the table gives the after/before ratio of every figure.
 * The instant benchmark is left out: it runs the package inside a real n8n, which loads this checkout only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './emulator';
import { BENCHMARK_IDS, type BenchmarkId } from './options';
import type { BenchmarkOutcome } from './types';

const WORK = join(ROOT, 'test', '.tmp', 'bench-compare');

function parse(argv: string[]) {
	let before = 'i15-before';
	let only: BenchmarkId[] = BENCHMARK_IDS.filter((id) => id !== 'instant');
	const passThrough: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
		const value = () => inline ?? argv[++i];
		if (flag === '--before') before = value();
		else if (flag === '--only') only = value().split(',') as BenchmarkId[];
		else if (flag === '--out') throw new Error('--out is set per side by the comparison');
		else passThrough.push(argv[i]);
	}
	for (const id of only)
		if (!BENCHMARK_IDS.includes(id) || id === 'instant') throw new Error(`cannot compare benchmark '${id}'`);
	return { before, only, passThrough };
}

/** The package at `ref`, compiled as `npm run build` compiles it (icons are not needed to run it). */
function buildRef(ref: string): string {
	const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
		cwd: ROOT,
		encoding: 'utf8',
	}).trim();
	const dir = join(WORK, `src-${commit.slice(0, 12)}`);
	const dist = join(dir, 'dist');
	if (existsSync(join(dist, 'nodes', 'ScopedMailbox', 'ScopedMailbox.node.js'))) return dist;
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${dir}"`], { cwd: ROOT, stdio: 'inherit' });
	symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
	execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
		cwd: dir,
		stdio: 'inherit',
	});
	return dist;
}

function runSide(id: BenchmarkId, side: string, packageDir: string, passThrough: string[]): BenchmarkOutcome {
	const out = join(WORK, `${side}-${id}.json`);
	execFileSync(
		join(ROOT, 'node_modules', '.bin', 'tsx'),
		[join(ROOT, 'test', 'bench', 'run.ts'), '--only', id, '--out', out, ...passThrough],
		{ cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BENCH_PACKAGE_DIR: packageDir } },
	);
	return (JSON.parse(readFileSync(out, 'utf8')) as { benchmarks: BenchmarkOutcome[] }).benchmarks[0];
}

const format = (value: number | undefined, unit = '') =>
	value === undefined ? '-' : `${Number.isInteger(value) ? value : value.toPrecision(3)}${unit ? ` ${unit}` : ''}`;

function main() {
	if (!process.env.NODE_EXTRA_CA_CERTS) throw new Error('run it as `npm run bench:compare` (sets the test CA)');
	const { before, only, passThrough } = parse(process.argv.slice(2));
	mkdirSync(WORK, { recursive: true });
	const beforeDir = buildRef(before);
	const afterDir = join(ROOT, 'dist');
	const rows: string[][] = [['benchmark', 'figure', `before (${before})`, 'after (this checkout)', 'after/before']];
	for (const id of only) {
		process.stderr.write(`compare: ${id} before\n`);
		const a = runSide(id, 'before', beforeDir, passThrough);
		process.stderr.write(`compare: ${id} after\n`);
		const b = runSide(id, 'after', afterDir, passThrough);
		for (const f of b.figures) {
			const old = a.figures.find((x) => x.variant === f.variant && x.metric === f.metric);
			const ratio = old && old.summary.median ? f.summary.median / old.summary.median : undefined;
			rows.push([
				id,
				`${f.variant}: ${f.metric}`,
				format(old?.summary.median, f.unit),
				format(f.summary.median, f.unit),
				format(ratio),
			]);
		}
		for (const c of b.checks) {
			const old = a.checks.find((x) => x.text === c.text);
			const ratio = old && old.value ? c.value / old.value : undefined;
			rows.push([id, c.text, format(old?.value, c.unit), format(c.value, c.unit), format(ratio)]);
		}
	}
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
	process.stdout.write(`${rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n')}\n`);
	process.stdout.write(`\n| ${rows[0].join(' | ')} |\n| ${rows[0].map(() => '---').join(' | ')} |\n`);
	for (const r of rows.slice(1)) process.stdout.write(`| ${r.join(' | ')} |\n`);
}

main();
