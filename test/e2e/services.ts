/**
 * The two services n8n's queue mode needs, started from the Debian packages on loopback ports for one test file:
 * Redis (Bull's queue) and PostgreSQL 15 (queue mode needs one database shared by main and workers; n8n's sqlite
 * file cannot be shared between processes). Both keep their data in a temporary directory removed by `stop()`.
 *
 * PostgreSQL refuses to run as root: when the test runs as root (containers), initdb and the server run as the
 * `postgres` system user the Debian package creates, in a directory handed over to it. Both servers are children
 * of the test process and are killed with it if it ends without stopping them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCommand, sleep } from './n8nServer';

export interface Service {
	host: string;
	port: number;
	/** Everything the service printed. */
	logs(): string;
	stop(): Promise<void>;
}

export interface Postgres extends Service {
	user: string;
	database: string;
}

/** Children die with this process, even when a test run is cut short. */
function killOnExit(child: ChildProcess): void {
	const kill = () => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	};
	process.once('exit', kill);
	child.once('exit', () => process.off('exit', kill));
}

/** Sends `PING` until Redis answers `+PONG` (or the deadline passes). */
async function waitForRedis(port: number, child: ChildProcess, output: () => string, timeoutMs = 30_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output()}`);
		const answer = await new Promise<string>((resolveAnswer) => {
			const socket = connect(port, '127.0.0.1');
			let text = '';
			socket.setTimeout(2000, () => socket.destroy());
			socket.on('connect', () => socket.write('PING\r\n'));
			socket.on('data', (chunk) => {
				text += chunk;
				if (text.includes('\r\n')) socket.end();
			});
			socket.on('close', () => resolveAnswer(text));
			socket.on('error', () => undefined);
		});
		if (answer.startsWith('+PONG')) return;
		if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${timeoutMs} ms:\n${output()}`);
		await sleep(200);
	}
}

export async function startRedis(): Promise<Service> {
	if (!onPath('redis-server')) throw new Error('redis-server not found on PATH: apt-get install redis-server');
	const dir = mkdtempSync(join(tmpdir(), 'scoped-mailbox-redis-'));
	const port = await freePort();
	const child = spawn(
		'redis-server',
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	killOnExit(child);
	let output = '';
	const keep = (chunk: Buffer) => (output = (output + chunk).slice(-20_000));
	child.stdout!.on('data', keep);
	child.stderr!.on('data', keep);
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			await new Promise<void>((resolveStop) => {
				const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
				child.once('exit', () => {
					clearTimeout(timer);
					resolveStop();
				});
				child.kill('SIGTERM');
			});
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await waitForRedis(port, child, () => output);
	} catch (error) {
		await stop();
		throw error;
	}
	return { host: '127.0.0.1', port, logs: () => output, stop };
}

/** uid/gid of the `postgres` user when we are root (PostgreSQL will not run as root), else undefined. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
	const uid = await runCommand('id', ['-u', 'postgres']);
	const gid = await runCommand('id', ['-g', 'postgres']);
	if (uid.code !== 0 || gid.code !== 0)
		throw new Error(
			'running as root and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql)',
		);
	return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, name)));

/** The PostgreSQL binaries: on PATH, else Debian's versioned directory (the package does not link them). */
function pgBin(name: string): string {
	if (onPath(name)) return name;
	const debian = join('/usr/lib/postgresql/15/bin', name);
	if (existsSync(debian)) return debian;
	throw new Error(`${name} not found on PATH or in /usr/lib/postgresql/15/bin: apt-get install postgresql-15`);
}

export async function startPostgres(): Promise<Postgres> {
	const dir = mkdtempSync(join(tmpdir(), 'scoped-mailbox-pg-'));
	const data = join(dir, 'data');
	const port = await freePort();
	const as = await postgresUser();
	if (as) chownSync(dir, as.uid, as.gid);
	const env = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
	let output = '';
	let child: ChildProcess | undefined;
	const stop = async () => {
		if (child && child.exitCode === null && child.signalCode === null) {
			const running = child;
			await new Promise<void>((resolveStop) => {
				const timer = setTimeout(() => running.kill('SIGKILL'), 15_000);
				running.once('exit', () => {
					clearTimeout(timer);
					resolveStop();
				});
				// SIGINT is PostgreSQL's fast shutdown: the data is thrown away anyway.
				running.kill('SIGINT');
			});
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		const init = await runCommand(
			pgBin('initdb'),
			['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
			{ cwd: dir, env, timeoutMs: 60_000, ...as },
		);
		if (init.code !== 0) throw new Error(`initdb exited with ${init.code}\n${init.stdout}\n${init.stderr}`);
		// The server as our child (not daemonised by pg_ctl), so it dies with the test run whatever happens.
		// Loopback TCP only, no Unix socket in a shared directory; durability off for speed.
		child = spawn(
			pgBin('postgres'),
			[
				'-D',
				data,
				'-p',
				String(port),
				'-c',
				'listen_addresses=127.0.0.1',
				'-c',
				'unix_socket_directories=',
				'-c',
				'fsync=off',
				'-c',
				'synchronous_commit=off',
				'-c',
				'full_page_writes=off',
				'-c',
				'max_connections=200',
			],
			{ cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], ...as },
		);
		killOnExit(child);
		const keep = (chunk: Buffer) => (output = (output + chunk).slice(-20_000));
		child.stdout!.on('data', keep);
		child.stderr!.on('data', keep);
		const deadline = Date.now() + 60_000;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
			const ready = await runCommand(pgBin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], {
				env,
				timeoutMs: 10_000,
			});
			if (ready.code === 0) break;
			if (Date.now() > deadline) throw new Error('postgres did not accept connections within 60 s');
			await sleep(200);
		}
	} catch (error) {
		(error as Error).message += `\n--- postgres output ---\n${output.slice(-3000)}`;
		await stop();
		throw error;
	}
	return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', logs: () => output, stop };
}
