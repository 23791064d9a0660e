/**
 * Token acquisition for the three credential types whose token the package obtains itself (the OAuth2 type is
 * n8n's). A fresh msal application per call: n8n's credential store is the token cache (docs/decisions.md #1),
 * and msal's in-memory cache would answer by the wall clock, not by what the identity platform says.
 */
import {
	ConfidentialClientApplication,
	LogLevel,
	ManagedIdentityApplication,
	PublicClientApplication,
	type Configuration,
	type ManagedIdentityIdParams,
	type NodeAuthOptions,
} from '@azure/msal-node';
import { CloudConfigurationError, requireAuthorityHost, resolveCloud, type CloudEndpoints } from './clouds';
import { loadCertificate, type LoadedCertificate } from './certificate';
import { configurationError, ScopedMailboxAuthError, TransportError, type FailureContext } from './errors';
import { toAuthError } from './failures';
import { kindOfCredentialType, type CredentialKind } from './registry';
import { networkModule, processWideNetworkModule, withSend, type HttpSend } from './network';
import { secretValuesOf } from './redact';

export type CredentialData = Record<string, unknown>;

export interface AcquiredToken {
	accessToken: string;
	expiresOn?: Date;
	/** The rotated refresh token (refresh-token credential only). */
	refreshToken?: string;
	/** Set when a certificate signed the request. */
	certificate?: { notAfter: Date; daysLeft: number; thumbprintSha1: string; thumbprintSha256: string; subject: string };
	/** Managed-identity source msal detected (IMDS, AppService, ...). */
	managedIdentitySource?: string;
}

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export const DEFAULT_DELEGATED_PERMISSIONS = 'offline_access Mail.Send.Shared Mail.ReadWrite.Shared';

const quietLogger = { loggerCallback: () => {}, piiLoggingEnabled: false, logLevel: LogLevel.Error };

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

function asConfigurationError(error: unknown): never {
	if (error instanceof CloudConfigurationError) throw configurationError(error.message, error.field);
	throw error;
}

function endpointsOf(credentials: CredentialData): CloudEndpoints {
	try {
		return resolveCloud(credentials);
	} catch (error) {
		asConfigurationError(error);
	}
}

/** Tenant goes into the authority URL's path: a GUID or a domain name, nothing else. */
function tenantOf(credentials: CredentialData): string {
	const tenant = text(credentials.tenantId);
	if (!tenant)
		throw configurationError(
			'Tenant ID is required',
			'tenantId',
			"Use the Directory (tenant) ID from the app registration's Overview page.",
		);
	if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenant)) {
		throw configurationError('Tenant ID must be a GUID or a domain such as contoso.onmicrosoft.com', 'tenantId');
	}
	if (/^(common|organizations|consumers)$/i.test(tenant)) {
		throw configurationError(
			`Tenant ID "${tenant}" is a multi-tenant alias: enter the tenant's own ID`,
			'tenantId',
			'A scoped mailbox identity belongs to one tenant; use its Directory (tenant) ID.',
		);
	}
	return tenant;
}

