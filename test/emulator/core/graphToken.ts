import type { AccessTokenClaims, Clock, EmuResponse, TokenCheck } from './context';
import type { TokenSigner } from './jwt';
import type { EmulatorState } from './state';

export const GRAPH_GLOBAL = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Audiences Graph accepts: the emulator's own base URL, Global Graph, Graph's app id; with or without a trailing slash. */
export function isGraphAudience(aud: string, graphBaseUrl: string): boolean {
	const a = aud.replace(/\/+$/, '').toLowerCase();
	return a === graphBaseUrl.toLowerCase() || a === GRAPH_GLOBAL || a === GRAPH_APP_ID;
}

export function createGraphTokenVerifier(
	signer: TokenSigner,
	clock: Clock,
	state: EmulatorState,
	graphBaseUrl: () => string,
	graphError: (status: number, code: string, message: string, headers?: Record<string, string>) => EmuResponse,
) {
	const deny = (message: string): TokenCheck => ({
		ok: false,
		response: graphError(401, 'InvalidAuthenticationToken', message, {
			'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
		}),
	});
	return (authorization: string | undefined): TokenCheck => {
		const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
		if (!match) return deny('Access token is empty.');
		const token = match[1];
		if (token.split('.').length !== 3) return deny('IDX14100: JWT is not well formed, there are no dots (.).');
		const jwt = signer.verify(token);
		if (!jwt) return deny('Access token validation failure. Invalid signature.');
		const claims = jwt.payload as AccessTokenClaims;
		if (typeof claims.aud !== 'string' || !isGraphAudience(claims.aud, graphBaseUrl())) {
			return deny('Access token validation failure. Invalid audience.');
		}
		if (claims.tid !== state.tenant.id) return deny('Access token validation failure. Invalid issuer.');
		const now = Math.floor(clock.now() / 1000);
		if (typeof claims.exp !== 'number' || claims.exp <= now)
			return deny('Lifetime validation failed, the token is expired.');
		if (typeof claims.nbf === 'number' && claims.nbf > now + 300)
			return deny('Lifetime validation failed, the token is not yet valid.');
		return { ok: true, claims };
	};
}
