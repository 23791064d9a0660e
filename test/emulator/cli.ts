/**
 * `npm run emulator -- --port N --scenario NAME|FILE [--http-port N] [--latency MS] [--host H]`
 * Prints the info JSON as the first stdout line, then serves until SIGINT/SIGTERM.
 */
import { startEmulator } from './index';

function parseArgs(argv: string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (!arg.startsWith('--')) throw new Error(`Unexpected argument '${arg}'`);
		const eq = arg.indexOf('=');
		if (eq > 0) out[arg.slice(2, eq)] = arg.slice(eq + 1);
		else out[arg.slice(2)] = argv[++i] ?? '';
	}
	return out;
}

const USAGE =
	'Usage: npm run emulator -- --port N --scenario logic-app|rbac|delegated|all|FILE [--http-port N] [--latency MS] [--host 127.0.0.1] [--ca-dir DIR]';

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	if ('help' in args) {
		process.stdout.write(`${USAGE}\n`);
		return;
	}
	const number = (name: string): number | undefined => {
		if (args[name] === undefined) return undefined;
		const n = Number(args[name]);
		if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got '${args[name]}'`);
		return n;
	};
	const emu = await startEmulator({
		scenario: args.scenario ?? 'all',
		port: number('port') ?? 0,
		httpPort: number('http-port') ?? 0,
		latencyMs: number('latency'),
		host: args.host,
		caDir: args['ca-dir'],
	});
	process.stdout.write(`${JSON.stringify(emu.info)}\n`);
	const stop = () => {
		emu.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

main().catch((err) => {
	process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
	process.exit(2);
});
