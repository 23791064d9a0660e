/**
 * The emulator in a child process (its memory and CPU are not the measured process's), and its admin API
 * over HTTPS, as any script would call it. Needs NODE_EXTRA_CA_CERTS pointing at the emulator's test CA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

import type { EmulatorInfo } from '../emulator';

export const ROOT = resolve(__dirname, '..', '..');

export interface LogEntry {
	seq: number;
	at: number;
	method: string;
	path: string;
	query: string;
	status: number;
	kind: 'token' | 'mi' | 'graph' | 'upload' | 'batch-inner' | 'admin' | 'other';
	appId?: string;
	mailbox?: string;
	grantType?: string;
	bytesIn: number;
	bytesOut: number;
}

export async function admin<T = unknown>(
	info: Pick<EmulatorInfo, 'adminUrl'>,
	operation: string,
	body: object = {},
): Promise<T> {
	const response = await fetch(`${info.adminUrl}/${operation}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`Emulator admin ${operation} failed: ${response.status} ${text.slice(0, 500)}`);
	return (text ? JSON.parse(text) : undefined) as T;
}

export async function requestLog(info: Pick<EmulatorInfo, 'adminUrl'>): Promise<LogEntry[]> {
	return (await admin<LogEntry[]>(info, 'Get-RequestLog')).filter((e) => e.kind !== 'admin');
}

export interface EmulatorProcess {
	info: EmulatorInfo;
	child: ChildProcess;
	stop(): Promise<void>;
}

/** Starts `test/emulator/cli.ts` in its own Node process and waits for its info line. */
export async function startEmulatorProcess(scenario: string, latencyMs: number): Promise<EmulatorProcess> {
	const child = spawn(
		process.execPath,
		[
			'--import',
			'tsx',
			resolve(ROOT, 'test/emulator/cli.ts'),
			'--port',
			'0',
			'--http-port',
			'0',
			'--scenario',
			scenario,
			'--latency',
			String(latencyMs),
		],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
	);
	let stderr = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
		if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
	});
	const info = await new Promise<EmulatorInfo>((resolvePromise, reject) => {
		const lines = createInterface({ input: child.stdout! });
		const timer = setTimeout(
			() => reject(new Error(`The emulator did not start within 60 s. stderr:\n${stderr}`)),
			60_000,
		);
		lines.on('line', (line) => {
			if (!line.startsWith('{')) return;
			clearTimeout(timer);
			lines.removeAllListeners('line');
			child.stdout!.resume();
			try {
				resolvePromise(JSON.parse(line) as EmulatorInfo);
			} catch (error) {
				reject(error as Error);
			}
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`The emulator exited (code ${code}) before printing its info. stderr:\n${stderr}`));
		});
	});
	child.removeAllListeners('exit');
	child.on('exit', (code, signal) => {
		if (code !== 0 && signal !== 'SIGTERM' && !stopping)
			process.stderr.write(`bench: the emulator exited unexpectedly (code ${code}, ${signal}).\n${stderr}\n`);
	});
	let stopping = false;
	return {
		info,
		child,
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			stopping = true;
			await new Promise<void>((done) => {
				const timer = setTimeout(() => {
					child.kill('SIGKILL');
				}, 5_000);
				child.once('exit', () => {
					clearTimeout(timer);
					done();
				});
				child.kill('SIGTERM');
			});
		},
	};
}
