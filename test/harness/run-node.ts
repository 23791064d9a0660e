/**
 * Runs one node of ours through n8n-core's WorkflowExecute, as the n8n server runs a workflow: the node's
 * input comes from an upstream "Start" node whose run data is already there.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecute } from 'n8n-core';
import {
	createRunExecutionData,
	type ExecutionBaseError,
	type IDataObject,
	type INodeCredentials,
	type INodeExecutionData,
	type INodeParameters,
	type IRun,
	type ITaskData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import type { CredentialStore } from './credentials';
import {
	HarnessNodeTypes,
	START_NODE_NAME,
	asItems,
	buildAdditionalData,
	buildNode,
	buildWorkflow,
	startNode,
	typeNameOf,
	type AnyNodeType,
} from './engine';
import { ensureEnvironment, logCapture, type LogLine } from './environment';

export interface RunNodeOptions {
	nodeType: AnyNodeType;
	parameters: INodeParameters;
	/** e.g. `{ scopedMailboxAppApi: { id: 'c1', name: 'App' } }` */
	credentials?: INodeCredentials;
	/** Input items: n8n items (`{ json, binary? }`) or plain objects used as `json`. Default: one empty item. */
	items?: INodeExecutionData[] | IDataObject[];
	continueOnFail?: boolean;
	/** 'continueErrorOutput' sends failed items to a second output. */
	onError?: 'continueRegularOutput' | 'continueErrorOutput' | 'stopWorkflow';
	store: CredentialStore;
	typeVersion?: number;
	/** Default 'manual' (editor run); 'trigger' / 'webhook' for production executions. */
	mode?: WorkflowExecuteMode;
	nodeName?: string;
	/** Workflow static data before the run (global and `node:<name>` keys, as n8n stores it). */
	staticData?: IDataObject;
	/** Other node types the workflow may reference (rarely needed). */
	extraNodeTypes?: AnyNodeType[];
}

export interface NodeRun {
	/** First output of the node ([] when the node failed without Continue On Fail). */
	items: INodeExecutionData[];
	/** All outputs. */
	outputs: INodeExecutionData[][];
	/**
	 * The node's error when the execution failed, as n8n stores it in the execution (a plain copy of the
	 * NodeApiError / NodeOperationError's own properties: name, message, description, httpCode, errorResponse...).
	 */
	error?: ExecutionBaseError;
	/** `error` serialised as n8n would save it, for secret searches ('' when there is none). */
	errorText: string;
	/** The node's task data (run data entry). */
	task?: ITaskData;
	/** The full IRun, as the workflowExecuteAfter hook receives it. */
	executionData: IRun;
	/** Static data after the run (what n8n would hold in memory). */
	staticData: IDataObject;
	/** Log lines n8n-core / n8n-workflow (and the node, through this.logger) emitted during the run. */
	logs: LogLine[];
	/** `logs` as one text, for secret searches. */
	logText: string;
	executionId: string;
}

export async function runNode(options: RunNodeOptions): Promise<NodeRun> {
	await ensureEnvironment();
	const nodeTypes = new HarnessNodeTypes();
	nodeTypes.register(typeNameOf(options.nodeType), options.nodeType);
	for (const extra of options.extraNodeTypes ?? []) nodeTypes.register(typeNameOf(extra), extra);

	const node = buildNode({
		nodeType: options.nodeType,
		parameters: options.parameters,
		credentials: options.credentials,
		typeVersion: options.typeVersion,
		name: options.nodeName,
		continueOnFail: options.continueOnFail,
		onError: options.onError,
	});
	const start = startNode();
	const workflow = buildWorkflow([start, node], nodeTypes, options.staticData);
	const mode = options.mode ?? 'manual';
	const executionId = randomUUID();
	const additionalData = buildAdditionalData(options.store, workflow, mode, executionId);

	const input = asItems(options.items);
	const startTask: ITaskData = {
		startTime: Date.now(),
		executionIndex: 0,
		executionTime: 0,
		executionStatus: 'success',
		source: [],
		data: { main: [input] },
	};
	const runExecutionData = createRunExecutionData({
		startData: {},
		resultData: { runData: { [START_NODE_NAME]: [startTask] }, lastNodeExecuted: START_NODE_NAME },
		executionData: {
			nodeExecutionStack: [{ node, data: { main: [input] }, source: { main: [{ previousNode: START_NODE_NAME }] } }],
		},
	});

	let finished: IRun | undefined;
	additionalData.hooks!.addHandler('workflowExecuteAfter', (run) => {
		finished = run;
	});
	const collector = logCapture.collect();
	let run: IRun;
	try {
		run = await new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(workflow);
	} finally {
		collector.stop();
	}
	run = finished ?? run;

	const task = run.data.resultData.runData[node.name]?.[0];
	const outputs = (task?.data?.main ?? []).map((output) => output ?? []);
	const error = task?.error ?? run.data.resultData.error;
	return {
		items: outputs[0] ?? [],
		outputs,
		error,
		errorText: error ? safeStringify(error) : '',
		task,
		executionData: run,
		staticData: JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject,
		logs: collector.lines,
		logText: logCapture.text(collector.lines),
		executionId,
	};
}

/** JSON with cycles cut, the way n8n's execution serialisation tolerates them. */
export function safeStringify(value: unknown): string {
	const seen = new WeakSet<object>();
	return JSON.stringify(value, (_key, v: unknown) => {
		if (typeof v === 'object' && v !== null) {
			if (seen.has(v)) return '[Circular]';
			seen.add(v);
		}
		if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack };
		return v;
	});
}
