/** Child-process entry: runs one measured task (see workers.ts) and sends its result to the parent. */
import type { WorkerReply, WorkerRequest } from './workers';
import { workerTasks as attachment } from './attachment';
import { workerTasks as batch } from './batch';
import { workerTasks as bulk } from './bulkSend';
import { workerTasks as list } from './list';
import { workerTasks as tokens } from './tokens';
import { workerTasks as trigger } from './trigger';
import type { EmulatorInfo } from '../emulator';

export type WorkerTask = (input: never, info: EmulatorInfo) => Promise<unknown>;

const tasks: Record<string, WorkerTask> = { ...bulk, ...list, ...trigger, ...tokens, ...attachment, ...batch };

process.once('message', (request: WorkerRequest) => {
	const reply = (message: WorkerReply) => process.send!(message, () => process.exit(0));
	const task = tasks[request.task];
	if (!task) {
		reply({ ok: false, error: `unknown task '${request.task}'` });
		return;
	}
	task(request.input as never, request.info).then(
		(result) => reply({ ok: true, result }),
		(error: Error) => reply({ ok: false, error: error?.stack ?? String(error) }),
	);
});
