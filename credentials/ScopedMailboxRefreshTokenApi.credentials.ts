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
import { DEFAULT_DELEGATED_PERMISSIONS } from '../nodes/ScopedMailbox/auth/flows/refreshToken';
import { preAuthenticate } from '../nodes/ScopedMailbox/auth/preAuthentication';

/**
 * Delegated access from a refresh token seeded once (`npx n8n-nodes-scoped-mailbox seed`). Each refresh returns a
 * new refresh token, which preAuthentication hands back so n8n saves it in this credential.
 */
export class ScopedMailboxRefreshTokenApi implements ICredentialType {
	name = 'scopedMailboxRefreshTokenApi';

	displayName = 'Scoped Mailbox Delegated User (Seeded Refresh Token) API';

	icon: Icon = CREDENTIAL_ICON;

	documentationUrl =
		'https://github.com/n8n-nodes-scoped-mailbox/n8n-nodes-scoped-mailbox#seeded-refresh-token-delegated';

	properties: INodeProperties[] = [
		...cloudProperties({ authorityHost: true }),
		tenantIdProperty,
		clientIdProperty,
		{
			displayName: 'Client Authentication',
			name: 'clientAuth',
			type: 'options',
			options: [
				{
					name: 'None (Public Client)',
					value: 'none',
					description: 'The app allows public client flows (device code)',
				},
				{ name: 'Client Secret', value: 'secret' },
				{ name: 'Certificate', value: 'certificate' },
			],
			default: 'none',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { clientAuth: ['secret'] } },
		},
		...certificateProperties('clientAuth', 'certificate'),
		{
			displayName: 'Delegated Permissions',
			name: 'scopes',
			type: 'string',
			default: DEFAULT_DELEGATED_PERMISSIONS,
			description:
				'Space-separated delegated permissions. Names without a resource (Mail.Send.Shared) are Graph permissions of the chosen cloud. offline_access is always added. Use the same scopes as when seeding.',
		},
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'From `npx n8n-nodes-scoped-mailbox seed`. n8n replaces it with the new one after every refresh, so it keeps working while used.',
		},
		accessTokenProperty,
	];

	authenticate: IAuthenticateGeneric = bearerAuthentication;

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return await preAuthenticate(this, 'scopedMailboxRefreshTokenApi', credentials);
	}
}
