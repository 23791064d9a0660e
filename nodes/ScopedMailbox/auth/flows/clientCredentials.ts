/** App-only token of an Entra app registration: client credentials with a secret or a certificate. */
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AcquiredToken, CredentialData } from '../acquire';
import { ScopedMailboxAuthError, type FailureContext } from '../errors';
import type { HttpSend } from '../network';
import { appRegistrationOf, certificateFacts, clientConfiguration } from './clientConfiguration';

export async function clientCredentialsToken(
	credentials: CredentialData,
	send: HttpSend,
	context: FailureContext,
): Promise<AcquiredToken> {
	const registration = appRegistrationOf(credentials, context);
	const method = credentials.authMethod === 'certificate' ? 'certificate' : 'secret';
	const { client, config } = clientConfiguration({ credentials, method, registration, send, context });
	const app = new ConfidentialClientApplication(config);
	const result = await app.acquireTokenByClientCredential({
		scopes: [registration.endpoints.graphScope],
		skipCache: true,
	});
	if (!result?.accessToken)
		throw new ScopedMailboxAuthError('The identity platform answered without an access token', { reason: 'unknown' });
	return {
		accessToken: result.accessToken,
		expiresOn: result.expiresOn ?? undefined,
		certificate: certificateFacts(client.certificate),
	};
}
