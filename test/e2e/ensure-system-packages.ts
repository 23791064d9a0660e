/**
 * The Debian packages the end-to-end tiers need, installed as a visible step of `npm test` (before jest), so the
 * README's `npm install && npm test` sets up a fresh machine on its own:
 * - redis-server: queue mode (test/e2e/queueMode.e2e.test.ts);
 * - PostgreSQL: queue mode's shared database (initdb/postgres, from PATH or /usr/lib/postgresql/N/bin);
 * - chromium: the editor's browser test (test/e2e/editor.e2e.test.ts), driven by playwright-core.
 *
 * What is already there is left alone. Missing packages are installed with apt-get when this runs as root (CI, a
 * container) or with passwordless sudo; otherwise the step fails naming the one command to run, rather than
 * letting the tests fail later with a less clear error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

interface Need {
	apt: string;
	present: () => boolean;
}

const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function postgresPresent(): boolean {
	if (onPath('initdb') && onPath('postgres')) return true;
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return false;
	return readdirSync(root).some(
		(v) => existsSync(`${root}/${v}/bin/initdb`) && existsSync(`${root}/${v}/bin/postgres`),
	);
}

const NEEDS: Need[] = [
	{ apt: 'redis-server', present: () => onPath('redis-server') },
	{ apt: 'postgresql', present: postgresPresent },
	{ apt: 'chromium', present: () => existsSync('/usr/bin/chromium') },
];

function main(): void {
	const missing = NEEDS.filter((n) => !n.present()).map((n) => n.apt);
	if (missing.length === 0) {
		console.log('[system-packages] redis-server, PostgreSQL and chromium are installed');
		return;
	}
	const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
	const isRoot = process.getuid?.() === 0;
	const sudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
	if (!isRoot && !sudo) {
		console.error(
			`[system-packages] missing: ${missing.join(', ')}. Install them once (Debian/Ubuntu):\n  sudo ${command}\n` +
				'or run `npm run test:fast`, which needs none of them.',
		);
		process.exit(1);
	}
	console.log(`[system-packages] installing ${missing.join(', ')} (${sudo ? 'sudo ' : ''}apt-get; about 1-3 minutes)`);
	const started = Date.now();
	execFileSync(sudo ? 'sudo' : 'sh', sudo ? ['-n', 'sh', '-c', command] : ['-c', command], {
		stdio: ['ignore', 'inherit', 'inherit'],
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		timeout: 15 * 60_000,
	});
	const still = NEEDS.filter((n) => !n.present()).map((n) => n.apt);
	if (still.length) {
		console.error(`[system-packages] still missing after apt-get: ${still.join(', ')}`);
		process.exit(1);
	}
	console.log(`[system-packages] installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

main();