function clientIdOf(credentials: CredentialData): string {
	const clientId = text(credentials.clientId);
	if (!clientId)
		throw configurationError(
			'Client ID is required',
			'clientId',
			"Use the Application (client) ID from the app registration's Overview page.",
		);
	if (/[\s/?#&]/.test(clientId))
		throw configurationError('Client ID must be the Application (client) ID, a GUID', 'clientId');
	return clientId;
}

/**
 * Authority options. For a Custom cloud the host is trusted as given and its metadata built from Entra's URL
 * layout, so msal makes no discovery calls (msal would otherwise ask login.microsoftonline.com about the host).
 */
export function authorityOptions(
	endpoints: CloudEndpoints,
	tenant: string,
	cloud: unknown,
): Partial<NodeAuthOptions> & { authority: string } {
	const host = requireAuthorityHostSafe(endpoints);
	const authority = `${host}/${tenant}`;
	if (cloud !== 'custom') return { authority };
	return {
		authority,
		knownAuthorities: [new URL(host).host],
		authorityMetadata: JSON.stringify({
			token_endpoint: `${authority}/oauth2/v2.0/token`,
			authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
			device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
			end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
			issuer: `${authority}/v2.0`,
			jwks_uri: `${authority}/discovery/v2.0/keys`,
		}),
	};
}

function requireAuthorityHostSafe(endpoints: CloudEndpoints): string {
	try {
		return requireAuthorityHost(endpoints);
	} catch (error) {
		asConfigurationError(error);
	}
}

/** Scopes field: names without a resource (Mail.Send.Shared) belong to the cloud's Graph. */
export function delegatedScopes(value: unknown, graphBaseUrl: string): string[] {
	const raw = text(value) || DEFAULT_DELEGATED_PERMISSIONS;
	const scopes = raw
		.split(/[\s,]+/)
		.filter(Boolean)
		.map((scope) =>
			OIDC_SCOPES.includes(scope.toLowerCase()) || scope.includes('://') ? scope : `${graphBaseUrl}/${scope}`,
		);
	if (!scopes.some((s) => s.toLowerCase() === 'offline_access')) scopes.unshift('offline_access');
	return [...new Set(scopes)];
}

interface ClientCredential {
	auth: Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate'>;
	certificate?: LoadedCertificate;
}

function clientCredentialOf(credentials: CredentialData, method: string): ClientCredential {
	if (method === 'certificate') {
		const certificate = loadCertificate(credentials);
		return { auth: { clientCertificate: certificate.msal }, certificate };
	}
	if (method === 'secret') {
		const secret = typeof credentials.clientSecret === 'string' ? credentials.clientSecret.trim() : '';
		if (!secret) throw configurationError('Client Secret is required', 'clientSecret');
		return { auth: { clientSecret: secret } };
	}
	return { auth: {} };
}

function certificateFacts(certificate: LoadedCertificate | undefined): AcquiredToken['certificate'] {
	if (!certificate) return undefined;
	return {
		notAfter: certificate.notAfter,
		daysLeft: certificate.daysLeft(),
		thumbprintSha1: certificate.thumbprintSha1,
		thumbprintSha256: certificate.thumbprintSha256,
		subject: certificate.subject,
	};
}

function thumbprintLabel(certificate?: LoadedCertificate): string | undefined {
	return certificate ? `SHA-1 ${certificate.thumbprintSha1}, SHA-256 ${certificate.thumbprintSha256}` : undefined;
}

/**
 * msal's configuration for an app of the tenant with its client credential (none for a public client). A
 * certificate's thumbprint goes into failure messages and its private key onto the list of values to scrub.
 */
function clientConfiguration(options: {
	credentials: CredentialData;
	method: string;
	endpoints: CloudEndpoints;
	tenant: string;
	clientId: string;
	send: HttpSend;
	context: FailureContext;
}): { client: ClientCredential; config: Configuration } {
	const { credentials, endpoints, tenant, clientId, context } = options;
	const client = clientCredentialOf(credentials, options.method);
	if (client.certificate) {
		context.thumbprint = thumbprintLabel(client.certificate);
		(context.secrets as string[]).push(...secretValuesOf({}, [client.certificate.privateKeyPem]));
	}
	const config: Configuration = {
		auth: { clientId, ...authorityOptions(endpoints, tenant, credentials.cloud), ...client.auth },
		system: { networkClient: networkModule(options.send), loggerOptions: quietLogger },
	};
	return { client, config };
}

async function appToken(credentials: CredentialData, send: HttpSend, context: FailureContext): Promise<AcquiredToken> {
	const endpoints = endpointsOf(credentials);
	const tenant = tenantOf(credentials);
	const clientId = clientIdOf(credentials);
	Object.assign(context, { tenantId: tenant, clientId, authorityHost: endpoints.authorityHost });
	const method = credentials.authMethod === 'certificate' ? 'certificate' : 'secret';
	const { client, config } = clientConfiguration({ credentials, method, endpoints, tenant, clientId, send, context });
	const app = new ConfidentialClientApplication(config);
	const result = await app.acquireTokenByClientCredential({ scopes: [endpoints.graphScope], skipCache: true });
	if (!result?.accessToken)
		throw new ScopedMailboxAuthError('The identity platform answered without an access token', { reason: 'unknown' });
	return {
		accessToken: result.accessToken,
		expiresOn: result.expiresOn ?? undefined,
		certificate: certificateFacts(client.certificate),
	};
}

/** msal returns no refresh token from acquireTokenByRefreshToken; with forceCache it is in the cache. */
function refreshTokenFromCache(serialized: string): string | undefined {
	const cache = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
	const entries = Object.values(cache.RefreshToken ?? {});
	return entries.find((entry) => typeof entry.secret === 'string' && entry.secret)?.secret;
}

async function refreshTokenToken(
	credentials: CredentialData,
	send: HttpSend,
	context: FailureContext,
): Promise<AcquiredToken> {
	const endpoints = endpointsOf(credentials);
	const tenant = tenantOf(credentials);
	const clientId = clientIdOf(credentials);
	Object.assign(context, { tenantId: tenant, clientId, authorityHost: endpoints.authorityHost });
	const refreshToken = text(credentials.refreshToken);
	if (!refreshToken) {
		throw new ScopedMailboxAuthError('Refresh Token is empty', {
			reason: 'configuration',
			field: 'refreshToken',
			description:
				'Seed one with `npx n8n-nodes-scoped-mailbox seed --tenant <tenant> --client-id <client id>` and paste it into Refresh Token.',
		});
	}
	const method =
		credentials.clientAuth === 'secret' || credentials.clientAuth === 'certificate'
			? String(credentials.clientAuth)
			: 'none';
	const { client, config } = clientConfiguration({ credentials, method, endpoints, tenant, clientId, send, context });
	const app = method === 'none' ? new PublicClientApplication(config) : new ConfidentialClientApplication(config);
	const result = await app.acquireTokenByRefreshToken({
		refreshToken,
		scopes: delegatedScopes(credentials.scopes, endpoints.graphBaseUrl),
		forceCache: true,
	});
	if (!result?.accessToken)
		throw new ScopedMailboxAuthError('The identity platform answered without an access token', { reason: 'unknown' });
	const rotated = refreshTokenFromCache(app.getTokenCache().serialize());
	return {
		accessToken: result.accessToken,
		expiresOn: result.expiresOn ?? undefined,
		// Entra always rotates; should it not, the old token stays valid and is kept.
		refreshToken: rotated ?? refreshToken,
		certificate: certificateFacts(client.certificate),
	};
}

export type ManagedIdentityType = 'system' | 'userClientId' | 'userObjectId' | 'userResourceId';

export function managedIdentityParams(credentials: CredentialData): {
	params?: ManagedIdentityIdParams;
	label: string;
} {
	const type = (credentials.identityType ?? 'system') as ManagedIdentityType;
	if (type === 'system') return { label: 'The system-assigned managed identity' };
	const id = text(credentials.identityId);
	const names: Record<Exclude<ManagedIdentityType, 'system'>, [keyof ManagedIdentityIdParams, string]> = {
		userClientId: ['userAssignedClientId', 'client ID'],
		userObjectId: ['userAssignedObjectId', 'object (principal) ID'],
		userResourceId: ['userAssignedResourceId', 'resource ID'],
	};
	const entry = names[type as Exclude<ManagedIdentityType, 'system'>];
	if (!entry) throw configurationError(`Unknown identity type "${String(type)}"`, 'identityType');
	if (!id) throw configurationError(`Enter the user-assigned identity's ${entry[1]}`, 'identityId');
	if (
		type === 'userResourceId' &&
		!/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(
			id,
		)
	) {
		throw configurationError(
			'The resource ID must look like /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>',
			'identityId',
		);
	}
	if (type !== 'userResourceId' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
		throw configurationError(`The user-assigned identity's ${entry[1]} must be a GUID`, 'identityId');
	}
	return { params: { [entry[0]]: id }, label: `The user-assigned managed identity with ${entry[1]} ${id}` };
}

async function managedIdentityToken(
	credentials: CredentialData,
	send: HttpSend,
	context: FailureContext,
): Promise<AcquiredToken> {
	const endpoints = endpointsOf(credentials);
	const { params, label } = managedIdentityParams(credentials);
	context.managedIdentity = { label };
	const app = new ManagedIdentityApplication({
		managedIdentityIdParams: params,
		system: { networkClient: processWideNetworkModule, loggerOptions: quietLogger },
	});
	let source: string | undefined;
	try {
		source = String(app.getManagedIdentitySource());
		context.managedIdentity.source = source;
	} catch {
		// Detection problems surface from acquireToken with msal's own error.
	}
	// forceRefresh: msal's managed-identity cache is process-wide and judged by the wall clock.
	const result = await withSend(
		send,
		async () => await app.acquireToken({ resource: endpoints.graphResource, forceRefresh: true }),
	);
	if (!result?.accessToken)
		throw new ScopedMailboxAuthError('The managed identity endpoint answered without an access token', {
			reason: 'unknown',
		});
	return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? undefined, managedIdentitySource: source };
}

function kindOf(credentialType: string): CredentialKind {
	const kind = kindOfCredentialType(credentialType);
	if (!kind)
		throw new ScopedMailboxAuthError(`Unknown credential type "${credentialType}"`, { reason: 'configuration' });
	return kind;
}

/**
 * Acquires a Graph access token for a credential. Every failure is a ScopedMailboxAuthError whose message and
 * description are redacted; msal's errors are read, never passed on.
 */
export async function acquireToken(
	credentialType: string,
	credentials: CredentialData,
	http: HttpSend,
): Promise<AcquiredToken> {
	const kind = kindOf(credentialType);
	const context: FailureContext = { kind, secrets: secretValuesOf(credentials) };
	const send = http;
	const tracked: HttpSend = async (request) => {
		try {
			return await send(request);
		} catch (error) {
			if (error instanceof TransportError) context.transportFailure = error;
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- inside msal's network client: msal wraps it; toAuthError reads it
			throw error;
		}
	};
	try {
		if (kind === 'app') return await appToken(credentials, tracked, context);
		if (kind === 'refreshToken') return await refreshTokenToken(credentials, tracked, context);
		if (kind === 'managedIdentity') return await managedIdentityToken(credentials, tracked, context);
		throw new ScopedMailboxAuthError(
			'The OAuth2 credential gets its tokens from n8n (Connect button), not from the package',
			{ reason: 'configuration' },
		);
	} catch (error) {
		throw toAuthError(error, context);
	}
}
