import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestHelper,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import {
	CREDENTIAL_ICON,
	accessTokenProperty,
	bearerAuthentication,
	certificateProperties,
	clientIdProperty,
	cloudProperties,
	tenantIdProperty,
} from '../nodes/ScopedMailbox/auth/credentialProperties';
import { preAuthenticate } from '../nodes/ScopedMailbox/auth/preAuthentication';

/** App-only access (client credentials) with a client secret or a certificate; Exchange scopes the mailbox. */
export class ScopedMailboxAppApi implements ICredentialType {
	name = 'scopedMailboxAppApi';

	displayName = 'Scoped Mailbox Entra App (Client Secret or Certificate) API';

	icon: Icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-scoped-mailbox/n8n-nodes-scoped-mailbox#app-client-credentials';

	properties: INodeProperties[] = [
		...cloudProperties({ authorityHost: true }),
		tenantIdProperty,
		clientIdProperty,
		{
			displayName: 'Client Authentication',
			name: 'authMethod',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'secret' },
				{ name: 'Certificate', value: 'certificate', description: 'Recommended: no shared secret travels' },
			],
			default: 'secret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "The secret's Value (not its Secret ID) from Certificates & secrets",
			displayOptions: { show: { authMethod: ['secret'] } },
		},
		...certificateProperties('authMethod', 'certificate'),
		accessTokenProperty,
	];

	authenticate: IAuthenticateGeneric = bearerAuthentication;

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return await preAuthenticate(this, 'scopedMailboxAppApi', credentials);
	}
}
