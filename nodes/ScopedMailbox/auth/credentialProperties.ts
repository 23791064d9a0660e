/** Properties shared by the package's credential types (cloud choice, certificate fields, hidden token). */
import type { INodeProperties } from 'n8n-workflow';

export const CREDENTIAL_ICON = {
	light: 'file:../icons/scopedMailbox.svg',
	dark: 'file:../icons/scopedMailbox.dark.svg',
} as const;

export function cloudProperties(options: { authorityHost: boolean }): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: 'Cloud',
			name: 'cloud',
			type: 'options',
			options: [
				{
					name: 'China (21Vianet)',
					value: 'china',
					description: 'Sign-in at login.chinacloudapi.cn, Graph at microsoftgraph.chinacloudapi.cn',
				},
				{ name: 'Custom', value: 'custom', description: 'Enter the authority host and Graph base URL' },
				{
					name: 'Global (Microsoft 365)',
					value: 'global',
					description: 'Sign-in at login.microsoftonline.com, Graph at graph.microsoft.com',
				},
				{
					name: 'US Government (DoD)',
					value: 'usGovDod',
					description: 'Sign-in at login.microsoftonline.us, Graph at dod-graph.microsoft.us',
				},
				{
					name: 'US Government (GCC High)',
					value: 'usGov',
					description: 'Sign-in at login.microsoftonline.us, Graph at graph.microsoft.us',
				},
			],
			default: 'global',
			description: 'The national cloud the tenant lives in. GCC (moderate) tenants use Global.',
		},
	];
	if (options.authorityHost) {
		properties.push({
			displayName: 'Authority Host',
			name: 'authorityHost',
			type: 'string',
			default: '',
			placeholder: 'https://login.microsoftonline.com',
			description: 'Entra ID sign-in host of the cloud, without tenant',
			displayOptions: { show: { cloud: ['custom'] } },
		});
	}
	properties.push({
		displayName: 'Graph Base URL',
		name: 'graphBaseUrl',
		type: 'string',
		default: '',
		placeholder: 'https://graph.microsoft.com',
		description: 'Microsoft Graph root of the cloud, without /v1.0',
		displayOptions: { show: { cloud: ['custom'] } },
	});
	properties.push({
		displayName: 'Graph Feature Set',
		name: 'graphFeatureSet',
		type: 'options',
		options: [
			{ name: 'Global', value: 'global' },
			{ name: 'US Government', value: 'usGov', description: 'No upload sessions for attachments over 3 MB' },
			{
				name: 'China (21Vianet)',
				value: 'china',
				description: 'No message delta (no trigger), no flags, no custom headers',
			},
		],
		default: 'global',
		description:
			"Which national cloud's Graph this endpoint serves. Microsoft publishes a different Graph for each, and the node refuses what that one lacks before calling it.",
		displayOptions: { show: { cloud: ['custom'] } },
	});
	return properties;
}

export const tenantIdProperty: INodeProperties = {
	displayName: 'Tenant ID',
	name: 'tenantId',
	type: 'string',
	default: '',
	required: true,
	placeholder: '00000000-0000-0000-0000-000000000000',
	description: "Directory (tenant) ID from the app registration's Overview page, or the tenant's domain",
};

export const clientIdProperty: INodeProperties = {
	displayName: 'Client ID',
	name: 'clientId',
	type: 'string',
	default: '',
	required: true,
	placeholder: '00000000-0000-0000-0000-000000000000',
	description: "Application (client) ID from the app registration's Overview page",
};

/** Fields of a certificate credential, shown when `field` has `value`. */
export function certificateProperties(field: string, value: string): INodeProperties[] {
	const show = { [field]: [value] };
	return [
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			required: true,
			placeholder: 'PEM private key, from its -----BEGIN line to its -----END line',
			description: 'PEM private key of the certificate (PKCS#8 or PKCS#1, optionally encrypted)',
			displayOptions: { show },
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for an encrypted private key',
			displayOptions: { show },
		},
		{
			displayName: 'Certificate',
			name: 'certificate',
			type: 'string',
			typeOptions: { rows: 6 },
			default: '',
			required: true,
			placeholder: '-----BEGIN CERTIFICATE-----',
			description:
				'PEM certificate uploaded to the app registration; intermediate certificates may follow it. The thumbprint is computed from it.',
			displayOptions: { show },
		},
		{
			displayName: 'Thumbprint Algorithm',
			name: 'thumbprintAlgorithm',
			type: 'options',
			options: [
				{ name: 'SHA-256 (PS256)', value: 'sha256', description: 'Assertion header x5t#S256; the current default' },
				{
					name: 'SHA-1 (RS256)',
					value: 'sha1',
					description: 'Assertion header x5t; only where SHA-256 is not accepted',
				},
			],
			default: 'sha256',
			description:
				'How the signed client assertion names the certificate. SHA-256 is current; SHA-1 only for setups that require it.',
			displayOptions: { show },
		},
		{
			displayName: 'Send Certificate Chain',
			name: 'sendCertificateChain',
			type: 'boolean',
			default: false,
			description:
				'Whether to send the certificate (and chain) in the x5c header, for subject name + issuer authentication',
			displayOptions: { show },
		},
	];
}

/** Filled by preAuthentication, saved by n8n, sent as Bearer; emptied by n8n on 401 to get a new one. */
export const accessTokenProperty: INodeProperties = {
	displayName: 'Access Token',
	name: 'accessToken',
	type: 'hidden',
	typeOptions: { expirable: true, password: true },
	default: '',
};

export const bearerAuthentication = {
	type: 'generic' as const,
	properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } },
};
