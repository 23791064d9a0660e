/**
 * Scenario files (test/emulator/scenarios/*.json) describe one tenant; the loader turns them into EmulatorState.
 * The format is documented in test/emulator/README.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type {
	AppCertificate,
	AppRegistration,
	EmulatorState,
	Mailbox,
	MailboxStore,
	ManagedIdentity,
	MailFolder,
	RecipientType,
	Settings,
} from './state';
import { generateAppCertificate, registeredCertificate } from './certificates';
import { newGuid, opaqueId } from './ids';

export interface ScenarioMailbox {
	key: string;
	id: string;
	upn: string;
	displayName: string;
	type?: RecipientType; // default UserMailbox
	alias?: string;
	password?: string;
	department?: string;
	customAttribute1?: string;
	/** Extra folders: parent is a well-known name or another folder's displayName (default: top level). */
	folders?: { displayName: string; parent?: string }[];
	/** Seed messages through the graph module's seedMessages hook. */
	seed?: { folder: string; count: number }[];
}

export interface ScenarioApp {
	key: string;
	appId: string;
	servicePrincipalId: string;
	displayName: string;
	secrets?: { id?: string; value: string; expiresInDays?: number }[];
	certificates?: ({ generate: true; validDays?: number } | { certificatePem: string })[];
	applicationPermissions?: string[];
	delegatedPermissions?: string[];
	publicClient?: boolean;
	redirectUris?: string[];
}

export interface ScenarioManagedIdentity {
	key: string;
	kind: 'system' | 'user';
	clientId: string;
	objectId: string;
	resourceId: string;
	displayName: string;
	applicationPermissions?: string[];
}

export interface ScenarioGroup {
	key: string;
	id: string;
	displayName: string;
	primarySmtpAddress: string;
	mailEnabledSecurity?: boolean; // default true
	members: string[]; // mailbox keys, ids or UPNs
}

export interface Scenario {
	name: string;
	description?: string;
	/** Other scenarios (names or paths) merged in first; entries with the same key are merged, later fields win. */
	include?: string[];
	tenant?: { id: string; domain: string; displayName: string };
	/** The user the /authorize page signs in as (key, id or UPN). Default: the first mailbox with a password. */
	interactiveUser?: string;
	settings?: Partial<Settings>;
	mailboxes?: ScenarioMailbox[];
	groups?: ScenarioGroup[];
	apps?: ScenarioApp[];
	managedIdentities?: ScenarioManagedIdentity[];
	exchange?: {
		applicationAccessPolicies?: {
			appId: string;
			policyScopeGroupId: string;
			accessRight: 'RestrictAccess' | 'DenyAccess';
			description?: string;
		}[];
		servicePrincipals?: { appId: string; objectId?: string; displayName?: string }[];
		managementScopes?: { name: string; recipientRestrictionFilter: string }[];
		roleAssignments?: { name?: string; app: string; role: string; customResourceScope?: string }[];
		mailboxPermissions?: {
			mailbox: string;
			user: string;
			accessRights: ('FullAccess' | 'SendAs' | 'SendOnBehalf')[];
		}[];
	};
}

export interface LoadedCertificate {
	id: string;
	thumbprintSha1: string;
	thumbprintSha256: string;
	certificatePem: string;
	privateKeyPem?: string;
	certificatePath?: string;
	privateKeyPath?: string;
	notAfter: string;
}

export interface LoadedApp {
	key: string;
	appId: string;
	servicePrincipalId: string;
	displayName: string;
	/** The first secret's value (convenience). */
	secret?: string;
	secrets: { id: string; value: string; expiresAt: string }[];
	/** The first certificate (convenience). */
	certificate?: LoadedCertificate;
	certificates: LoadedCertificate[];
	applicationPermissions: string[];
	delegatedPermissions: string[];
	publicClient: boolean;
	redirectUris: string[];
}

export interface LoadedScenario {
	name: string;
	description?: string;
	tenant: { id: string; domain: string; displayName: string };
	interactiveUser?: string; // UPN
	apps: Record<string, LoadedApp>;
	managedIdentities: Record<string, ManagedIdentity & { key: string }>;
	mailboxes: Record<
		string,
		{ key: string; id: string; upn: string; displayName: string; type: RecipientType; password?: string }
	>;
	groups: Record<
		string,
		{ key: string; id: string; displayName: string; primarySmtpAddress: string; memberIds: string[] }
	>;
	exchange: NonNullable<Scenario['exchange']>;
	/** Directory the generated certificate files were written to (removed on close). */
	certificateDir?: string;
}

export const SCENARIO_DIR = resolve(__dirname, '..', 'scenarios');

