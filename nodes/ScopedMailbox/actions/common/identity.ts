import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { accessTokenOf, DEFAULT_CREDENTIAL_TYPE } from '../../auth/registry';
import { describeAccessToken, type AccessTokenDescription } from '../../auth/tokenClaims';

/**
 * Who the credential's current token says it is. Read after a Graph request, so the token n8n obtained through
 * preAuthentication (or the OAuth2 flow) is the one in the store. Only claims leave this function, never the token.
 */
export async function currentIdentity(this: IExecuteFunctions): Promise<AccessTokenDescription | undefined> {
	// The parameter's values are the credential type names (docs/design.md).
	const credentialType = this.getNodeParameter('authentication', 0, DEFAULT_CREDENTIAL_TYPE) as string;
	let credentials: IDataObject;
	try {
		credentials = await this.getCredentials(credentialType);
	} catch {
		return undefined;
	}
	const token = accessTokenOf(credentialType, credentials);
	return token ? describeAccessToken(token) : undefined;
}

export function identitySummary(identity: AccessTokenDescription | undefined): IDataObject {
	if (!identity) return { known: false, note: 'The access token could not be read (it is not a JWT).' };
	return {
		kind: identity.kind,
		appId: identity.appId,
		objectId: identity.objectId,
		tenantId: identity.tenantId,
		...(identity.upn ? { upn: identity.upn } : {}),
		...(identity.displayName ? { displayName: identity.displayName } : {}),
		roles: identity.roles,
		scopes: identity.scopes,
		...(identity.expiresOn ? { tokenExpiresOn: identity.expiresOn.toISOString() } : {}),
	};
}
