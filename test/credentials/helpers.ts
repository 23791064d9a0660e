/**
 * Shared by the credential tests: the emulator, the harness store with our four credential types, the action
 * node reading a mailbox's Inbox with one of them, and leak searches.
 */
import type { ICredentialDataDecryptedObject, ICredentialType, IHttpRequestHelper } from 'n8n-workflow';
import { ScopedMailboxAppApi } from '../../credentials/ScopedMailboxAppApi.credentials';
import { ScopedMailboxManagedIdentityApi } from '../../credentials/ScopedMailboxManagedIdentityApi.credentials';
import { ScopedMailboxOAuth2Api } from '../../credentials/ScopedMailboxOAuth2Api.credentials';
import { ScopedMailboxRefreshTokenApi } from '../../credentials/ScopedMailboxRefreshTokenApi.credentials';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import { CredentialStore, runNode, type NodeRun } from '../harness';
import type { EmulatorHandle } from '../emulator';

export const credentialTypes: Record<string, ICredentialType> = {
	scopedMailboxAppApi: new ScopedMailboxAppApi(),
	scopedMailboxManagedIdentityApi: new ScopedMailboxManagedIdentityApi(),
	scopedMailboxRefreshTokenApi: new ScopedMailboxRefreshTokenApi(),
	scopedMailboxOAuth2Api: new ScopedMailboxOAuth2Api(),
};

/**
 * Errors our preAuthentication threw into n8n-core, as thrown (before n8n wraps and stores them): the leak
 * searches look at every field of these too.
 */
export const thrownByPreAuthentication: unknown[] = [];

export function newStore(): CredentialStore {
	const store = new CredentialStore();
	for (const type of Object.values(credentialTypes)) {
		const preAuthentication = type.preAuthentication;
		if (!preAuthentication) {
			store.addType(type);
			continue;
		}
		store.addType({
			...type,
			async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
				try {
					return await preAuthentication.call(this, credentials);
				} catch (error) {
					thrownByPreAuthentication.push(error);
					throw error;
				}
			},
		});
	}
	return store;
}

/** Custom-cloud fields pointing at the emulator, as a sovereign-cloud user would fill them in. */
export function customCloud(emu: EmulatorHandle) {
	return { cloud: 'custom', authorityHost: emu.info.authorityHost, graphBaseUrl: emu.info.graphBaseUrl };
}

const actionNode = new ScopedMailbox();

/**
 * The action node itself, Message → Get Many, one message of the Inbox per input item: per item one Graph
 * GET /v1.0/users/{mailbox}/mailFolders/inbox/messages with the credential named by `authentication`, sent
 * through the node's transport (n8n's `httpRequestWithAuthentication`, so preAuthentication and the 401 →
 * re-authentication path are n8n's own). Raw output, so a test can see the message came from the Inbox.
 */
export async function readInbox(
	store: CredentialStore,
	credentialType: string,
	credentialId: string,
	mailbox: string,
	options: { items?: number; continueOnFail?: boolean } = {},
): Promise<NodeRun> {
	return await runNode({
		nodeType: actionNode,
		parameters: {
			authentication: credentialType,
			resource: 'message',
			operation: 'list',
			mailbox,
			folder: { __rl: true, mode: 'id', value: 'inbox' },
			returnAll: false,
			limit: 1,
			output: 'raw',
		},
		credentials: { [credentialType]: { id: credentialId, name: credentialId } },
		items: Array.from({ length: options.items ?? 1 }, (_, n) => ({ n })),
		continueOnFail: options.continueOnFail,
		store,
	});
}

/** The id of a mailbox's Inbox in the emulator, to hold readInbox's messages against. */
export async function inboxId(emu: EmulatorHandle, mailbox: string): Promise<string> {
	const folders = await emu.admin<Array<{ Id: string; WellKnownName?: string; DisplayName: string }>>(
		'Get-MailboxFolders',
		{ Mailbox: mailbox },
	);
	const inbox = folders.find((f) => f.WellKnownName === 'inbox');
	if (!inbox) throw new Error(`no inbox in ${mailbox}: ${JSON.stringify(folders)}`);
	return inbox.Id;
}

export interface LogEntry {
	seq: number;
	method: string;
	path: string;
	status: number;
	kind: string;
	appId?: string;
	grantType?: string;
}

export async function requestLog(emu: EmulatorHandle): Promise<LogEntry[]> {
	return await emu.admin<LogEntry[]>('Get-RequestLog', {});
}

export async function counts(emu: EmulatorHandle) {
	const log = await requestLog(emu);
	return {
		token: log.filter((e) => e.kind === 'token').length,
		mi: log.filter((e) => e.kind === 'mi').length,
		graph: log.filter((e) => e.kind === 'graph').length,
		graph401: log.filter((e) => e.kind === 'graph' && e.status === 401).length,
		discovery: log.filter((e) => /well-known|discovery/.test(e.path)).length,
	};
}

/** Every string form a thrown error can reach the user or a log in. */
export function everythingAbout(value: unknown): string {
	const seen = new WeakSet<object>();
	const parts: string[] = [];
	const visit = (v: unknown, depth: number) => {
		if (depth > 8 || v === null || v === undefined) return;
		if (typeof v === 'string') {
			parts.push(v);
			return;
		}
		if (typeof v !== 'object' && typeof v !== 'function') {
			parts.push(String(v));
			return;
		}
		if (seen.has(v as object)) return;
		seen.add(v as object);
		if (v instanceof Error) {
			parts.push(v.message, v.stack ?? '', String(v));
			visit((v as { cause?: unknown }).cause, depth + 1);
		}
		for (const key of Object.getOwnPropertyNames(v)) {
			let inner: unknown;
			try {
				inner = (v as Record<string, unknown>)[key];
			} catch {
				continue;
			}
			visit(inner, depth + 1);
		}
	};
	visit(value, 0);
	try {
		parts.push(JSON.stringify(value));
	} catch {
		// cycles: covered by the walk
	}
	return parts.join('\n');
}

export function expectNoSecrets(haystack: string, secrets: string[]) {
	for (const secret of secrets) {
		if (!secret) continue;
		const found = haystack.includes(secret);
		if (found) {
			const at = haystack.indexOf(secret);
			const context = haystack
				.slice(Math.max(0, at - 200), at + secret.length + 50)
				.split(secret)
				.join('<SECRET>');
			throw new Error(`secret leaked (${secret.length} chars) in: ${context}`);
		}
	}
}
