/** Command-line flags of `npm run bench -- [flags]`. */

export const BENCHMARK_IDS = ['bulk', 'list', 'trigger', 'tokens', 'attachment', 'batch', 'instant'] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];

export interface BenchOptions {
	/** Injected emulator latency per Graph request, in ms. */
	latencyMs: number;
	/** Runs per measured variant; figures are medians over them. */
	runs: number;
	only: BenchmarkId[];
	/** Where the JSON goes (bench-results/latest.json by default). */
	out: string;
	/** Scale factors for a quick smoke run (`--quick`): the figures are then not the documented ones. */
	quick: boolean;
}

export const USAGE = `Usage: npm run bench -- [--latency MS] [--runs N] [--only ${BENCHMARK_IDS.join(',')}] [--out FILE] [--quick]
  --latency MS  injected emulator latency per Graph request (default 100)
  --runs N      runs per variant; figures are medians (default 3)
  --only LIST   comma-separated benchmarks to run (default: all)
  --out FILE    JSON results (default bench-results/latest.json)
  --quick       small sizes (50 sends, 1,000 listed, 200 burst, 100 executions, 10 MB, 20 batched): a smoke test, not figures
  BENCH_RTT_MS  (environment) client round trip added in front of the emulator for the batch benchmark (default 30)`;

export function parseOptions(argv: string[]): BenchOptions {
	const options: BenchOptions = {
		latencyMs: 100,
		runs: 3,
		only: [...BENCHMARK_IDS],
		out: 'bench-results/latest.json',
		quick: false,
	};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const [flag, inline] = arg.includes('=')
			? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
			: [arg, undefined];
		const value = () => {
			const v = inline ?? argv[++i];
			if (v === undefined) throw new Error(`${flag} needs a value`);
			return v;
		};
		const whole = (name: string, v: string, min: number) => {
			const n = Number(v);
			if (!Number.isInteger(n) || n < min)
				throw new Error(`${name} must be a whole number of at least ${min}, got '${v}'`);
			return n;
		};
		switch (flag) {
			case '--latency':
				options.latencyMs = whole('--latency', value(), 0);
				break;
			case '--runs':
				options.runs = whole('--runs', value(), 1);
				break;
			case '--only': {
				const ids = value()
					.split(',')
					.map((s) => s.trim())
					.filter(Boolean);
				for (const id of ids) {
					if (!(BENCHMARK_IDS as readonly string[]).includes(id))
						throw new Error(`Unknown benchmark '${id}' (known: ${BENCHMARK_IDS.join(', ')})`);
				}
				options.only = ids as BenchmarkId[];
				break;
			}
			case '--out':
				options.out = value();
				break;
			case '--quick':
				options.quick = true;
				break;
			case '--help':
			case '-h':
				throw new HelpRequested();
			default:
				throw new Error(`Unknown argument '${arg}'`);
		}
	}
	return options;
}

export class HelpRequested extends Error {
	constructor() {
		super(USAGE);
	}
}
