/**
 * Token acquisition for the three credential types whose token the package obtains itself (the OAuth2 type is
 * n8n's): the registry's kind picks the flow in flows/. A fresh msal application per call: n8n's credential
 * store is the token cache (docs/decisions.md #1), and msal's in-memory cache would answer by the wall clock,
 * not by what the identity platform says.
 */
import { ScopedMailboxAuthError, TransportError, type FailureContext } from './errors';
import { toAuthError } from './failures';
import { clientCredentialsToken } from './flows/clientCredentials';
import { managedIdentityToken } from './flows/managedIdentity';
import { refreshTokenToken } from './flows/refreshToken';
import type { HttpSend } from './network';
import { secretValuesOf } from './redact';
import { kindOfCredentialType, type CredentialKind } from './registry';

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

type Flow = (credentials: CredentialData, send: HttpSend, context: FailureContext) => Promise<AcquiredToken>;

const FLOWS: Record<Exclude<CredentialKind, 'oAuth2'>, Flow> = {
	app: clientCredentialsToken,
	refreshToken: refreshTokenToken,
	managedIdentity: managedIdentityToken,
};

function flowOf(credentialType: string): { kind: CredentialKind; flow: Flow } {
	const kind = kindOfCredentialType(credentialType);
	if (!kind)
		throw new ScopedMailboxAuthError(`Unknown credential type "${credentialType}"`, { reason: 'configuration' });
	if (kind === 'oAuth2')
		throw new ScopedMailboxAuthError(
			'The OAuth2 credential gets its tokens from n8n (Connect button), not from the package',
			{ reason: 'configuration' },
		);
	return { kind, flow: FLOWS[kind] };
}

/**
 * Acquires a Graph access token for a credential. Every failure is a ScopedMailboxAuthError whose message and
 * description are redacted; msal's errors are read, never passed on.
 */
export async function acquireToken(
	credentialType: string,
	credentials: CredentialData,
	send: HttpSend,
): Promise<AcquiredToken> {
	const { kind, flow } = flowOf(credentialType);
	const context: FailureContext = { kind, secrets: secretValuesOf(credentials) };
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
		return await flow(credentials, tracked, context);
	} catch (error) {
		throw toAuthError(error, context);
	}
}
