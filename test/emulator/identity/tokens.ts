import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from '../core/context';
import { randomToken } from '../core/ids';
import type { AppRegistration, Mailbox, ManagedIdentity } from '../core/state';
import type { IdentityState } from './model';
import type { ParsedScopes } from './scopes';

const uti = () => randomBytes(16).toString('base64url').slice(0, 22);

function times(ctx: EmulatorContext, lifetimeSeconds = ctx.state.settings.accessTokenLifetimeSeconds) {
	const iat = Math.floor(ctx.clock.now() / 1000);
	return { iat, nbf: iat, exp: iat + lifetimeSeconds, lifetimeSeconds };
}

/** appidacr: 0 public client, 1 client secret, 2 certificate. */
export type ClientAuthMethod = 'none' | 'secret' | 'certificate';
const appidacr = (m: ClientAuthMethod) => (m === 'none' ? '0' : m === 'secret' ? '1' : '2');

/** The claims every app-only token has (v1 tokens, as Graph receives them), for an app or a managed identity. */
function appOnlyClaims(
	ctx: EmulatorContext,
	t: ReturnType<typeof times>,
	who: { audience: string; displayName: string; appId: string; objectId: string; appidacr: string; roles: string[] },
): Record<string, unknown> {
	const tid = ctx.state.tenant.id;
	const claims: Record<string, unknown> = {
		aud: who.audience,
		iss: `https://sts.windows.net/${tid}/`,
		iat: t.iat,
		nbf: t.nbf,
		exp: t.exp,
		aio: randomToken(24),
		app_displayname: who.displayName,
		appid: who.appId,
		appidacr: who.appidacr,
		idp: `https://sts.windows.net/${tid}/`,
		idtyp: 'app',
		oid: who.objectId,
		rh: '0.' + randomToken(16),
		sub: who.objectId,
		tid,
		uti: uti(),
		ver: '1.0',
	};
	if (who.roles.length) claims.roles = [...who.roles];
	return claims;
}

export function appOnlyToken(ctx: EmulatorContext, app: AppRegistration, audience: string, auth: ClientAuthMethod) {
	const t = times(ctx);
	const claims = {
		...appOnlyClaims(ctx, t, {
			audience,
			displayName: app.displayName,
			appId: app.appId,
			objectId: app.servicePrincipalId,
			appidacr: appidacr(auth),
			roles: app.applicationPermissions,
		}),
		tenant_region_scope: 'EU',
		wids: ['0997a1d0-0d1d-4acb-b408-d5ca73121e90'],
		xms_tcdt: t.iat - 86400 * 365,
	};
	return { token: ctx.signJwt(claims), expiresIn: t.lifetimeSeconds, expiresOn: t.exp };
}

export function managedIdentityToken(ctx: EmulatorContext, mi: ManagedIdentity, audience: string) {
	const t = times(ctx);
	const claims = {
		...appOnlyClaims(ctx, t, {
			audience,
			displayName: mi.displayName,
			appId: mi.clientId,
			objectId: mi.objectId,
			appidacr: '2',
			roles: mi.applicationPermissions,
		}),
		xms_mirid: mi.resourceId,
	};
	return { token: ctx.signJwt(claims), expiresIn: t.lifetimeSeconds, expiresOn: t.exp, notBefore: t.nbf };
}

/** The delegated permissions a user's token carries for an app: tenant-wide consent plus the user's own. */
export function consentedPermissions(ids: IdentityState, app: AppRegistration, user: Mailbox): string[] {
	const own = ids.userConsents.get(`${app.appId}|${user.id}`) ?? new Set<string>();
	const all = new Map<string, string>();
	for (const p of [...app.delegatedPermissions, ...own]) all.set(p.toLowerCase(), p);
	return [...all.values()].filter((p) => p.toLowerCase() !== 'offline_access' && p.toLowerCase() !== 'openid');
}

export interface UserTokenInput {
	app: AppRegistration;
	user: Mailbox;
	scopes: ParsedScopes;
	auth: ClientAuthMethod;
	authorityHost: string;
	nonce?: string;
	/** Continue a sign-in session (refresh): its start; new sign-ins start now. */
	sessionStart?: number;
}

/** Access token, id token, client_info and (with offline_access) a new refresh token for a signed-in user. */
export function userTokenResponse(
	ctx: EmulatorContext,
	ids: IdentityState,
	input: UserTokenInput,
): Record<string, unknown> {
	const { app, user, scopes } = input;
	const t = times(ctx);
	const tid = ctx.state.tenant.id;
	const granted = consentedPermissions(ids, app, user);
	const [given, ...rest] = user.displayName.split(' ');
	const access: Record<string, unknown> = {
		aud: scopes.audience,
		iss: `https://sts.windows.net/${tid}/`,
		iat: t.iat,
		nbf: t.nbf,
		exp: t.exp,
		acct: 0,
		acr: '1',
		aio: randomToken(24),
		amr: ['pwd'],
		app_displayname: app.displayName,
		appid: app.appId,
		appidacr: appidacr(input.auth),
		family_name: rest.join(' ') || undefined,
		given_name: given,
		idtyp: 'user',
		ipaddr: '127.0.0.1',
		name: user.displayName,
		oid: user.id,
		platf: '14',
		rh: '0.' + randomToken(16),
		scp: granted.join(' '),
		sid: randomToken(16),
		sub: randomToken(32),
		tenant_region_scope: 'EU',
		tid,
		unique_name: user.upn,
		upn: user.upn,
		uti: uti(),
		ver: '1.0',
		xms_tcdt: t.iat - 86400 * 365,
	};
	const scopeList = [...granted.map((p) => (scopes.prefixed ? `${scopes.audience}/${p}` : p)), ...scopes.oidc];
	const body: Record<string, unknown> = {
		token_type: 'Bearer',
		scope: scopeList.join(' '),
		expires_in: t.lifetimeSeconds,
		ext_expires_in: t.lifetimeSeconds,
		access_token: ctx.signJwt(access),
	};
	if (scopes.oidc.includes('offline_access')) {
		const now = ctx.clock.now();
		const refreshToken = `1.A${randomToken(60)}`;
		ids.refreshTokens.set(refreshToken, {
			appId: app.appId,
			userId: user.id,
			audience: scopes.audience,
			issuedAt: now,
			expiresAt: now + ctx.state.settings.refreshTokenLifetimeSeconds * 1000,
			sessionStart: input.sessionStart ?? now,
		});
		body.refresh_token = refreshToken;
	}
	if (scopes.oidc.includes('openid') || scopes.oidc.includes('profile')) {
		body.id_token = ctx.signJwt({
			aud: app.appId,
			iss: `${input.authorityHost}/${tid}/v2.0`,
			iat: t.iat,
			nbf: t.nbf,
			exp: t.exp,
			name: user.displayName,
			nonce: input.nonce,
			oid: user.id,
			preferred_username: user.upn,
			rh: '0.' + randomToken(16),
			sub: randomToken(32),
			tid,
			uti: uti(),
			ver: '2.0',
		});
	}
	body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tid })).toString('base64url');
	return body;
}
