/**
 * The two services n8n's queue mode needs, started from the Debian packages on loopback ports for one test file:
 * Redis (Bull's queue) and PostgreSQL 15 (queue mode needs one database shared by main and workers; n8n's sqlite
 * file cannot be shared between processes). Both keep their data in a temporary directory removed by `stop()`.
 *
 * PostgreSQL refuses to run as root: when the test runs as root (containers), initdb and the server run as the
 * `postgres` system user the Debian package creates, in a directory handed over to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCommand, sleep } from './n8nServer';

export interface Service {
	host: string;
	port: number;
	/** Everything the service printed (Redis) or its log file (PostgreSQL). */
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

/** The PostgreSQL binaries: on PATH, else Debian's versioned directory. */
function pgBin(name: string): string {
	return process.env.PATH?.split(':').some((dir) => existsSync(join(dir, name)))
		? name
		: join('/usr/lib/postgresql/15/bin', name);
}

export async function startPostgres(): Promise<Postgres> {
	const dir = mkdtempSync(join(tmpdir(), 'scoped-mailbox-pg-'));
	const data = join(dir, 'data');
	const logFile = join(dir, 'postgres.log');
	const port = await freePort();
	const as = await postgresUser();
	if (as) chownSync(dir, as.uid, as.gid);
	const run = async (cmd: string, args: string[]) => {
		const result = await runCommand(pgBin(cmd), args, {
			cwd: dir,
			env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' },
			timeoutMs: 60_000,
			...as,
		});
		if (result.code !== 0)
			throw new Error(`${cmd} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
		return result;
	};
	const logs = () => {
		try {
			return readFileSync(logFile, 'utf8');
		} catch {
			return '';
		}
	};
	let started = false;
	const stop = async () => {
		if (started) {
			// Fast shutdown: the data is thrown away anyway; immediate if fast does not finish.
			const fast = await runCommand(pgBin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '20', 'stop'], {
				cwd: dir,
				timeoutMs: 30_000,
				...as,
			});
			if (fast.code !== 0)
				await runCommand(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { cwd: dir, ...as });
			started = false;
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
		await run('pg_ctl', [
			'-D',
			data,
			'-l',
			logFile,
			'-w',
			'-t',
			'60',
			// Loopback TCP only: no Unix socket in a shared directory.
			'-o',
			`-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200`,
			'start',
		]);
		started = true;
	} catch (error) {
		(error as Error).message += `\n--- postgres log ---\n${logs().slice(-3000)}`;
		await stop();
		throw error;
	}
	return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', logs, stop };
}
