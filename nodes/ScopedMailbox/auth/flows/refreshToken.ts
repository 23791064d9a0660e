/**
 * A delegated user's token from the seeded refresh token, as a public client or with the app's secret or
 * certificate. Entra rotates the refresh token; the rotated one is returned for preAuthentication to persist.
 */
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import type { AcquiredToken, CredentialData } from '../acquire';
import { ScopedMailboxAuthError, type FailureContext } from '../errors';
import type { HttpSend } from '../network';
import {
	appRegistrationOf,
	certificateFacts,
	clientConfiguration,
	fieldText,
	type ClientAuthMethod,
} from './clientConfiguration';

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export const DEFAULT_DELEGATED_PERMISSIONS = 'offline_access Mail.Send.Shared Mail.ReadWrite.Shared';

/** Scopes field: names without a resource (Mail.Send.Shared) belong to the cloud's Graph. */
export function delegatedScopes(value: unknown, graphBaseUrl: string): string[] {
	const raw = fieldText(value) || DEFAULT_DELEGATED_PERMISSIONS;
	const scopes = raw
		.split(/[\s,]+/)
		.filter(Boolean)
		.map((scope) =>
			OIDC_SCOPES.includes(scope.toLowerCase()) || scope.includes('://') ? scope : `${graphBaseUrl}/${scope}`,
		);
	if (!scopes.some((s) => s.toLowerCase() === 'offline_access')) scopes.unshift('offline_access');
	return [...new Set(scopes)];
}

/** msal returns no refresh token from acquireTokenByRefreshToken; with forceCache it is in the cache. */
function refreshTokenFromCache(serialized: string): string | undefined {
	const cache = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
	const entries = Object.values(cache.RefreshToken ?? {});
	return entries.find((entry) => typeof entry.secret === 'string' && entry.secret)?.secret;
}

export async function refreshTokenToken(
	credentials: CredentialData,
	send: HttpSend,
	context: FailureContext,
): Promise<AcquiredToken> {
	const registration = appRegistrationOf(credentials, context);
	const refreshToken = fieldText(credentials.refreshToken);
	if (!refreshToken) {
		throw new ScopedMailboxAuthError('Refresh Token is empty', {
			reason: 'configuration',
			field: 'refreshToken',
			description:
				'Seed one with `npx n8n-nodes-scoped-mailbox seed --tenant <tenant> --client-id <client id>` and paste it into Refresh Token.',
		});
	}
	const method: ClientAuthMethod =
		credentials.clientAuth === 'secret' || credentials.clientAuth === 'certificate' ? credentials.clientAuth : 'none';
	const { client, config } = clientConfiguration({ credentials, method, registration, send, context });
	const app = method === 'none' ? new PublicClientApplication(config) : new ConfidentialClientApplication(config);
	const result = await app.acquireTokenByRefreshToken({
		refreshToken,
		scopes: delegatedScopes(credentials.scopes, registration.endpoints.graphBaseUrl),
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
