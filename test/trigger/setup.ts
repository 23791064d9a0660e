/** Emulator + credential store + trigger workflow for the trigger tests. */
import type { INodeParameters } from 'n8n-workflow';

import { ScopedMailboxAppApi } from '../../credentials/ScopedMailboxAppApi.credentials';
import { ScopedMailboxTrigger } from '../../nodes/ScopedMailbox/ScopedMailboxTrigger.node';
import { startEmulator, type EmulatorHandle } from '../emulator/index';
import { CredentialStore, PollingWorkflow, type PollResult } from '../harness';

export const MAILBOX = 'support@contoso.onmicrosoft.com';
export const CREDENTIALS = { scopedMailboxAppApi: { id: 'cred-app', name: 'Scoped Mailbox App' } };

export interface TriggerEnv {
	emu: EmulatorHandle;
	store: CredentialStore;
	close(): Promise<void>;
}

export async function startTriggerEnv(latencyMs = 0): Promise<TriggerEnv> {
	const emu = await startEmulator({ scenario: 'rbac', latencyMs });
	const app = emu.info.scenario.apps.rbac;
	const store = new CredentialStore();
	store.add(
		{
			id: CREDENTIALS.scopedMailboxAppApi.id,
			name: CREDENTIALS.scopedMailboxAppApi.name,
			type: 'scopedMailboxAppApi',
			data: {
				cloud: 'custom',
				authorityHost: emu.info.authorityHost,
				graphBaseUrl: emu.info.graphBaseUrl,
				tenantId: emu.info.scenario.tenant.id,
				clientId: app.appId,
				authMethod: 'secret',
				clientSecret: app.secrets[0].value,
				accessToken: '',
			},
		},
		new ScopedMailboxAppApi(),
	);
	return { emu, store, close: async () => await emu.close() };
}

export function triggerParameters(overrides: INodeParameters = {}, folders: string[] = ['inbox']): INodeParameters {
	return {
		authentication: 'scopedMailboxAppApi',
		mailbox: MAILBOX,
		folders: { folder: folders.map((value) => ({ folder: { __rl: true, mode: 'id', value } })) },
		output: 'simple',
		filters: {},
		postAction: 'none',
		options: {},
		...overrides,
	};
}

export function newWorkflow(env: TriggerEnv, parameters: INodeParameters, staticData?: PollResult['staticData']) {
	return new PollingWorkflow({
		nodeType: new ScopedMailboxTrigger(),
		parameters,
		credentials: CREDENTIALS,
		store: env.store,
		staticData,
	});
}

/** Delivers mail; returns the messages' immutable ids (the ids the package sees: it asks for immutable ids). */
export async function deliver(env: TriggerEnv, body: Record<string, unknown> = {}): Promise<string[]> {
	const { ImmutableIds } = await env.emu.admin<{ ImmutableIds: string[] }>('Deliver-Message', { To: MAILBOX, ...body });
	return ImmutableIds;
}

export function idsOf(result: PollResult): string[] {
	return (result.items ?? []).map((i) => String(i.json.id));
}

/** Polls until a poll returns nothing (or `max` polls), failing on errors; returns every emitted id. */
export async function pollUntilQuiet(wf: PollingWorkflow, max = 50): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < max; i++) {
		const r = await wf.poll();
		if (r.error) throw r.error;
		if (!r.items) return ids;
		ids.push(...idsOf(r));
	}
	return ids;
}

/** A direct Graph call as the scenario's app (another client of the mailbox, e.g. Outlook, acting on it). */
export async function graphFetch(env: TriggerEnv, method: string, path: string, body?: unknown): Promise<Response> {
	const app = env.emu.info.scenario.apps.rbac;
	const tokenResponse = await fetch(
		`${env.emu.info.authorityHost}/${env.emu.info.scenario.tenant.id}/oauth2/v2.0/token`,
		{
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: app.appId,
				client_secret: app.secrets[0].value,
				scope: `${env.emu.info.graphBaseUrl}/.default`,
			}),
		},
	);
	const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
	return await fetch(`${env.emu.info.graphBaseUrl}/v1.0${path}`, {
		method,
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

/** A new top-level folder (created through Deliver-Message, emptied again); returns its id. */
export async function newFolder(env: TriggerEnv, name: string, existing = 0): Promise<string> {
	const [seed] = await deliver(env, { Folder: name });
	if (existing) await deliver(env, { Folder: name, Count: existing });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: seed, Folder: 'deleteditems' });
	const folders = await env.emu.admin<Array<{ Id: string; DisplayName: string }>>('Get-MailboxFolders', {
		Mailbox: MAILBOX,
	});
	return folders.find((f) => f.DisplayName === name)!.Id;
}
