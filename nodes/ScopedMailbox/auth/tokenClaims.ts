/**
 * Reads, without verifying, the claims of a Graph access token this package obtained, to tell the user who
 * the identity is and what it may do. Verification is Graph's job.
 */
export interface AccessTokenDescription {
	kind: 'app' | 'delegated';
	appId: string;
	tenantId: string;
	objectId: string;
	upn?: string;
	displayName?: string;
	roles: string[];
	scopes: string[];
	audience?: string;
	expiresOn?: Date;
}

function decodeSegment(segment: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function describeAccessToken(accessToken: string): AccessTokenDescription | undefined {
	const parts = accessToken.split('.');
	if (parts.length !== 3) return undefined;
	let claims: Record<string, unknown>;
	try {
		claims = decodeSegment(parts[1]);
	} catch {
		return undefined;
	}
	const text = (key: string) => (typeof claims[key] === 'string' ? (claims[key] as string) : undefined);
	const scopes = (text('scp') ?? '').split(' ').filter(Boolean);
	const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
	const delegated = text('idtyp') === 'user' || scopes.length > 0;
	return {
		kind: delegated ? 'delegated' : 'app',
		appId: text('appid') ?? text('azp') ?? '',
		tenantId: text('tid') ?? '',
		objectId: text('oid') ?? '',
		upn: text('upn') ?? text('preferred_username'),
		displayName: text('app_displayname') ?? text('name'),
		roles,
		scopes,
		audience: text('aud'),
		expiresOn: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined,
	};
}
