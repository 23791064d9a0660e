/**
 * Credential and workflow JSON for the real-n8n tests and the demo, filled in from the emulator's info.
 * Credentials are imported with `data` in clear: `n8n import:credentials` encrypts object data with the
 * instance's key (n8n 2.41 ImportCredentialsCommand.readCredentials).
 */
import type { EmulatorInfo } from '../emulator/index';
import { PACKAGE_NAME } from './n8nServer';

export const ACTION_TYPE = `${PACKAGE_NAME}.scopedMailbox`;
export const TRIGGER_TYPE = `${PACKAGE_NAME}.scopedMailboxTrigger`;
export const INSTANT_TRIGGER_TYPE = `${PACKAGE_NAME}.scopedMailboxInstantTrigger`;

export const CREDENTIAL_TYPES = {
	appApi: 'scopedMailboxAppApi',
	managedIdentity: 'scopedMailboxManagedIdentityApi',
	refreshToken: 'scopedMailboxRefreshTokenApi',
	oAuth2: 'scopedMailboxOAuth2Api',
} as const;
export type Authentication = keyof typeof CREDENTIAL_TYPES;

export interface CredentialJson {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** The Custom cloud a sovereign-cloud user would set: here it points at the emulator. */
export function customCloud(info: EmulatorInfo) {
	return { cloud: 'custom', authorityHost: info.authorityHost, graphBaseUrl: info.graphBaseUrl };
}

export const CREDENTIAL_IDS = {
	managedIdentity: 'e2eCredMiSystem1',
	appSecret: 'e2eCredAppSecret',
	appCertificate: 'e2eCredAppCertif',
	refreshToken: 'e2eCredRefreshTk',
	oAuth2: 'e2eCredOAuth2Con',
} as const;

export function managedIdentityCredential(info: EmulatorInfo, name = 'Managed identity (App Service)'): CredentialJson {
	return {
		id: CREDENTIAL_IDS.managedIdentity,
		name,
		type: CREDENTIAL_TYPES.managedIdentity,
		// System-assigned: msal finds IDENTITY_ENDPOINT + IDENTITY_HEADER in n8n's environment (App Service).
		data: { ...customCloud(info), identityType: 'system' },
	};
}

export function appSecretCredential(info: EmulatorInfo, appKey = 'rbac'): CredentialJson {
	const app = info.scenario.apps[appKey];
	return {
		id: CREDENTIAL_IDS.appSecret,
		name: `${app.displayName} (secret)`,
		type: CREDENTIAL_TYPES.appApi,
		data: {
			...customCloud(info),
			tenantId: info.scenario.tenant.id,
			clientId: app.appId,
			authMethod: 'secret',
			clientSecret: app.secret,
		},
	};
}

export function appCertificateCredential(info: EmulatorInfo, appKey = 'rbac'): CredentialJson {
	const app = info.scenario.apps[appKey];
	const certificate = app.certificate;
	if (!certificate?.privateKeyPem) throw new Error(`scenario app ${appKey} has no certificate with a private key`);
	return {
		id: CREDENTIAL_IDS.appCertificate,
		name: `${app.displayName} (certificate)`,
		type: CREDENTIAL_TYPES.appApi,
		data: {
			...customCloud(info),
			tenantId: info.scenario.tenant.id,
			clientId: app.appId,
			authMethod: 'certificate',
			privateKey: certificate.privateKeyPem,
			certificate: certificate.certificatePem,
		},
	};
}

export const DELEGATED_PERMISSIONS = 'Mail.Send Mail.Send.Shared Mail.ReadWrite Mail.ReadWrite.Shared User.Read';

/** The scopes as the package asks for them: offline_access plus the permissions on the cloud's Graph. */
export function delegatedScopes(info: EmulatorInfo): string {
	return ['offline_access', ...DELEGATED_PERMISSIONS.split(' ').map((p) => `${info.graphBaseUrl}/${p}`)].join(' ');
}

export function refreshTokenCredential(
	info: EmulatorInfo,
	refreshToken: string,
	appKey = 'publicClient',
): CredentialJson {
	const app = info.scenario.apps[appKey];
	return {
		id: CREDENTIAL_IDS.refreshToken,
		name: `${app.displayName} (seeded refresh token)`,
		type: CREDENTIAL_TYPES.refreshToken,
		data: {
			...customCloud(info),
			tenantId: info.scenario.tenant.id,
			clientId: app.appId,
			clientAuth: 'none',
			scopes: `offline_access ${DELEGATED_PERMISSIONS}`,
			refreshToken,
		},
	};
}

/** Delegated OAuth2 before Connect: n8n's own flow fills oauthTokenData. */
export function oAuth2Credential(info: EmulatorInfo, appKey = 'webApp'): CredentialJson {
	const app = info.scenario.apps[appKey];
	return {
		id: CREDENTIAL_IDS.oAuth2,
		name: `${app.displayName} (OAuth2 Connect)`,
		type: CREDENTIAL_TYPES.oAuth2,
		data: {
			...customCloud(info),
			tenantId: info.scenario.tenant.id,
			clientId: app.appId,
			clientSecret: app.secret,
			permissions: DELEGATED_PERMISSIONS,
			selectAccount: false,
		},
	};
}

// ---------------------------------------------------------------------------------------------------------
// Workflows

export interface NodeJson {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	onError?: 'continueRegularOutput' | 'continueErrorOutput' | 'stopWorkflow';
}

export interface WorkflowJson {
	id: string;
	name: string;
	active: boolean;
	nodes: NodeJson[];
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }>;
	settings: Record<string, unknown>;
	pinData?: Record<string, unknown>;
}

