/**
 * Runs a polling trigger as n8n's ActiveWorkflowManager does (PollContext + n8n-core's PollTriggerExecutor),
 * including n8n's static data rules:
 * - trigger mode: when a poll emits (returns non-null), `__emit` saves the workflow's static data (if it
 *   changed) before the execution starts; a poll returning null leaves its changes in memory only;
 * - manual mode ("Fetch test event"): static data is never saved.
 * A restart (n8n restarted, workflow re-activated, another main instance) builds a new Workflow from the last
 * persisted static data: in-memory changes are lost.
 */
import { randomUUID } from 'node:crypto';
import { Container } from '@n8n/di';
import { PollContext, PollTriggerExecutor } from 'n8n-core';
import {
	deepCopy,
	type IDataObject,
	type INode,
	type INodeCredentials,
	type INodeExecutionData,
	type INodeParameters,
	type Workflow,
	type WorkflowActivateMode,
} from 'n8n-workflow';

import type { CredentialStore } from './credentials';
import {
	HarnessNodeTypes,
	buildAdditionalData,
	buildNode,
	buildWorkflow,
	typeNameOf,
	type AnyNodeType,
} from './engine';
import { ensureEnvironment, logCapture, type LogLine } from './environment';

export interface PollOptions {
	nodeType: AnyNodeType;
	parameters: INodeParameters;
	credentials?: INodeCredentials;
	store: CredentialStore;
	/** Persisted workflow static data to start from (as returned in `staticData` by an earlier poll). */
	staticData?: IDataObject;
	/** 'trigger' = active workflow (default); 'manual' = "Fetch test event". */
	mode?: 'trigger' | 'manual';
	typeVersion?: number;
	nodeName?: string;
}

export interface PollResult {
	/** What the poll returned: null when it found nothing. Outputs flattened in `items`. */
	output: INodeExecutionData[][] | null;
	items: INodeExecutionData[] | null;
	/** The error the poll threw (n8n would report it through __emitError), if any. */
	error?: Error;
	/** Static data as n8n has persisted it after this poll (what survives a restart). */
	staticData: IDataObject;
	/** Static data in memory after this poll (what the next poll of the same activation sees). */
	memoryStaticData: IDataObject;
	/** Whether this poll wrote static data. */
	saved: boolean;
	logs: LogLine[];
	logText: string;
}

function plain(data: IDataObject): IDataObject {
	const copy = JSON.parse(JSON.stringify(data ?? {})) as IDataObject;
	delete copy.__dataChanged;
	return copy;
}

/** One activated workflow with a polling trigger; keeps static data in memory between polls like n8n. */
export class PollingWorkflow {
	private workflow!: Workflow;

	private node!: INode;

	private persisted: IDataObject;

	private activation: WorkflowActivateMode = 'activate';

	/** Number of static-data saves (database writes). */
	saves = 0;

	/**
	 * n8n runs the first poll while it activates the workflow (on activation and at start-up) and saves the
	 * workflow's static data once activation is done, whether or not that poll emitted.
	 */
	private activationSavePending = true;

	constructor(private readonly options: PollOptions) {
		this.persisted = deepCopy(options.staticData ?? {});
		this.build();
	}

	private build() {
		const nodeTypes = new HarnessNodeTypes();
		nodeTypes.register(typeNameOf(this.options.nodeType), this.options.nodeType);
		this.node = buildNode({
			nodeType: this.options.nodeType,
			parameters: this.options.parameters,
			credentials: this.options.credentials,
			typeVersion: this.options.typeVersion,
			name: this.options.nodeName,
		});
		this.workflow = buildWorkflow([this.node], nodeTypes, deepCopy(this.persisted), false);
	}

	/** n8n restarted (or the workflow was re-activated): in-memory static data is gone. */
	restart() {
		this.activation = 'init';
		this.activationSavePending = true;
		this.build();
	}

	get staticData(): IDataObject {
		return deepCopy(this.persisted);
	}

	get memoryStaticData(): IDataObject {
		return plain(this.workflow.staticData);
	}

	private save() {
		if (this.workflow.staticData.__dataChanged === true) {
			this.persisted = plain(this.workflow.staticData);
			this.workflow.staticData.__dataChanged = false;
			this.saves++;
			return true;
		}
		return false;
	}

	async poll(mode: 'trigger' | 'manual' = this.options.mode ?? 'trigger'): Promise<PollResult> {
		await ensureEnvironment();
		const executionId = randomUUID();
		const additionalData = buildAdditionalData(this.options.store, this.workflow, mode, executionId);
		let output: INodeExecutionData[][] | null = null;
		let error: Error | undefined;
		let saved = false;
		const emit = (data: INodeExecutionData[][]) => {
			output = data;
			if (mode === 'trigger') saved = this.save();
		};
		const emitError = (e: Error) => {
			error = e;
		};
		const context = new PollContext(
			this.workflow,
			this.node,
			additionalData,
			mode,
			mode === 'manual' ? 'manual' : this.activation,
			emit,
			emitError,
		);
		const collector = logCapture.collect();
		try {
			const execute = Container.get(PollTriggerExecutor).create(this.workflow, this.node, context, () => true);
			await execute(mode === 'manual');
		} catch (e) {
			error = e as Error;
		} finally {
			collector.stop();
		}
		if (mode === 'trigger' && this.activationSavePending) {
			this.activationSavePending = false;
			saved = this.save() || saved;
		}
		const result = output as INodeExecutionData[][] | null;
		return {
			output: result,
			items: result ? result.flat() : null,
			error,
			staticData: this.staticData,
			memoryStaticData: this.memoryStaticData,
			saved,
			logs: collector.lines,
			logText: logCapture.text(collector.lines),
		};
	}
}

/** One poll of a freshly (re)started workflow whose persisted static data is `staticData`. */
export async function runPoll(options: PollOptions): Promise<PollResult> {
	return await new PollingWorkflow(options).poll(options.mode ?? 'trigger');
}
