/**
 * Each measured run happens in a fresh Node process: memory figures start from a clean heap, and one run's
 * garbage or caches (msal, connection pools, the package's concurrency slots) cannot help or hurt the next.
 */
import { fork } from 'node:child_process';
import { resolve } from 'node:path';

import type { EmulatorInfo } from '../emulator';

export interface WorkerRequest {
	task: string;
	input: unknown;
	info: EmulatorInfo;
}

export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: string };

const WORKER = resolve(__dirname, 'worker.ts');

export async function runInWorker<T>(
	task: string,
	input: unknown,
	info: EmulatorInfo,
	timeoutMs = 15 * 60_000,
): Promise<T> {
	const child = fork(WORKER, [], {
		execArgv: ['--import', 'tsx', '--expose-gc'],
		stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
		env: process.env,
	});
	let output = '';
	const keep = (chunk: Buffer) => {
		output += chunk.toString();
		if (output.length > 40_000) output = output.slice(-20_000);
	};
	child.stdout!.on('data', keep);
	child.stderr!.on('data', keep);
	return await new Promise<T>((resolvePromise, reject) => {
		let settled = false;
		const finish = (error: Error | undefined, value?: T) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			if (error) reject(error);
			else resolvePromise(value as T);
		};
		const timer = setTimeout(
			() => finish(new Error(`bench worker '${task}' timed out after ${timeoutMs / 1000} s\n${output}`)),
			timeoutMs,
		);
		child.on('message', (message: WorkerReply) => {
			if (message.ok) finish(undefined, message.result as T);
			else finish(new Error(`bench worker '${task}' failed: ${message.error}\n${output}`));
		});
		child.on('exit', (code, signal) =>
			finish(new Error(`bench worker '${task}' exited (code ${code}, ${signal}) without a result\n${output}`)),
		);
		child.send({ task, input, info } satisfies WorkerRequest);
	});
}