let nodeCounter = 0;
const nodeId = () => `00000000-0000-4000-8000-${String(++nodeCounter).padStart(12, '0')}`;

export function credentialRef(credential: CredentialJson) {
	return { [credential.type]: { id: credential.id, name: credential.name } };
}

/** The nodes' `authentication` parameter names the credential type (docs/design.md). */
export function authenticationOf(credential: CredentialJson): string {
	if (!Object.values(CREDENTIAL_TYPES).includes(credential.type as (typeof CREDENTIAL_TYPES)[Authentication])) {
		throw new Error(`not a credential of this package: ${credential.type}`);
	}
	return credential.type;
}

/** An action node step: `operation` on `resource` with the credential, continuing on failure when asked. */
export function actionNode(
	name: string,
	credential: CredentialJson,
	resource: string,
	operation: string,
	parameters: Record<string, unknown>,
	options: { continueOnFail?: boolean } = {},
): NodeJson {
	return {
		id: nodeId(),
		name,
		type: ACTION_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { authentication: authenticationOf(credential), resource, operation, ...parameters },
		credentials: credentialRef(credential),
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
}

export const sendStep = (
	name: string,
	credential: CredentialJson,
	mailbox: string,
	to: string,
	subject: string,
	options: { continueOnFail?: boolean } = {},
) =>
	actionNode(
		name,
		credential,
		'message',
		'send',
		{
			mailbox,
			toRecipients: to,
			subject,
			bodyContentType: 'text',
			bodyContent: `${subject} (sent by n8n from ${mailbox})`,
		},
		options,
	);

export const listStep = (
	name: string,
	credential: CredentialJson,
	mailbox: string,
	limit = 10,
	options: { continueOnFail?: boolean } = {},
) =>
	actionNode(
		name,
		credential,
		'message',
		'list',
		{ mailbox, folder: { __rl: true, mode: 'id', value: 'inbox' }, returnAll: false, limit },
		options,
	);

export const testAccessStep = (
	name: string,
	credential: CredentialJson,
	mailbox: string,
	controlMailbox: string,
	expectedCapabilities: string[],
) => actionNode(name, credential, 'mailbox', 'testAccess', { mailbox, controlMailbox, expectedCapabilities });

/**
 * One manual workflow: a Manual Trigger fanned out to every step (each step independent; n8n runs the
 * branches one after the other). Every step continues on failure, so one failing step shows as an error item
 * instead of hiding the others.
 */
export function manualWorkflow(id: string, name: string, steps: NodeJson[]): WorkflowJson {
	for (const step of steps) step.onError ??= 'continueRegularOutput';
	const trigger: NodeJson = {
		id: nodeId(),
		name: 'Start',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	steps.forEach((step, index) => {
		step.position = [300, index * 160];
	});
	return {
		id,
		name,
		active: false,
		nodes: [trigger, ...steps],
		connections: { Start: { main: [steps.map((step) => ({ node: step.name, type: 'main' as const, index: 0 }))] } },
		settings: {
			executionOrder: 'v1',
			saveManualExecutions: true,
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
		},
	};
}

/** A workflow started by the trigger on one mailbox folder, with a No-Op after it so the run shows the message. */
export function triggerWorkflow(
	id: string,
	name: string,
	credential: CredentialJson,
	mailbox: string,
	parameters: Record<string, unknown> = {},
): WorkflowJson {
	const trigger: NodeJson = {
		id: nodeId(),
		name: 'New Mail',
		type: TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {
			authentication: authenticationOf(credential),
			mailbox,
			pollTimes: { item: [{ mode: 'everyMinute' }] },
			...parameters,
		},
		credentials: credentialRef(credential),
	};
	const noOp: NodeJson = {
		id: nodeId(),
		name: 'Received',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [300, 0],
		parameters: {},
	};
	return {
		id,
		name,
		active: false,
		nodes: [trigger, noOp],
		connections: { 'New Mail': { main: [[{ node: 'Received', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all', saveDataErrorExecution: 'all' },
	};
}

/** The same workflow started by the instant trigger: no poll times; a webhookId gives its webhook paths. */
export function instantTriggerWorkflow(
	id: string,
	name: string,
	credential: CredentialJson,
	mailbox: string,
	webhookId: string,
	parameters: Record<string, unknown> = {},
): WorkflowJson {
	const workflow = triggerWorkflow(id, name, credential, mailbox, parameters);
	const trigger = workflow.nodes[0];
	trigger.type = INSTANT_TRIGGER_TYPE;
	delete trigger.parameters.pollTimes;
	(trigger as NodeJson & { webhookId?: string }).webhookId = webhookId;
	return workflow;
}

/**
 * Routes a step's failures to a named No-Op on its error output, so a denial that is the point of a step
 * shows on the canvas as its own green branch (and the step's normal output stays empty) instead of hiding
 * in a run that looks all green.
 */
export function withErrorBranch(workflow: WorkflowJson, stepName: string, branchName: string): WorkflowJson {
	const step = workflow.nodes.find((node) => node.name === stepName);
	if (!step) throw new Error(`no step named ${stepName}`);
	step.onError = 'continueErrorOutput';
	workflow.nodes.push({
		id: nodeId(),
		name: branchName,
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [step.position[0] + 320, step.position[1] + 60],
		parameters: {},
	});
	workflow.connections[stepName] = { main: [[], [{ node: branchName, type: 'main', index: 0 }]] };
	return workflow;
}

export const DEMO_WORKFLOW_IDS = { scenario: 'demoLogicAppFlow', trigger: 'demoLogicAppTrig' } as const;

export const DEMO_STEPS = {
	send: 'Send from the shared mailbox',
	denied: 'Send from another mailbox (must be denied)',
	deniedBranch: 'Denied as expected',
	list: 'List the shared mailbox',
	testAccess: 'Test Access',
} as const;

/** The demo's two workflows (Logic App scenario and trigger), as `npm run demo` and the browser test import them. */
export function demoWorkflows(info: EmulatorInfo, credential: CredentialJson) {
	const mailbox = (key: string) => info.scenario.mailboxes[key].upn;
	const shared = mailbox('notifications');
	const other = mailbox('finance');
	const scenario = withErrorBranch(
		manualWorkflow(DEMO_WORKFLOW_IDS.scenario, 'Logic App scenario: managed identity scoped to a shared mailbox', [
			sendStep(DEMO_STEPS.send, credential, shared, mailbox('adele'), 'Order 1042 shipped'),
			sendStep(DEMO_STEPS.denied, credential, other, mailbox('adele'), 'This must not be sent'),
			listStep(DEMO_STEPS.list, credential, shared, 5),
			testAccessStep(DEMO_STEPS.testAccess, credential, shared, other, ['readMetadata', 'readContent']),
		]),
		DEMO_STEPS.denied,
		DEMO_STEPS.deniedBranch,
	);
	const trigger = triggerWorkflow(
		DEMO_WORKFLOW_IDS.trigger,
		'Logic App scenario: new mail in the shared mailbox',
		credential,
		shared,
	);
	return { scenario, trigger, shared, other };
}

/** A workflow the browser test opens to pick a message: Start → Get (message picker still empty). */
export function messagePickerWorkflow(id: string, credential: CredentialJson, mailbox: string): WorkflowJson {
	const get = actionNode('Get a message', credential, 'message', 'get', {
		mailbox,
		messageId: { __rl: true, mode: 'list', value: '' },
	});
	return manualWorkflow(id, 'Editor check: pick a message', [get]);
}
