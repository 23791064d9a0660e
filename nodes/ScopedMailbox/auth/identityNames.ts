/**
 * One name per identity, used by both nodes' Authentication option, the credential types' display names
 * ("Scoped Mailbox <name> API") and error texts. Chosen for the Exchange admin who sets the identity up:
 * Entra and Azure words, and what is kept in n8n in brackets. Values are the credential type names, which
 * stored workflows reference and so never change.
 */
import type { INodePropertyOptions } from 'n8n-workflow';

export const IDENTITY_NAMES = {
	scopedMailboxAppApi: 'Entra App (Client Secret or Certificate)',
	scopedMailboxManagedIdentityApi: 'Azure Managed Identity',
	scopedMailboxRefreshTokenApi: 'Delegated User (Seeded Refresh Token)',
	scopedMailboxOAuth2Api: 'Delegated User (Entra Sign-In)',
} as const;

export type CredentialTypeName = keyof typeof IDENTITY_NAMES;

/** The Authentication parameter's options, the same in the action node and the trigger. */
export const AUTHENTICATION_OPTIONS: Array<INodePropertyOptions & { value: CredentialTypeName }> = [
	{
		name: IDENTITY_NAMES.scopedMailboxAppApi,
		value: 'scopedMailboxAppApi',
		description: 'App-only access of an Entra app registration, scoped to the mailbox in Exchange Online',
	},
	{
		name: IDENTITY_NAMES.scopedMailboxManagedIdentityApi,
		value: 'scopedMailboxManagedIdentityApi',
		description: 'The managed identity of the Azure resource n8n runs on; no secret to store',
	},
	{
		name: IDENTITY_NAMES.scopedMailboxRefreshTokenApi,
		value: 'scopedMailboxRefreshTokenApi',
		description: "A user's delegated access, seeded once with the device code flow (no browser on the n8n host)",
	},
	{
		name: IDENTITY_NAMES.scopedMailboxOAuth2Api,
		value: 'scopedMailboxOAuth2Api',
		description: "A user's delegated access, signed in with the credential's Connect button",
	},
];

/** What n8n lists for the credential type: the identity's name between the package name and "API". */
export function credentialDisplayName(type: CredentialTypeName): string {
	return `Scoped Mailbox ${IDENTITY_NAMES[type]} ${type === 'scopedMailboxOAuth2Api' ? 'OAuth2 API' : 'API'}`;
}

/**
 * Labels of the credential fields an error can blame, per credential type. A field a type does not have is
 * never named (consent, for instance, is fixed in Entra, not in the App credential).
 */
const FIELD_LABELS: Record<CredentialTypeName, Record<string, string>> = {
	scopedMailboxAppApi: {
		cloud: 'Cloud',
		authorityHost: 'Authority Host',
		graphBaseUrl: 'Graph Base URL',
		tenantId: 'Tenant ID',
		clientId: 'Client ID',
		clientSecret: 'Client Secret',
		privateKey: 'Private Key',
		passphrase: 'Passphrase',
		certificate: 'Certificate',
	},
	scopedMailboxManagedIdentityApi: {
		cloud: 'Cloud',
		graphBaseUrl: 'Graph Base URL',
		identityType: 'Identity',
		identityId: 'Identity ID',
	},
	scopedMailboxRefreshTokenApi: {
		cloud: 'Cloud',
		authorityHost: 'Authority Host',
		graphBaseUrl: 'Graph Base URL',
		tenantId: 'Tenant ID',
		clientId: 'Client ID',
		clientSecret: 'Client Secret',
		privateKey: 'Private Key',
		passphrase: 'Passphrase',
		certificate: 'Certificate',
		scopes: 'Delegated Permissions',
		refreshToken: 'Refresh Token',
	},
	scopedMailboxOAuth2Api: {
		cloud: 'Cloud',
		authorityHost: 'Authority Host',
		graphBaseUrl: 'Graph Base URL',
		tenantId: 'Tenant ID',
		clientId: 'Client ID',
		clientSecret: 'Client Secret',
		// The token code names the setting "scopes"; this credential stores it as "permissions".
		scopes: 'Delegated Permissions',
		permissions: 'Delegated Permissions',
	},
};

/** The label of `field` in the credential type's dialog, or undefined when that type has no such field. */
export function fieldLabel(type: string, field: string | undefined): string | undefined {
	if (!field) return undefined;
	return (FIELD_LABELS as Record<string, Record<string, string>>)[type]?.[field];
}

export const FIELD_LABELS_FOR_TESTS = FIELD_LABELS;
