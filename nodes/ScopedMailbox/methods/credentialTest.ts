/**
 * The credential Test button (registered by the nodes as `scopedMailboxCredentialTest`). It acquires a token
 * and reports who the identity is, what the token allows and when it (and a certificate) expires.
 *
 * n8n hands a test function only the legacy `helpers.request`, so msal's network client goes through it here
 * (n8n's proxy settings apply as they do in executions). n8n 2.41's editor shows only "Connection tested
 * successfully" for an OK result, so the success details are also in Mailbox > Test Access runs
 * (actions/mailbox/identityReport.ts).
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { acquireToken } from '../auth/acquire';
import { resolveCloud } from '../auth/clouds';
import type { ScopedMailboxAuthError } from '../auth/errors';
import { toAuthError } from '../auth/failures';
import { credentialEntry, fieldLabel } from '../auth/registry';
import { sendWithLegacyRequest, type HttpSend } from '../auth/network';
import { redact, secretValuesOf } from '../auth/redact';
import { describeAccessToken } from '../auth/tokenClaims';
import { expiryLine, identityLine, permissionsLine, successMessage } from '../auth/tokenReport';

/**
 * One statement of the failure: what went wrong (with Entra's code), the field to fix by its label, and what
 * to do. Entra's own words are left out when the failure is a known one: the message already says it.
 */
export function failureMessage(error: ScopedMailboxAuthError, secrets: readonly string[], credentialType = ''): string {
	const label = fieldLabel(credentialType, error.field);
	const known = error.reason !== 'unknown';
	const advice = known
		? (error.description ?? '').replace(/\s*The identity platform said:[\s\S]*$/, '').trim()
		: (error.description ?? '');
	const parts = [`${error.message}.`, label ? `Check "${label}".` : '', advice];
	return redact(parts.filter(Boolean).join(' '), secrets);
}

/** The saved OAuth2 token is n8n's: describe it and ask Graph whether it is accepted. */
async function testOAuth2(data: ICredentialDataDecryptedObject, send: HttpSend): Promise<INodeCredentialTestResult> {
	const tokenData = (data.oauthTokenData ?? {}) as { access_token?: unknown };
	const accessToken = typeof tokenData.access_token === 'string' ? tokenData.access_token : '';
	if (!accessToken) {
		return {
			status: 'Error',
			message: 'Not connected yet: click "Connect my account" and sign in as the mailbox user.',
		};
	}
	const claims = describeAccessToken(accessToken);
	const expired = claims?.expiresOn !== undefined && claims.expiresOn.getTime() <= Date.now();
	const details = [identityLine(claims), permissionsLine(claims)].filter(Boolean).join(' ');
	if (expired) {
		return {
			status: 'OK',
			message: `${details} The saved access token has expired; n8n refreshes it at the next use.`,
		};
	}
	const { graphBaseUrl } = resolveCloud(data);
	const response = await send({
		method: 'GET',
		url: `${graphBaseUrl}/v1.0/me?$select=id,userPrincipalName,displayName`,
		headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
		timeoutMs: 30_000,
	});
	if (response.status === 401) {
		return {
			status: 'Error',
			message: `Microsoft Graph rejected the saved token (HTTP 401). ${details} Reconnect the credential.`,
		};
	}
	return {
		status: 'OK',
		message:
			`${details} ${expiryLine(claims?.expiresOn)} Microsoft Graph accepted the token (HTTP ${response.status}).`.trim(),
	};
}

export async function scopedMailboxCredentialTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as ICredentialDataDecryptedObject;
	const secrets = secretValuesOf(data);
	// ICredentialTestFunctions offers no httpRequest helper in n8n 2.41: `request` is the only one.
	// eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
	const send = sendWithLegacyRequest(this.helpers.request);
	// A test function that throws makes n8n answer 500: every failure becomes an Error result.
	try {
		if (credentialEntry(credential.type)?.n8nOAuth2) {
			const result = await testOAuth2(data, send);
			return { status: result.status, message: redact(result.message, secrets) };
		}
		const token = await acquireToken(credential.type, data, send);
		return { status: 'OK', message: redact(successMessage(token), [...secrets, token.accessToken]) };
	} catch (error) {
		const authError = toAuthError(error, { kind: 'app', secrets });
		return { status: 'Error', message: failureMessage(authError, secrets, credential.type) };
	}
}