export const DEFAULT_SETTINGS: Settings = {
	latencyMs: 0,
	tokenLatencyMs: 0,
	mailboxConcurrency: 4,
	rateLimitPer10Min: 10_000,
	policyPropagationSeconds: 0,
	accessTokenLifetimeSeconds: 3600,
	refreshTokenLifetimeSeconds: 90 * 24 * 3600,
	deviceCodeLifetimeSeconds: 900,
	pageSizeDefault: 10,
	pageSizeMax: 1000,
	deltaPageSizeDefault: 10,
	deviceCodeIntervalSeconds: 5,
	authorizationCodeLifetimeSeconds: 600,
	refreshTokenMaxAgeSeconds: 0,
	messageRatePerMinute: 30,
	recipientRatePerDay: 10_000,
	sentItemsDelaySeconds: 0,
};

export function readScenario(nameOrPath: string): Scenario {
	const byName = join(SCENARIO_DIR, `${nameOrPath}.json`);
	const file = existsSync(byName) ? byName : isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
	if (!existsSync(file)) throw new Error(`Scenario '${nameOrPath}' not found (no ${byName}, no ${file})`);
	return JSON.parse(readFileSync(file, 'utf8')) as Scenario;
}

function mergeByKey<T extends { key: string }>(a: T[] = [], b: T[] = []): T[] {
	const out = new Map<string, T>();
	for (const item of [...a, ...b]) out.set(item.key, { ...(out.get(item.key) ?? {}), ...item } as T);
	return [...out.values()];
}

function uniqueJson<T>(items: T[]): T[] {
	const seen = new Set<string>();
	return items.filter((i) => {
		const k = JSON.stringify(i);
		if (seen.has(k)) return false;
		seen.add(k);
		return true;
	});
}

/** Flattens `include`: included scenarios first, then this one's own entries on top. */
export function resolveScenario(scenario: Scenario, depth = 0): Scenario {
	if (!scenario.include?.length) return scenario;
	if (depth > 5) throw new Error('Scenario includes nest too deep');
	let merged: Scenario = { name: scenario.name };
	for (const part of [
		...scenario.include.map((n) => resolveScenario(readScenario(n), depth + 1)),
		{ ...scenario, include: undefined },
	]) {
		const ex = merged.exchange ?? {};
		const px = part.exchange ?? {};
		merged = {
			name: scenario.name,
			description: scenario.description ?? part.description,
			tenant: part.tenant ?? merged.tenant,
			interactiveUser: part.interactiveUser ?? merged.interactiveUser,
			settings: { ...merged.settings, ...part.settings },
			mailboxes: mergeByKey(merged.mailboxes, part.mailboxes),
			groups: mergeByKey(merged.groups, part.groups),
			apps: mergeByKey(merged.apps, part.apps),
			managedIdentities: mergeByKey(merged.managedIdentities, part.managedIdentities),
			exchange: {
				applicationAccessPolicies: uniqueJson([
					...(ex.applicationAccessPolicies ?? []),
					...(px.applicationAccessPolicies ?? []),
				]),
				servicePrincipals: uniqueJson([...(ex.servicePrincipals ?? []), ...(px.servicePrincipals ?? [])]),
				managementScopes: uniqueJson([...(ex.managementScopes ?? []), ...(px.managementScopes ?? [])]),
				roleAssignments: uniqueJson([...(ex.roleAssignments ?? []), ...(px.roleAssignments ?? [])]),
				mailboxPermissions: uniqueJson([...(ex.mailboxPermissions ?? []), ...(px.mailboxPermissions ?? [])]),
			},
		};
	}
	return merged;
}

const WELL_KNOWN_FOLDERS: [string, string][] = [
	['inbox', 'Inbox'],
	['sentitems', 'Sent Items'],
	['drafts', 'Drafts'],
	['deleteditems', 'Deleted Items'],
	['junkemail', 'Junk Email'],
	['archive', 'Archive'],
	['outbox', 'Outbox'],
];

/**
 * An empty store: the root folder (wellKnownName 'msgfolderroot', no parent) and the well-known folders under it.
 * Top-level folders (what GET /mailFolders lists) are the ones whose parentFolderId is the root's id.
 */
export function createStore(mailboxId: string): MailboxStore {
	const root: MailFolder = {
		id: opaqueId('AAMkAGRv'),
		displayName: 'Top of Information Store',
		wellKnownName: 'msgfolderroot',
	};
	const folders: MailFolder[] = [root];
	for (const [wellKnownName, displayName] of WELL_KNOWN_FOLDERS) {
		folders.push({ id: opaqueId('AAMkAGRv'), displayName, wellKnownName, parentFolderId: root.id });
	}
	return { mailboxId, folders, messages: new Map(), tombstones: [], version: 0 };
}

export function findFolder(store: MailboxStore, name: string): MailFolder | undefined {
	const n = name.toLowerCase();
	return (
		store.folders.find((f) => f.wellKnownName === n) ??
		store.folders.find((f) => f.id === name) ??
		store.folders.find((f) => f.displayName.toLowerCase() === n)
	);
}

