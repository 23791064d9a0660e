/**
 * What the Entra app flows (client credentials, refresh token) share: the app registration's tenant and client ID,
 * the authority, the client credential and msal's configuration; and the quiet logger every msal application uses.
 */
import { LogLevel, type Configuration, type NodeAuthOptions } from '@azure/msal-node';
import type { AcquiredToken, CredentialData } from '../acquire';
import { loadCertificate, type LoadedCertificate } from '../certificate';
import { requireAuthorityHost, resolveCloud, type CloudEndpoints } from '../clouds';
import { configurationError, type FailureContext } from '../errors';
import { networkModule, type HttpSend } from '../network';
import { secretValuesOf } from '../redact';

export const quietLogger = { loggerCallback: () => {}, piiLoggingEnabled: false, logLevel: LogLevel.Error };

/** A credential field's text, trimmed; '' when it is not a string. */
export const fieldText = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** Tenant goes into the authority URL's path: a GUID or a domain name, nothing else. */
function tenantOf(credentials: CredentialData): string {
	const tenant = fieldText(credentials.tenantId);
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
	const clientId = fieldText(credentials.clientId);
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

export interface AppRegistration {
	endpoints: CloudEndpoints;
	tenant: string;
	clientId: string;
}

/** The cloud, tenant and app the credential names; failure messages name them too. */
export function appRegistrationOf(credentials: CredentialData, context: FailureContext): AppRegistration {
	const endpoints = resolveCloud(credentials);
	const tenant = tenantOf(credentials);
	const clientId = clientIdOf(credentials);
	Object.assign(context, { tenantId: tenant, clientId, authorityHost: endpoints.authorityHost });
	return { endpoints, tenant, clientId };
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
	const host = requireAuthorityHost(endpoints);
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

export type ClientAuthMethod = 'secret' | 'certificate' | 'none';

interface ClientCredential {
	auth: Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate'>;
	certificate?: LoadedCertificate;
}

function clientCredentialOf(credentials: CredentialData, method: ClientAuthMethod): ClientCredential {
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

export function certificateFacts(certificate: LoadedCertificate | undefined): AcquiredToken['certificate'] {
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
export function clientConfiguration(options: {
	credentials: CredentialData;
	method: ClientAuthMethod;
	registration: AppRegistration;
	send: HttpSend;
	context: FailureContext;
}): { client: ClientCredential; config: Configuration } {
	const { credentials, registration, context } = options;
	const client = clientCredentialOf(credentials, options.method);
	if (client.certificate) {
		context.thumbprint = thumbprintLabel(client.certificate);
		(context.secrets as string[]).push(...secretValuesOf({}, [client.certificate.privateKeyPem]));
	}
	const config: Configuration = {
		auth: {
			clientId: registration.clientId,
			...authorityOptions(registration.endpoints, registration.tenant, credentials.cloud),
			...client.auth,
		},
		system: { networkClient: networkModule(options.send), loggerOptions: quietLogger },
	};
	return { client, config };
}
