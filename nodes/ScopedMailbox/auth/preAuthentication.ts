import type { ICredentialDataDecryptedObject, IHttpRequestHelper } from 'n8n-workflow';
import { acquireToken } from './acquire';
import { sendWithHttpRequest } from './network';

/**
 * The credential types' preAuthentication: n8n runs it when the hidden expirable `accessToken` is empty or a
 * request got 401, and saves every returned key into the credential (so the rotated refresh token too).
 */
export async function preAuthenticate(
	helper: IHttpRequestHelper,
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
): Promise<ICredentialDataDecryptedObject> {
	const token = await acquireToken(
		credentialType,
		credentials,
		sendWithHttpRequest(helper.helpers.httpRequest as never),
	);
	const update: ICredentialDataDecryptedObject = { accessToken: token.accessToken };
	if (token.refreshToken) update.refreshToken = token.refreshToken;
	return update;
}