export interface LoadContext {
	now: number;
	certificateDir: () => string;
}

/** Builds the state from a resolved scenario. Seeding is left to the caller (it needs the graph module's hook). */
export function loadScenario(
	input: Scenario,
	lc: LoadContext,
): { state: EmulatorState; loaded: LoadedScenario; seeds: { mailboxId: string; folder: string; count: number }[] } {
	const s = resolveScenario(input);
	const tenant = s.tenant ?? { id: newGuid(), domain: 'contoso.onmicrosoft.com', displayName: 'Contoso' };
	const mailboxes: Mailbox[] = (s.mailboxes ?? []).map((m) => ({
		id: m.id,
		upn: m.upn,
		displayName: m.displayName,
		recipientType: m.type ?? 'UserMailbox',
		alias: m.alias ?? m.upn.split('@')[0],
		department: m.department,
		customAttribute1: m.customAttribute1,
		password: m.password,
	}));
	const mailboxRef = (ref: string): Mailbox => {
		const r = ref.toLowerCase();
		const key = s.mailboxes?.find((m) => m.key.toLowerCase() === r);
		const found = mailboxes.find((m) => m.id === (key?.id ?? ref) || m.upn.toLowerCase() === r);
		if (!found) throw new Error(`Scenario ${s.name}: no mailbox '${ref}'`);
		return found;
	};
	const groups = (s.groups ?? []).map((g) => ({
		id: g.id,
		displayName: g.displayName,
		primarySmtpAddress: g.primarySmtpAddress,
		mailEnabledSecurity: g.mailEnabledSecurity ?? true,
		memberIds: g.members.map((m) => mailboxRef(m).id),
	}));
	const groupRef = (ref: string) => {
		const r = ref.toLowerCase();
		const key = s.groups?.find((g) => g.key.toLowerCase() === r);
		const found = groups.find((g) => g.id === (key?.id ?? ref) || g.primarySmtpAddress.toLowerCase() === r);
		if (!found) throw new Error(`Scenario ${s.name}: no group '${ref}'`);
		return found;
	};

	const loadedApps: Record<string, LoadedApp> = {};
	const apps: AppRegistration[] = (s.apps ?? []).map((a) => {
		const secrets = (a.secrets ?? []).map((sec) => ({
			id: sec.id ?? newGuid(),
			value: sec.value,
			expiresAt: lc.now + (sec.expiresInDays ?? 730) * 24 * 3600 * 1000,
		}));
		const loadedCerts: LoadedCertificate[] = [];
		const certificates: AppCertificate[] = (a.certificates ?? []).map((c, i) => {
			if ('generate' in c) {
				const g = generateAppCertificate(a.displayName, lc.certificateDir(), `${a.key}-${i + 1}`, c.validDays);
				loadedCerts.push({
					id: g.id,
					thumbprintSha1: g.thumbprintSha1,
					thumbprintSha256: g.thumbprintSha256,
					certificatePem: g.certificatePem,
					privateKeyPem: g.privateKeyPem,
					certificatePath: g.certificatePath,
					privateKeyPath: g.privateKeyPath,
					notAfter: new Date(g.notAfter).toISOString(),
				});
				const { privateKeyPem: _omit, ...registered } = g;
				return registered;
			}
			const r = registeredCertificate(c.certificatePem);
			loadedCerts.push({
				id: r.id,
				thumbprintSha1: r.thumbprintSha1,
				thumbprintSha256: r.thumbprintSha256,
				certificatePem: r.certificatePem,
				notAfter: new Date(r.notAfter).toISOString(),
			});
			return r;
		});
		const app: AppRegistration = {
			appId: a.appId,
			servicePrincipalId: a.servicePrincipalId,
			displayName: a.displayName,
			secrets,
			certificates,
			applicationPermissions: [...(a.applicationPermissions ?? [])],
			delegatedPermissions: [...(a.delegatedPermissions ?? [])],
			publicClient: a.publicClient ?? false,
			redirectUris: [...(a.redirectUris ?? [])],
		};
		loadedApps[a.key] = {
			key: a.key,
			appId: app.appId,
			servicePrincipalId: app.servicePrincipalId,
			displayName: app.displayName,
			secret: secrets[0]?.value,
			secrets: secrets.map((x) => ({ id: x.id, value: x.value, expiresAt: new Date(x.expiresAt).toISOString() })),
			certificate: loadedCerts[0],
			certificates: loadedCerts,
			applicationPermissions: [...app.applicationPermissions],
			delegatedPermissions: [...app.delegatedPermissions],
			publicClient: app.publicClient,
			redirectUris: [...app.redirectUris],
		};
		return app;
	});
	const managedIdentities: ManagedIdentity[] = (s.managedIdentities ?? []).map((m) => ({
		kind: m.kind,
		clientId: m.clientId,
		objectId: m.objectId,
		resourceId: m.resourceId,
		displayName: m.displayName,
		applicationPermissions: [...(m.applicationPermissions ?? [])],
	}));
	const principalRef = (ref: string): { appId: string; objectId: string; displayName: string } => {
		const r = ref.toLowerCase();
		const appKey = s.apps?.find((a) => a.key.toLowerCase() === r);
		const app = apps.find((a) => a.appId === (appKey?.appId ?? ref));
		if (app) return { appId: app.appId, objectId: app.servicePrincipalId, displayName: app.displayName };
		const miKey = s.managedIdentities?.find((m) => m.key.toLowerCase() === r);
		const mi = managedIdentities.find((m) => m.clientId === (miKey?.clientId ?? ref) || m.objectId === ref);
		if (mi) return { appId: mi.clientId, objectId: mi.objectId, displayName: mi.displayName };
		throw new Error(`Scenario ${s.name}: no app or managed identity '${ref}'`);
	};

	const ex = s.exchange ?? {};
	const effectiveAt = lc.now - 1000;
	const state: EmulatorState = {
		tenant,
		apps,
		managedIdentities,
		mailboxes,
		groups,
		applicationAccessPolicies: (ex.applicationAccessPolicies ?? []).map((p) => {
			const appId = principalRef(p.appId).appId;
			const groupId = groupRef(p.policyScopeGroupId).id;
			return {
				identity: `${tenant.id}\\${appId}:${groupId}`,
				appId,
				policyScopeGroupId: groupId,
				accessRight: p.accessRight,
				description: p.description ?? '',
				effectiveAt,
			};
		}),
		exchangeServicePrincipals: (ex.servicePrincipals ?? []).map((sp) => {
			const p = principalRef(sp.appId);
			return { appId: p.appId, objectId: sp.objectId ?? p.objectId, displayName: sp.displayName ?? p.displayName };
		}),
		managementScopes: (ex.managementScopes ?? []).map((m) => ({ ...m })),
		roleAssignments: (ex.roleAssignments ?? []).map((r) => {
			const appId = principalRef(r.app).appId;
			return {
				name: r.name ?? `${r.role.replace(/\s+/g, '')}-${appId}`,
				app: appId,
				role: r.role,
				customResourceScope: r.customResourceScope,
				effectiveAt,
			};
		}),
		mailboxPermissions: (ex.mailboxPermissions ?? []).flatMap((p) =>
			p.accessRights.map((right) => ({ mailboxId: mailboxRef(p.mailbox).id, userId: mailboxRef(p.user).id, right })),
		),
		stores: new Map(),
		settings: { ...DEFAULT_SETTINGS, ...s.settings },
	};
	for (const m of mailboxes) state.stores.set(m.id, createStore(m.id));
	for (const m of s.mailboxes ?? []) {
		const store = state.stores.get(m.id)!;
		for (const f of m.folders ?? []) {
			const parent = f.parent ? findFolder(store, f.parent) : store.folders[0];
			if (!parent) throw new Error(`Scenario ${s.name}: mailbox ${m.key} has no folder '${f.parent}'`);
			store.folders.push({ id: opaqueId('AAMkAGRv'), displayName: f.displayName, parentFolderId: parent.id });
		}
	}
	const interactive = s.interactiveUser ? mailboxRef(s.interactiveUser) : mailboxes.find((m) => m.password);

	const loaded: LoadedScenario = {
		name: s.name,
		description: s.description,
		tenant,
		interactiveUser: interactive?.upn,
		apps: loadedApps,
		managedIdentities: Object.fromEntries(
			(s.managedIdentities ?? []).map((m, i) => [m.key, { key: m.key, ...managedIdentities[i] }]),
		),
		mailboxes: Object.fromEntries(
			(s.mailboxes ?? []).map((m) => [
				m.key,
				{
					key: m.key,
					id: m.id,
					upn: m.upn,
					displayName: m.displayName,
					type: m.type ?? 'UserMailbox',
					...(m.password ? { password: m.password } : {}),
				},
			]),
		),
		groups: Object.fromEntries(
			(s.groups ?? []).map((g, i) => [
				g.key,
				{
					key: g.key,
					id: g.id,
					displayName: g.displayName,
					primarySmtpAddress: g.primarySmtpAddress,
					memberIds: groups[i].memberIds,
				},
			]),
		),
		exchange: ex,
	};
	const seeds = (s.mailboxes ?? []).flatMap((m) =>
		(m.seed ?? []).map((x) => ({ mailboxId: m.id, folder: x.folder, count: x.count })),
	);
	return { state, loaded, seeds };
}
