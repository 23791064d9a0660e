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
	cloudProperties,
} from '../nodes/ScopedMailbox/auth/credentialProperties';
import { preAuthenticate } from '../nodes/ScopedMailbox/auth/preAuthentication';

/** Azure managed identity of the resource n8n runs on: no secret to store or rotate. */
export class ScopedMailboxManagedIdentityApi implements ICredentialType {
	name = 'scopedMailboxManagedIdentityApi';

	displayName = 'Scoped Mailbox Azure Managed Identity API';

	icon: Icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-scoped-mailbox/n8n-nodes-scoped-mailbox#managed-identity';

	properties: INodeProperties[] = [
		{
			displayName:
				'Works only when n8n runs in Azure (App Service, Container Apps, Functions, VMs, AKS nodes, Azure Arc; not AKS workload identity). The identity is detected from the environment of the n8n process.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		...cloudProperties({ authorityHost: false }),
		{
			displayName: 'Identity',
			name: 'identityType',
			type: 'options',
			options: [
				{ name: 'System-Assigned', value: 'system' },
				{ name: 'User-Assigned by Client ID', value: 'userClientId' },
				{ name: 'User-Assigned by Object (Principal) ID', value: 'userObjectId' },
				{ name: 'User-Assigned by Resource ID', value: 'userResourceId' },
			],
			default: 'system',
		},
		{
			displayName: 'Identity ID',
			name: 'identityId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '00000000-0000-0000-0000-000000000000',
			description:
				'Client ID or object ID (a GUID), or the resource ID (/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME) of the user-assigned identity',
			displayOptions: { show: { identityType: ['userClientId', 'userObjectId', 'userResourceId'] } },
		},
		accessTokenProperty,
	];

	authenticate: IAuthenticateGeneric = bearerAuthentication;

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return await preAuthenticate(this, 'scopedMailboxManagedIdentityApi', credentials);
	}
}
