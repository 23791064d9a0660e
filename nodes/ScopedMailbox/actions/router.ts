import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { isSendOutcomeUnknownError, runForItems } from '../transport';
import * as attachment from './attachment';
import type { BatchableOperation } from './common/batchable';
import { runBatched, type ItemOutcome } from './common/batchRunner';
import { SEND_OPERATIONS, SendReport, failedSendOutcome } from './common/sendReport';
import * as mailbox from './mailbox';
import * as message from './message';

type ItemExecute = (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;

interface OperationModule {
	execute: ItemExecute;
	batch?: BatchableOperation;
}

const resources: Record<string, Record<string, unknown>> = { message, attachment, mailbox };

function operationModule(this: IExecuteFunctions, resource: string, operation: string): OperationModule {
	const module = resources[resource]?.[operation] as OperationModule | undefined;
	if (!module || typeof module.execute !== 'function') {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}
	return module;
}

/** The mailbox an item acts on, for per-mailbox concurrency; invalid values are reported by the operation. */
function mailboxKey(this: IExecuteFunctions, itemIndex: number): string {
	try {
		return String(this.getNodeParameter('mailbox', itemIndex, ''))
			.split(',')[0]
			.trim()
			.toLowerCase();
	} catch {
		return '';
	}
}

/** Errors that are not n8n's yet (e.g. an empty message id) get the node and the item index. */
function asNodeError(this: IExecuteFunctions, error: unknown, itemIndex: number): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (error.context && error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(this.getNode(), error as Error, { itemIndex });
}

function errorItem(error: Error, itemIndex: number, isSend: boolean, toErrorOutput: boolean): INodeExecutionData {
	const json: IDataObject = { error: error.message };
	if (isSend) json.sendStatus = failedSendOutcome(error);
	const description = (error as { description?: string | null }).description;
	if (description) json.description = description;
	const httpCode = (error as { httpCode?: string | null }).httpCode;
	if (httpCode) json.httpCode = httpCode;
	if (isSendOutcomeUnknownError(error)) {
		json.outcome = 'unknown';
		json.error = `${error.message}. The message may or may not have been sent: check the mailbox's Sent Items before sending it again.`;
	}
	// `error` routes the item to the node's error output when the workflow wires one ("On Error: Continue
	// (using error output)"): n8n does that only for items with `error` set or an error-only json.
	// Only then: n8n rewrites the json of items carrying `error` on the regular output.
	const nodeError =
		toErrorOutput && (error instanceof NodeApiError || error instanceof NodeOperationError) ? error : undefined;
	return { json, ...(nodeError ? { error: nodeError } : {}), pairedItem: { item: itemIndex } };
}

/**
 * Runs the chosen operation for every input item: concurrently within Exchange's per-mailbox limit, through
 * $batch where the operation allows it, with one output (or error item under Continue On Fail) per item.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const module = operationModule.call(this, resource, operation);
	const continueOnFail = this.continueOnFail();
	const toErrorOutput = this.getNode().onError === 'continueErrorOutput';

	let batched = new Map<number, ItemOutcome>();
	let single = items.map((_, i) => i);
	if (module.batch && items.length > 1) {
		({ outcomes: batched, single } = await runBatched.call(this, module.batch, single));
	}
	const singles = new Set(single);
	const isSend = resource === 'message' && SEND_OPERATIONS.has(operation);
	const report = isSend ? new SendReport(items.length) : undefined;
	try {
		const output = await runForItems(
			items,
			(i) => mailboxKey.call(this, i),
			async (i) => {
				if (!singles.has(i)) {
					const outcome = batched.get(i);
					if (outcome instanceof Error) throw outcome;
					return outcome ?? [];
				}
				try {
					const result = await module.execute.call(this, i);
					report?.succeeded(i, result);
					return result;
				} catch (error) {
					report?.failed(i, error);
					throw asNodeError.call(this, error, i);
				}
			},
			{ onError: (error, i) => (continueOnFail ? errorItem(error, i, isSend, toErrorOutput) : undefined) },
		);
		return [output];
	} catch (error) {
		// Stop on error saves no output: the error itself must say what went out (items in flight have finished).
		throw report ? report.annotate(error as Error) : error;
	}
}
