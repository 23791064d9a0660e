/** Plain-text and markdown tables, and the JSON file. */
import type { MachineInfo } from './machine';
import { describeMachine } from './machine';
import type { BenchOptions } from './options';
import type { BenchmarkOutcome, Figure, Scale } from './types';

export interface BenchReport {
	startedAt: string;
	durationSeconds: number;
	machine: MachineInfo;
	/** 1-minute load average when the run ended. */
	loadAverageAtEnd?: number;
	options: BenchOptions;
	scale: Scale;
	package: { dir: string; builtAt: string };
	benchmarks: BenchmarkOutcome[];
}

function round(value: number): string {
	if (!Number.isFinite(value)) return '–';
	if (Number.isInteger(value)) return value.toLocaleString('en-US');
	const abs = Math.abs(value);
	if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
	if (abs >= 100) return value.toFixed(0);
	if (abs >= 10) return value.toFixed(1);
	if (abs >= 1 || value === 0) return value.toFixed(2).replace(/\.00$/, '');
	return value.toFixed(3);
}

function withUnit(value: number, unit: string): string {
	if (!unit) return round(value);
	if (unit === '×') return `${round(value)}×`;
	if (unit.startsWith('of ')) return `${round(value)} ${unit}`;
	return `${round(value)} ${unit}`;
}

function spread(f: Figure): string {
	const s = f.summary;
	if (f.computed) return 'computed';
	if (s.n <= 1) return `n=${s.n}`;
	if (s.min === s.max) return `all ${s.n} runs equal`;
	return `${round(s.min)}–${round(s.max)} (±${Math.round((s.relativeRange * 100) / 2)}%)`;
}

function table(headers: string[], rows: string[][]): string {
	const escape = (cell: string) => cell.replace(/\|/g, '\\|');
	return [
		`| ${headers.join(' | ')} |`,
		`| ${headers.map(() => '---').join(' | ')} |`,
		...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
	].join('\n');
}

export function markdown(report: BenchReport): string {
	const figureRows: string[][] = [];
	const checkRows: string[][] = [];
	for (const b of report.benchmarks) {
		for (const f of b.figures) {
			figureRows.push([b.title, f.variant, f.metric, withUnit(f.summary.median, f.unit), spread(f)]);
		}
		for (const c of b.checks) {
			checkRows.push([
				b.title,
				c.text,
				withUnit(c.value, c.unit ?? ''),
				c.goal ?? '',
				c.met === undefined ? '' : c.met ? 'yes' : '**no**',
			]);
		}
	}
	const o = report.options;
	const lines = [
		`Machine: ${describeMachine(report.machine)}. Emulator latency ${o.latencyMs} ms per Graph request, ` +
			`${o.runs} run${o.runs === 1 ? '' : 's'} per variant (median; min–max and ± half the relative range show the spread), ` +
			`whole run ${Math.round(report.durationSeconds / 60)} min (${new Date(report.startedAt).toISOString().slice(0, 10)}; ` +
			`1-minute load average ${report.machine.loadAverageAtStart} at the start${report.loadAverageAtEnd !== undefined ? `, ${report.loadAverageAtEnd} at the end` : ''}).` +
			(o.quick ? ' **Quick mode: reduced sizes, not the documented figures.**' : ''),
		'',
		table(['Benchmark', 'Variant', 'Metric', 'Median', 'Spread'], figureRows),
		'',
		table(['Benchmark', 'Comparison', 'Value', 'Goal', 'Met'], checkRows),
	];
	const notes = report.benchmarks.flatMap((b) => b.notes.map((n) => `- ${b.title}: ${n}`));
	if (notes.length) lines.push('', ...notes);
	return lines.join('\n');
}

/** Aligned columns for the terminal. */
export function plainText(report: BenchReport): string {
	const out: string[] = [];
	for (const b of report.benchmarks) {
		out.push('', `${b.title}  [${Math.round(b.durationMs / 1000)} s]`, `  ${b.setup}`);
		const rows = b.figures.map((f) => [f.variant, f.metric, withUnit(f.summary.median, f.unit), spread(f)]);
		const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
		for (const r of rows)
			out.push(`  ${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}  ${r[3]}`);
		for (const c of b.checks) {
			const verdict = c.met === undefined ? '' : c.met ? '  [goal met]' : '  [GOAL MISSED]';
			out.push(`  → ${c.text}: ${withUnit(c.value, c.unit ?? '')}${c.goal ? ` (goal ${c.goal})` : ''}${verdict}`);
		}
		for (const n of b.notes) out.push(`  note: ${n}`);
	}
	return out.join('\n');
}
