import { createHash } from 'node:crypto';
import type { EmulatorContext, EmuRequest, EmuResponse, Handler } from '../core/context';
import type { AppRegistration, Mailbox } from '../core/state';
import { authenticateClient, basicCredentials } from './clientAuth';
import { consentError, scopesOrError } from './delegated';
import { findApp, findUser, tenantMatches } from './directory';
import { aadError } from './errors';
import type { IdentityState } from './model';
import { appOnlyToken, userTokenResponse, type ClientAuthMethod } from './tokens';
import { outageResponse } from './outage';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const isResponse = (x: unknown): x is EmuResponse => typeof x === 'object' && x !== null && 'status' in x;
const iso = (ms: number) => new Date(ms).toISOString();

interface GrantInput {
	ctx: EmulatorContext;
	ids: IdentityState;
	req: EmuRequest;
	form: URLSearchParams;
	app: AppRegistration;
	tenantSegment: string;
	multiTenantPath: boolean;
}

export function tokenEndpoint(ctx: EmulatorContext, ids: IdentityState): Handler {
	return async (req) => {
		req.logTags.kind = 'token';
		await ctx.sleep(ctx.state.settings.tokenLatencyMs);
		const form = req.form();
		const grant = form.get('grant_type') ?? '';
		req.logTags.grantType = grant === DEVICE_CODE_GRANT ? 'device_code' : grant || undefined;
		const outage = outageResponse(ctx, ids, req);
		if (outage) return outage;
		const tenantSegment = req.params.tenant;
		const tenant = tenantMatches(ctx.state, tenantSegment);
		if (!tenant) return unknownTenant(ctx, req, tenantSegment);
		const clientId = form.get('client_id') ?? basicCredentials(req)?.clientId;
		if (!clientId) {
			return aadError(
				ctx.clock,
				req,
				'invalid_request',
				900144,
				"The request body must contain the following parameter: 'client_id'.",
			);
		}
		const app = findApp(ctx.state, clientId);
		if (!app) return unknownApp(ctx, req, clientId);
		req.logTags.appId = app.appId;
		const input: GrantInput = { ctx, ids, req, form, app, tenantSegment, multiTenantPath: tenant === 'multi' };
		switch (grant) {
			case 'client_credentials':
				return clientCredentials(input);
			case 'refresh_token':
				return refreshToken(input);
			case 'password':
				return password(input);
			case 'authorization_code':
				return authorizationCode(input);
			case DEVICE_CODE_GRANT:
			case 'device_code':
				return deviceCode(input);
			case '':
				return aadError(
					ctx.clock,
					req,
					'invalid_request',
					900144,
					"The request body must contain the following parameter: 'grant_type'.",
				);
			default:
				return aadError(
					ctx.clock,
					req,
					'unsupported_grant_type',
					70003,
					`The app requested an unsupported grant type '${grant}'.`,
				);
		}
	};
}

export function unknownTenant(ctx: EmulatorContext, req: EmuRequest, segment: string): EmuResponse {
	return aadError(
		ctx.clock,
		req,
		'invalid_request',
		90002,
		`Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
	);
}

export function unknownApp(ctx: EmulatorContext, req: EmuRequest, clientId: string): EmuResponse {
	return aadError(
		ctx.clock,
		req,
		'unauthorized_client',
		700016,
		`Application with identifier '${clientId}' was not found in the directory '${ctx.state.tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
	);
}

function clientCredentials({ ctx, req, form, app, tenantSegment, multiTenantPath }: GrantInput): EmuResponse {
	if (multiTenantPath) {
		return aadError(
			ctx.clock,
			req,
			'invalid_request',
			50059,
			'No tenant-identifying information found in either the request or implied by any provided credentials.',
		);
	}
	const auth = authenticateClient(ctx, req, form, app, tenantSegment, true);
	if (isResponse(auth)) return auth;
	const scope = form.get('scope');
	if (!scope)
		return aadError(
			ctx.clock,
			req,
			'invalid_request',
			900144,
			"The request body must contain the following parameter: 'scope'.",
		);
	const parsed = scopesOrError(ctx, req, scope);
	if (isResponse(parsed)) return parsed;
	if (!parsed.isDefault || parsed.permissions.length !== 1 || parsed.oidc.length) {
		return aadError(
			ctx.clock,
			req,
			'invalid_scope',
			1002012,
			`The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
		);
	}
	const t = appOnlyToken(ctx, app, parsed.audience, auth);
	return {
		status: 200,
		body: { token_type: 'Bearer', expires_in: t.expiresIn, ext_expires_in: t.expiresIn, access_token: t.token },
	};
}

/** Delegated grants: client authentication for public and confidential clients, scope and consent checks, tokens. */
function issueForUser(
	{ ctx, ids, req, form, app, tenantSegment }: GrantInput,
	user: Mailbox,
	scope: string,
	extra: { nonce?: string; sessionStart?: number; forceRefreshToken?: boolean; auth?: ClientAuthMethod } = {},
): EmuResponse {
	const auth = extra.auth ?? authenticateClient(ctx, req, form, app, tenantSegment, false);
	if (isResponse(auth)) return auth;
	const parsed = scopesOrError(ctx, req, scope);
	if (isResponse(parsed)) return parsed;
	if (extra.forceRefreshToken && !parsed.oidc.includes('offline_access')) parsed.oidc.push('offline_access');
	const denied = consentError(ctx, ids, req, app, user, parsed);
	if (denied) return denied;
	const body = userTokenResponse(ctx, ids, {
		app,
		user,
		scopes: parsed,
		auth,
		authorityHost: req.baseUrl,
		nonce: extra.nonce,
		sessionStart: extra.sessionStart,
	});
	return { status: 200, body };
}

function refreshToken(input: GrantInput): EmuResponse {
	const { ctx, ids, req, form, app } = input;
	const token = form.get('refresh_token');
	if (!token)
		return aadError(
			ctx.clock,
			req,
			'invalid_request',
			900144,
			"The request body must contain the following parameter: 'refresh_token'.",
		);
	const record = ids.refreshTokens.get(token);
	if (!record)
		return aadError(ctx.clock, req, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
	if (record.appId !== app.appId) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			70000,
			'Provided grant is invalid or malformed. The refresh token was issued to a different client.',
		);
	}
	// Client authentication first: a confidential client's refresh token is useless without its credential.
	const auth = authenticateClient(ctx, req, form, app, input.tenantSegment, false);
	if (isResponse(auth)) return auth;
	const now = ctx.clock.now();
	const validFrom = ids.tokensValidFrom.get(record.userId);
	if (validFrom !== undefined && record.issuedAt < validFrom) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			50173,
			`The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${iso(record.issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${iso(validFrom)}'.`,
		);
	}
	const maxAge = ctx.state.settings.refreshTokenMaxAgeSeconds;
	if (maxAge > 0 && now > record.sessionStart + maxAge * 1000) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			70008,
			'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
		);
	}
	if (now > record.expiresAt) {
		const idle = Math.round((now - record.issuedAt) / 1000);
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			700082,
			`The refresh token has expired due to inactivity. The token was issued on ${iso(record.issuedAt)} and was inactive for ${idle} seconds.`,
		);
	}
	const user = findUser(ctx.state, record.userId);
	if (!user)
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			50034,
			`The user account ${record.userId} does not exist in the ${ctx.state.tenant.domain} directory.`,
		);
	const scope = form.get('scope') || `${record.audience}/.default openid profile offline_access`;
	return issueForUser(input, user, scope, { sessionStart: record.sessionStart, forceRefreshToken: true, auth });
}

