/**
 * Builds what n8n's server hands to n8n-core for one execution: node types, a Workflow, additionalData with
 * lifecycle hooks and our credentials helper.
 */
import './environment';
import { randomUUID } from 'node:crypto';
import { ExecutionLifecycleHooks } from 'n8n-core';
import {
	NodeHelpers,
	Workflow,
	type IConnections,
	type IDataObject,
	type INode,
	type INodeCredentials,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { HarnessCredentialsHelper, type CredentialStore } from './credentials';

export const HARNESS_WORKFLOW_ID = 'harnessWorkflow1';
export const PACKAGE_PREFIX = 'n8n-nodes-scoped-mailbox';
export const START_NODE_NAME = 'Start';
const START_NODE_TYPE = 'n8n-nodes-base.manualTrigger';

/** Stands in for the upstream node whose output feeds the node under test; its run data is prefilled. */
const startNodeType: INodeType = {
	description: {
		displayName: 'Start',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Harness input',
		defaults: { name: START_NODE_NAME },
		inputs: [],
		outputs: ['main' as never],
		properties: [],
	},
	async execute() {
		return [this.getInputData()];
	},
};

export type AnyNodeType = INodeType | IVersionedNodeType;

export class HarnessNodeTypes implements INodeTypes {
	private readonly types = new Map<string, AnyNodeType>([[START_NODE_TYPE, startNodeType]]);

	register(name: string, type: AnyNodeType) {
		this.types.set(name, type);
	}

	getByName(name: string): AnyNodeType {
		const type = this.types.get(name);
		if (!type) throw new Error(`Unknown node type "${name}"`);
		return type;
	}

	getByNameAndVersion(name: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(name), version);
	}

	getKnownTypes() {
		return {};
	}
}

export function typeNameOf(nodeType: AnyNodeType): string {
	return `${PACKAGE_PREFIX}.${nodeType.description.name}`;
}

export function defaultVersionOf(nodeType: AnyNodeType): number {
	if ('nodeVersions' in nodeType) return nodeType.currentVersion;
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

export interface NodeUnderTest {
	nodeType: AnyNodeType;
	parameters: INodeParameters;
	credentials?: INodeCredentials;
	typeVersion?: number;
	name?: string;
	continueOnFail?: boolean;
	onError?: INode['onError'];
}

export function buildNode(spec: NodeUnderTest): INode {
	const displayName = spec.nodeType.description.displayName;
	return {
		id: randomUUID(),
		name: spec.name ?? (typeof displayName === 'string' ? displayName : 'Node'),
		type: typeNameOf(spec.nodeType),
		typeVersion: spec.typeVersion ?? defaultVersionOf(spec.nodeType),
		position: [200, 0],
		parameters: spec.parameters,
		credentials: spec.credentials,
		...(spec.onError ? { onError: spec.onError } : spec.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
	};
}

/**
 * Node parameters as n8n saves them: the editor stores only non-default values and n8n-core reads defaults
 * from the description, so tests pass the parameters a user would set and n8n fills in the rest.
 */
export function startNode(): INode {
	return {
		id: randomUUID(),
		name: START_NODE_NAME,
		type: START_NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
}

export function buildWorkflow(
	nodes: INode[],
	nodeTypes: INodeTypes,
	staticData?: IDataObject,
	withStart = true,
): Workflow {
	const connections: IConnections = withStart
		? { [START_NODE_NAME]: { main: [[{ node: nodes[nodes.length - 1].name, type: 'main' as const, index: 0 }]] } }
		: {};
	return new Workflow({
		id: HARNESS_WORKFLOW_ID,
		name: 'Harness workflow',
		nodes,
		connections,
		active: false,
		nodeTypes,
		staticData,
		settings: { executionOrder: 'v1' },
	});
}

export function workflowBase(workflow: Workflow): IWorkflowBase {
	const now = new Date();
	return {
		id: workflow.id,
		name: workflow.name ?? 'Harness workflow',
		active: false,
		isArchived: false,
		createdAt: now,
		updatedAt: now,
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		activeVersionId: null,
	} as IWorkflowBase;
}

const notAvailable = async () => {
	throw new Error('Not available in the test harness');
};

export function buildAdditionalData(
	store: CredentialStore,
	workflow: Workflow,
	mode: WorkflowExecuteMode,
	executionId: string,
): IWorkflowExecuteAdditionalData {
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowBase(workflow));
	const base = 'http://localhost:5678';
	const additionalData = {
		credentialsHelper: new HarnessCredentialsHelper(store),
		hooks,
		executionId,
		workflowId: workflow.id,
		currentNodeExecutionIndex: 0,
		executeWorkflow: notAvailable,
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		restApiUrl: `${base}/rest`,
		instanceBaseUrl: base,
		formBaseUrl: `${base}/form`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		formTestBaseUrl: `${base}/form-test`,
		webhookBaseUrl: `${base}/webhook`,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		webhookTestBaseUrl: `${base}/webhook-test`,
		mcpBaseUrl: `${base}/mcp`,
		mcpTestBaseUrl: `${base}/mcp-test`,
		variables: {},
		logAiEvent: () => {},
		startRunnerTask: notAvailable,
	};
	return additionalData as unknown as IWorkflowExecuteAdditionalData;
}

export function asItems(items: INodeExecutionData[] | IDataObject[] | undefined): INodeExecutionData[] {
	if (!items) return [{ json: {} }];
	return items.map((item) =>
		item && typeof item === 'object' && 'json' in item && typeof item.json === 'object'
			? (item as INodeExecutionData)
			: { json: item as IDataObject },
	);
}
