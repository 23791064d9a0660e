/**
 * The one list of the package's credential types. Every other list (both nodes' Authentication option and
 * credentials, the credential display names, the transport's choice of type, token acquisition, error texts, the
 * Test button and identity reports) is read from here.
 *
 * Names are chosen for the Exchange admin who sets the identity up: Entra and Azure words, and what is kept in
 * n8n in brackets. `type` is the credential type name, which stored workflows reference and so never changes.
 */
import type { INodeCredentialDescription, INodePropertyOptions } from 'n8n-workflow';

/** How the token is obtained: the flow in auth/flows/. */
export type CredentialKind = 'app' | 'managedIdentity' | 'refreshToken' | 'oAuth2';

interface CredentialEntry {
	type: string;
	kind: CredentialKind;
	/** The identity's name: the Authentication option, and the middle of the credential's display name. */
	name: string;
	description: string;
	/** Acts as a signed-in user (delegated permissions): reaches only the mailboxes that user may open. */
	delegated: boolean;
	/**
	 * The credential holds an OAuth2 token n8n obtained (Connect button). n8n tests such types itself and never
	 * calls a node's `testedBy` (docs/platform-notes.md).
	 */
	n8nOAuth2: boolean;
	/** Labels of the fields an error can blame; a field the type does not have is never named. */
	fieldLabels: Record<string, string>;
}

/** The endpoint fields (managed identity has no authority host), then those of an Entra app registration. */
const CLOUD_FIELDS = { cloud: 'Cloud', authorityHost: 'Authority Host', graphBaseUrl: 'Graph Base URL' };
const APP_REGISTRATION_FIELDS = {
	...CLOUD_FIELDS,
	graphFeatureSet: 'Graph Feature Set',
	tenantId: 'Tenant ID',
	clientId: 'Client ID',
	clientSecret: 'Client Secret',
};
const ENTRA_APP_FIELDS = {
	...APP_REGISTRATION_FIELDS,
	privateKey: 'Private Key',
	passphrase: 'Passphrase',
	certificate: 'Certificate',
};

export const CREDENTIALS = [
	{
		type: 'scopedMailboxAppApi',
		kind: 'app',
		name: 'Entra App (Client Secret or Certificate)',
		description: 'App-only access of an Entra app registration, scoped to the mailbox in Exchange Online',
		delegated: false,
		n8nOAuth2: false,
		fieldLabels: ENTRA_APP_FIELDS,
	},
	{
		type: 'scopedMailboxManagedIdentityApi',
		kind: 'managedIdentity',
		name: 'Azure Managed Identity',
		description: 'The managed identity of the Azure resource n8n runs on; no secret to store',
		delegated: false,
		n8nOAuth2: false,
		fieldLabels: {
			cloud: CLOUD_FIELDS.cloud,
			graphBaseUrl: CLOUD_FIELDS.graphBaseUrl,
			graphFeatureSet: 'Graph Feature Set',
			identityType: 'Identity',
			identityId: 'Identity ID',
		},
	},
	{
		type: 'scopedMailboxRefreshTokenApi',
		kind: 'refreshToken',
		name: 'Delegated User (Seeded Refresh Token)',
		description: "A user's delegated access, seeded once with the device code flow (no browser on the n8n host)",
		delegated: true,
		n8nOAuth2: false,
		fieldLabels: { ...ENTRA_APP_FIELDS, scopes: 'Delegated Permissions', refreshToken: 'Refresh Token' },
	},
	{
		type: 'scopedMailboxOAuth2Api',
		kind: 'oAuth2',
		name: 'Delegated User (Entra Sign-In)',
		description: "A user's delegated access, signed in with the credential's Connect button",
		delegated: true,
		n8nOAuth2: true,
		fieldLabels: {
			...APP_REGISTRATION_FIELDS,
			// The token code names the setting "scopes"; this credential stores it as "permissions".
			scopes: 'Delegated Permissions',
			permissions: 'Delegated Permissions',
		},
	},
] as const satisfies readonly CredentialEntry[];

export type CredentialTypeName = (typeof CREDENTIALS)[number]['type'];

export const CREDENTIAL_TYPE_NAMES: readonly CredentialTypeName[] = CREDENTIALS.map((entry) => entry.type);

/** The Authentication parameter's default in every node. */
export const DEFAULT_CREDENTIAL_TYPE: CredentialTypeName = 'scopedMailboxAppApi';

export function isCredentialType(type: unknown): type is CredentialTypeName {
	return typeof type === 'string' && (CREDENTIAL_TYPE_NAMES as readonly string[]).includes(type);
}

export function credentialEntry(type: string): CredentialEntry | undefined {
	return CREDENTIALS.find((entry) => entry.type === type);
}

export function credentialTypeOfKind(kind: CredentialKind): CredentialTypeName {
	return CREDENTIALS.find((entry) => entry.kind === kind)!.type;
}

export function kindOfCredentialType(type: string): CredentialKind | undefined {
	return credentialEntry(type)?.kind;
}

export function isDelegatedCredential(type: string): boolean {
	return credentialEntry(type)?.delegated ?? false;
}

/** The name of each identity, by credential type. */
export const IDENTITY_NAMES = Object.fromEntries(CREDENTIALS.map((entry) => [entry.type, entry.name])) as {
	[K in CredentialTypeName]: Extract<(typeof CREDENTIALS)[number], { type: K }>['name'];
};

/** The Authentication parameter's options, the same in every node. */
export const AUTHENTICATION_OPTIONS: Array<INodePropertyOptions & { value: CredentialTypeName }> = CREDENTIALS.map(
	(entry) => ({ name: entry.name, value: entry.type, description: entry.description }),
);

/** A node's `credentials`: each type shown when the Authentication option names it. */
export const NODE_CREDENTIALS: INodeCredentialDescription[] = CREDENTIALS.map((entry) => ({
	name: entry.type,
	required: true,
	...(entry.n8nOAuth2 ? {} : { testedBy: 'scopedMailboxCredentialTest' }),
	displayOptions: { show: { authentication: [entry.type] } },
}));

/** What n8n lists for the credential type: the identity's name between the package name and "API". */
export function credentialDisplayName(type: CredentialTypeName): string {
	const entry = credentialEntry(type)!;
	return `Scoped Mailbox ${entry.name} ${entry.n8nOAuth2 ? 'OAuth2 API' : 'API'}`;
}

/**
 * The access token the credential presents now: the one preAuthentication stored, or n8n's OAuth2 token. Read
 * after a Graph request, so it is the token that request carried.
 */
export function accessTokenOf(type: string, credentials: Record<string, unknown>): string | undefined {
	const token = credentialEntry(type)?.n8nOAuth2
		? (credentials.oauthTokenData as { access_token?: unknown } | undefined)?.access_token
		: credentials.accessToken;
	return typeof token === 'string' && token ? token : undefined;
}

/** The label of `field` in the credential type's dialog, or undefined when that type has no such field. */
export function fieldLabel(type: string, field: string | undefined): string | undefined {
	if (!field) return undefined;
	return (credentialEntry(type)?.fieldLabels as Record<string, string> | undefined)?.[field];
}