function password(input: GrantInput): EmuResponse {
	const { ctx, req, form } = input;
	const username = form.get('username') ?? '';
	const user = findUser(input.ctx.state, username);
	if (!user || !user.password) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			50034,
			`The user account ${username} does not exist in the ${ctx.state.tenant.domain} directory. To sign into this application, the account must be added to the directory.`,
		);
	}
	if (form.get('password') !== user.password) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			50126,
			'Error validating credentials due to invalid username or password.',
		);
	}
	const scope = form.get('scope');
	if (!scope)
		return aadError(
			ctx.clock,
			req,
			'invalid_request',
			900144,
			"The request body must contain the following parameter: 'scope'.",
		);
	return issueForUser(input, user, scope);
}

function authorizationCode(input: GrantInput): EmuResponse {
	const { ctx, ids, req, form, app } = input;
	const code = form.get('code') ?? '';
	const record = ids.authorizationCodes.get(code);
	if (!record)
		return aadError(ctx.clock, req, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
	if (record.appId !== app.appId) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			70000,
			'Provided grant is invalid or malformed. The authorization code was issued to a different client.',
		);
	}
	if (record.redeemed)
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			54005,
			'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
		);
	if (ctx.clock.now() > record.expiresAt) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			70008,
			'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
		);
	}
	if ((form.get('redirect_uri') ?? '') !== record.redirectUri) {
		return aadError(
			ctx.clock,
			req,
			'invalid_grant',
			500112,
			`The reply address '${form.get('redirect_uri') ?? ''}' does not match the reply address '${record.redirectUri}' provided when requesting Authorization code.`,
		);
	}
	if (record.codeChallenge) {
		const verifier = form.get('code_verifier') ?? '';
		const computed =
			record.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
		if (!verifier || computed !== record.codeChallenge) {
			return aadError(
				ctx.clock,
				req,
				'invalid_grant',
				501481,
				'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
			);
		}
	}
	const user = findUser(ctx.state, record.userId)!;
	const response = issueForUser(input, user, form.get('scope') || record.scope, { nonce: record.nonce });
	if (response.status === 200) record.redeemed = true;
	return response;
}

function deviceCode(input: GrantInput): EmuResponse {
	const { ctx, ids, req, form, app } = input;
	const record = ids.deviceCodes.get(form.get('device_code') ?? form.get('code') ?? '');
	if (!record || record.appId !== app.appId) {
		return aadError(
			ctx.clock,
			req,
			'bad_verification_code',
			// 70018 BadVerificationCode per Entra's AADSTS reference (70019 there is CodeExpired).
			70018,
			"The provided value for the input parameter 'device_code' is not valid.",
		);
	}
	if (!app.publicClient) {
		const auth = authenticateClient(ctx, req, form, app, input.tenantSegment, false);
		if (isResponse(auth)) return auth;
	}
	if (ctx.clock.now() > record.expiresAt) {
		return aadError(
			ctx.clock,
			req,
			'expired_token',
			70020,
			"The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
		);
	}
	if (record.status === 'pending') {
		return aadError(
			ctx.clock,
			req,
			'authorization_pending',
			70016,
			'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
		);
	}
	if (record.status === 'denied') {
		return aadError(ctx.clock, req, 'authorization_declined', 70000, 'The user declined the sign-in request.');
	}
	if (record.status === 'redeemed') {
		return aadError(ctx.clock, req, 'invalid_grant', 54005, 'The device code was already redeemed.');
	}
	const user = findUser(ctx.state, record.userId)!;
	const response = issueForUser(input, user, form.get('scope') || record.scope);
	if (response.status === 200) record.status = 'redeemed';
	return response;
}
