/**
 * National clouds: which Entra authority host and which Graph endpoint belong together.
 * Custom is for sovereign or private deployments (and for the project's emulator).
 */
export type CloudName = 'global' | 'usGov' | 'usGovDod' | 'china' | 'custom';

export interface CloudEndpoints {
	/** https://login.microsoftonline.com, no trailing slash */
	authorityHost: string;
	/** Graph root without version, e.g. https://graph.microsoft.com */
	graphBaseUrl: string;
	/** Scope for client credentials / managed identity: `${graphBaseUrl}/.default` */
	graphScope: string;
	/** Resource (audience) for managed identity: the Graph base URL */
	graphResource: string;
}

export const CLOUDS: Record<Exclude<CloudName, 'custom'>, { authorityHost: string; graphBaseUrl: string }> = {
	global: { authorityHost: 'https://login.microsoftonline.com', graphBaseUrl: 'https://graph.microsoft.com' },
	usGov: { authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://graph.microsoft.us' },
	usGovDod: { authorityHost: 'https://login.microsoftonline.us', graphBaseUrl: 'https://dod-graph.microsoft.us' },
	china: {
		authorityHost: 'https://login.chinacloudapi.cn',
		graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn',
	},
};

export const CLOUD_NAMES: CloudName[] = ['global', 'usGov', 'usGovDod', 'china', 'custom'];

export class CloudConfigurationError extends Error {
	constructor(
		message: string,
		readonly field: string,
	) {
		super(message);
		this.name = 'CloudConfigurationError';
	}
}

function normaliseBaseUrl(value: unknown, field: string, label: string): string {
	const text = typeof value === 'string' ? value.trim() : '';
	if (!text) {
		throw new CloudConfigurationError(`${label} is required when Cloud is "Custom"`, field);
	}
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- plain Node too (seed command); callers with a node wrap it
		throw new CloudConfigurationError(`${label} "${text}" is not a URL: enter e.g. https://login.example.com`, field);
	}
	if (url.protocol !== 'https:') {
		// msal-node and Graph both refuse plain HTTP authorities; real clouds are HTTPS.
		throw new CloudConfigurationError(`${label} must start with https://`, field);
	}
	if (url.search || url.hash) {
		throw new CloudConfigurationError(`${label} must not contain a query or fragment`, field);
	}
	// A user may paste ".../v1.0" for Graph: the version is appended by the transport.
	let path = url.pathname.replace(/\/+$/, '');
	if (field === 'graphBaseUrl') path = path.replace(/\/(v1\.0|beta)$/i, '');
	return `${url.protocol}//${url.host}${path}`;
}

/** Endpoints for the credential's cloud. Accepts any credential shape that has `cloud` (+ custom fields). */
export function resolveCloud(credentials: {
	cloud?: unknown;
	authorityHost?: unknown;
	graphBaseUrl?: unknown;
}): CloudEndpoints {
	const cloud = (credentials.cloud ?? 'global') as CloudName;
	let authorityHost: string;
	let graphBaseUrl: string;
	if (cloud === 'custom') {
		// Managed identity has no authority host: token code that needs one checks it (requireAuthorityHost).
		const given = typeof credentials.authorityHost === 'string' && credentials.authorityHost.trim() !== '';
		authorityHost = given ? normaliseBaseUrl(credentials.authorityHost, 'authorityHost', 'Authority Host') : '';
		graphBaseUrl = normaliseBaseUrl(credentials.graphBaseUrl, 'graphBaseUrl', 'Graph Base URL');
	} else if (cloud in CLOUDS) {
		({ authorityHost, graphBaseUrl } = CLOUDS[cloud as keyof typeof CLOUDS]);
	} else {
		throw new CloudConfigurationError(
			`Unknown cloud "${String(cloud)}": choose one of ${CLOUD_NAMES.join(', ')}`,
			'cloud',
		);
	}
	return { authorityHost, graphBaseUrl, graphScope: `${graphBaseUrl}/.default`, graphResource: graphBaseUrl };
}

/** For flows that talk to Entra: a Custom cloud must name its authority host. */
export function requireAuthorityHost(endpoints: CloudEndpoints): string {
	if (!endpoints.authorityHost) {
		throw new CloudConfigurationError('Authority Host is required when Cloud is "Custom"', 'authorityHost');
	}
	return endpoints.authorityHost;
}
