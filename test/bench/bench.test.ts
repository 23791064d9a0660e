/** The benchmark's own arithmetic and flags (the measurements themselves run with `npm run bench`). */
import { parseOptions } from './options';
import { markdown, type BenchReport } from './report';
import { median, summarize } from './stats';
import { FULL_SCALE, figure } from './types';

describe('bench statistics', () => {
	it('takes the median of odd and even counts and reports the spread', () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		const s = summarize([10, 12, 11]);
		expect(s).toMatchObject({ n: 3, median: 11, min: 10, max: 12 });
		expect(s.relativeRange).toBeCloseTo(2 / 11);
		expect(summarize([5]).relativeRange).toBe(0);
	});
});

describe('bench flags', () => {
	it('defaults to 100 ms latency, 3 runs and every benchmark', () => {
		expect(parseOptions([])).toMatchObject({
			latencyMs: 100,
			runs: 3,
			only: ['bulk', 'list', 'trigger', 'tokens', 'attachment', 'batch', 'instant'],
			quick: false,
		});
	});

	it('reads --latency, --runs and --only, and refuses bad values', () => {
		expect(parseOptions(['--latency', '50', '--runs=5', '--only', 'bulk,tokens'])).toMatchObject({
			latencyMs: 50,
			runs: 5,
			only: ['bulk', 'tokens'],
		});
		expect(() => parseOptions(['--runs', '0'])).toThrow(/--runs must be a whole number/);
		expect(() => parseOptions(['--only', 'everything'])).toThrow(/Unknown benchmark 'everything'/);
		expect(() => parseOptions(['--fast'])).toThrow(/Unknown argument/);
	});
});

describe('bench report', () => {
	it('renders figures with their spread and goals with their verdict as markdown', () => {
		const report: BenchReport = {
			startedAt: '2026-11-22T00:00:00.000Z',
			durationSeconds: 600,
			machine: { cpuModel: 'CPU', cores: 2, memoryGiB: 8, node: 'v20.20.2', os: 'linux', loadAverageAtStart: 0 },
			options: { latencyMs: 100, runs: 3, only: ['bulk'], out: 'x.json', quick: false },
			scale: FULL_SCALE,
			package: { dir: 'dist', builtAt: '2026-11-22T00:00:00.000Z' },
			benchmarks: [
				{
					id: 'bulk',
					title: 'Bulk',
					setup: '',
					figures: [figure('package', 'time', 's', [14, 15, 13]), figure('limit', 'time', 's', [12.5], true)],
					checks: [
						{ text: 'package / limit', value: 1.12, unit: '×', goal: '≤ 1.25', met: true },
						{ text: 'missed', value: 2, goal: '≤ 1', met: false },
					],
					notes: [],
					runs: {},
					durationMs: 1,
				},
			],
		};
		const md = markdown(report);
		expect(md).toContain('CPU, 2 cores, 8 GiB RAM, Node v20.20.2');
		expect(md).toContain('| Bulk | package | time | 14 s | 13–15 (±7%) |');
		expect(md).toContain('| Bulk | limit | time | 12.5 s | computed |');
		expect(md).toContain('| Bulk | package / limit | 1.12× | ≤ 1.25 | yes |');
		expect(md).toContain('| Bulk | missed | 2 | ≤ 1 | **no** |');
	});
});
