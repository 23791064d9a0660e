import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import {
	CREDENTIAL_ICON,
	clientIdProperty,
	cloudProperties,
	tenantIdProperty,
} from '../nodes/ScopedMailbox/auth/credentialProperties';

/** Entra sign-in host per cloud, as an n8n expression over the credential's own fields ($self). */
const AUTHORITY =
	"($self.cloud === 'custom' ? String($self.authorityHost || '').trim().replace(/\\/+$/, '') : ($self.cloud === 'usGov' || $self.cloud === 'usGovDod') ? 'https://login.microsoftonline.us' : $self.cloud === 'china' ? 'https://login.chinacloudapi.cn' : 'https://login.microsoftonline.com') + '/' + String($self.tenantId || '').trim()";

const GRAPH =
	"($self.cloud === 'custom' ? String($self.graphBaseUrl || '').trim().replace(/\\/+$/, '').replace(/\\/(v1\\.0|beta)$/i, '') : $self.cloud === 'usGov' ? 'https://graph.microsoft.us' : $self.cloud === 'usGovDod' ? 'https://dod-graph.microsoft.us' : $self.cloud === 'china' ? 'https://microsoftgraph.chinacloudapi.cn' : 'https://graph.microsoft.com')";

/**
 * Delegated access through n8n's own OAuth2 flow: the user clicks Connect, signs in as (or for) the mailbox user
 * and consents once; n8n stores and refreshes the tokens (authorization code with PKCE, offline_access).
 */
export class ScopedMailboxOAuth2Api implements ICredentialType {
	name = 'scopedMailboxOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Scoped Mailbox Delegated User (Entra Sign-In) OAuth2 API';

	icon: Icon = CREDENTIAL_ICON;

	documentationUrl =
		'https://github.com/n8n-nodes-scoped-mailbox/n8n-nodes-scoped-mailbox#delegated-oauth2-connect-button';

	properties: INodeProperties[] = [
		{
			// n8n's own hint under the redirect URL names the credential type; this says where the URL goes.
			displayName:
				'Add the OAuth Redirect URL above as a Web redirect URI of your Entra app registration (Entra admin center > App registrations > the app > Authentication), then click Connect and sign in as the mailbox user.',
			name: 'redirectNotice',
			type: 'notice',
			default: '',
		},
		...cloudProperties({ authorityHost: true }),
		tenantIdProperty,
		clientIdProperty,
		{
			displayName: 'Delegated Permissions',
			name: 'permissions',
			type: 'string',
			default: 'Mail.Send.Shared Mail.ReadWrite.Shared',
			description:
				'Space-separated delegated Graph permissions. Names without a resource are Graph permissions of the chosen cloud; openid and offline_access are always requested.',
		},
		{
			displayName: 'Prompt to Select Account',
			name: 'selectAccount',
			type: 'boolean',
			default: true,
			description:
				'Whether Microsoft asks which account to sign in with (useful when the browser is signed in as someone else)',
		},
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'pkce' },
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{ ${AUTHORITY} + '/oauth2/v2.0/authorize' }}`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{ ${AUTHORITY} + '/oauth2/v2.0/token' }}`,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: `={{ ['openid', 'offline_access'].concat(String($self.permissions || '').split(/[\\s,]+/).filter(p => p && !['openid', 'offline_access'].includes(p.toLowerCase())).map(p => (p.includes('://') || ['profile', 'email'].includes(p.toLowerCase())) ? p : ${GRAPH} + '/' + p)).join(' ') }}`,
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: "={{ $self.selectAccount ? 'prompt=select_account' : '' }}",
		},
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
