/**
 * What node tests share: the emulator (scenario 'all': the Logic App managed identities restricted to the
 * notifications mailbox, the unscoped app, the RBAC app scoped to support) and n8n credentials for them.
 */
import { CredentialStore, runNode, type NodeRun } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { ScopedMailboxAppApi } from '../../credentials/ScopedMailboxAppApi.credentials';
import { ScopedMailboxManagedIdentityApi } from '../../credentials/ScopedMailboxManagedIdentityApi.credentials';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

export const NOTIFICATIONS = 'notifications@contoso.onmicrosoft.com';
export const FINANCE = 'finance@contoso.onmicrosoft.com';
export const SUPPORT = 'support@contoso.onmicrosoft.com';
export const ADELE = 'adele@contoso.onmicrosoft.com';
export const EXTERNAL = 'someone@fabrikam.example';

export type Identity = 'mi' | 'unscoped' | 'rbac' | 'rbacCert';

const CREDENTIAL: Record<Identity, { authentication: string; type: string; id: string }> = {
	mi: { authentication: 'scopedMailboxManagedIdentityApi', type: 'scopedMailboxManagedIdentityApi', id: 'mi' },
	unscoped: { authentication: 'scopedMailboxAppApi', type: 'scopedMailboxAppApi', id: 'unscoped' },
	rbac: { authentication: 'scopedMailboxAppApi', type: 'scopedMailboxAppApi', id: 'rbac' },
	rbacCert: { authentication: 'scopedMailboxAppApi', type: 'scopedMailboxAppApi', id: 'rbacCert' },
};

export interface World {
	emu: EmulatorHandle;
	store: CredentialStore;
	/** Every credential secret of the scenario, for "never in an output" checks. */
	secrets: string[];
	run(identity: Identity, parameters: INodeParameters, options?: RunOptions): Promise<NodeRun>;
	close(): Promise<void>;
}

export interface RunOptions {
	items?: INodeExecutionData[] | IDataObject[];
	continueOnFail?: boolean;
}

export async function startWorld(options: { latencyMs?: number } = {}): Promise<World> {
	const emu = await startEmulator({ scenario: 'all', latencyMs: options.latencyMs });
	const { info } = emu;
	// msal-node's managed-identity source is process-wide and read from the environment, as on an Azure VM.
	process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = info.imdsEndpoint;
	const custom = { cloud: 'custom', authorityHost: info.authorityHost, graphBaseUrl: info.graphBaseUrl };
	const apps = info.scenario.apps;
	const store = new CredentialStore().addType(new ScopedMailboxAppApi()).addType(new ScopedMailboxManagedIdentityApi());
	store.add({
		id: 'unscoped',
		name: 'Unscoped app',
		type: 'scopedMailboxAppApi',
		data: {
			...custom,
			tenantId: info.scenario.tenant.id,
			clientId: apps.unscoped.appId,
			authMethod: 'secret',
			clientSecret: apps.unscoped.secret!,
		},
	});
	store.add({
		id: 'rbac',
		name: 'RBAC app',
		type: 'scopedMailboxAppApi',
		data: {
			...custom,
			tenantId: info.scenario.tenant.id,
			clientId: apps.rbac.appId,
			authMethod: 'secret',
			clientSecret: apps.rbac.secret!,
		},
	});
	store.add({
		id: 'rbacCert',
		name: 'RBAC app (certificate)',
		type: 'scopedMailboxAppApi',
		data: {
			...custom,
			tenantId: info.scenario.tenant.id,
			clientId: apps.rbac.appId,
			authMethod: 'certificate',
			privateKey: apps.rbac.certificate!.privateKeyPem!,
			certificate: apps.rbac.certificate!.certificatePem,
			thumbprintAlgorithm: 'sha256',
		},
	});
	store.add({
		id: 'mi',
		name: 'Managed identity',
		type: 'scopedMailboxManagedIdentityApi',
		data: { ...custom, identityType: 'system' },
	});
	const secrets = Object.values(apps).flatMap((a) => [
		...a.secrets.map((s) => s.value),
		...a.certificates.map((c) => c.privateKeyPem ?? '').filter(Boolean),
	]);
	const nodeType = new ScopedMailbox();
	return {
		emu,
		store,
		secrets,
		async run(identity, parameters, runOptions = {}) {
			const credential = CREDENTIAL[identity];
			return await runNode({
				nodeType,
				parameters: { authentication: credential.authentication, ...parameters },
				credentials: { [credential.type]: { id: credential.id, name: credential.id } },
				store,
				items: runOptions.items,
				continueOnFail: runOptions.continueOnFail,
			});
		},
		async close() {
			await emu.close();
		},
	};
}

/** Access tokens and secrets must never reach outputs, errors or logs. */
export function assertNoSecrets(world: World, run: NodeRun) {
	const tokens = ['unscoped', 'rbac', 'rbacCert', 'mi']
		.map((id) => world.store.data(id).accessToken)
		.filter((t): t is string => typeof t === 'string' && t.length > 0);
	const text =
		JSON.stringify({ items: run.items, outputs: run.outputs, error: serialiseError(run.error) }) + run.logText;
	for (const secret of [...world.secrets, ...tokens]) expect(text.includes(secret)).toBe(false);
	expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./);
}

export function serialiseError(error: unknown): unknown {
	if (!error) return undefined;
	const e = error as Error & { description?: unknown; context?: unknown; cause?: unknown };
	return {
		message: e.message,
		description: e.description,
		context: e.context,
		stack: e.stack,
		cause: String(e.cause ?? ''),
	};
}

export interface LoggedRequest {
	seq: number;
	method: string;
	path: string;
	query: string;
	status: number;
	kind: string;
	appId?: string;
	mailbox?: string;
	bytesIn: number;
}

export async function graphLog(world: World): Promise<LoggedRequest[]> {
	const log = await world.emu.admin<LoggedRequest[]>('Get-RequestLog');
	return log.filter((r) => r.kind === 'graph' || r.kind === 'upload');
}
