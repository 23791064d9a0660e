import type { EmulatorContext, EmuRequest, EmuResponse, Handler } from '../core/context';
import { AdminError } from '../core/admin';
import { newGuid, randomToken } from '../core/ids';
import { recordConsent, scopesOrError } from './delegated';
import { findApp, findUser, tenantMatches } from './directory';
import type { IdentityState } from './model';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Registered redirect URIs: exact, with `*` wildcards, and loopback URIs match on any port (as Entra does for
 * http://localhost, RFC 8252).
 */
export function redirectUriAllowed(registered: string[], uri: string): boolean {
	let target: URL;
	try {
		target = new URL(uri);
	} catch {
		return false;
	}
	return registered.some((reg) => {
		if (reg === uri) return true;
		if (reg.includes('*')) {
			const pattern = new RegExp(
				'^' +
					reg
						.split('*')
						.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
						.join('.*') +
					'$',
				'i',
			);
			return pattern.test(uri);
		}
		try {
			const r = new URL(reg);
			return (
				LOOPBACK.has(r.hostname) &&
				r.hostname === target.hostname &&
				r.protocol === target.protocol &&
				r.pathname === target.pathname &&
				r.search === target.search
			);
		} catch {
			return false;
		}
	});
}

function errorPage(code: number, message: string): EmuResponse {
	return {
		status: 400,
		headers: { 'Content-Type': 'text/html; charset=utf-8' },
		body: `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><h1>Sign in</h1><p id="error">AADSTS${code}: ${escapeHtml(message)}</p></body></html>`,
	};
}

function redirect(redirectUri: string, mode: string | null, params: Record<string, string>): EmuResponse {
	if (mode === 'form_post') {
		const inputs = Object.entries(params)
			.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}"/>`)
			.join('');
		return {
			status: 200,
			headers: { 'Content-Type': 'text/html; charset=utf-8' },
			body: `<html><body onload="document.forms[0].submit()"><form method="POST" action="${escapeHtml(redirectUri)}">${inputs}</form></body></html>`,
		};
	}
	const qs = new URLSearchParams(params).toString();
	const base = redirectUri.split('#')[0];
	const location = mode === 'fragment' ? `${base}#${qs}` : `${base}${base.includes('?') ? '&' : '?'}${qs}`;
	return { status: 302, headers: { Location: location, 'Cache-Control': 'no-store' }, body: undefined };
}

/**
 * GET /{tenant}/oauth2/v2.0/authorize: no sign-in page; the configured interactive user (Set-InteractiveUser) signs in
 * and consents at once, and the browser is sent back with a code, as after a real sign-in.
 */
export function authorizeEndpoint(ctx: EmulatorContext, ids: IdentityState): Handler {
	return (req: EmuRequest) => {
		req.logTags.kind = 'token';
		req.logTags.grantType = 'authorize';
		const q = req.method === 'POST' ? req.form() : req.query;
		if (!tenantMatches(ctx.state, req.params.tenant)) {
			return errorPage(
				90002,
				`Tenant '${req.params.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
			);
		}
		const clientId = q.get('client_id') ?? '';
		const app = findApp(ctx.state, clientId);
		if (!app) {
			return errorPage(
				700016,
				`Application with identifier '${clientId}' was not found in the directory '${ctx.state.tenant.displayName}'.`,
			);
		}
		req.logTags.appId = app.appId;
		const redirectUri = q.get('redirect_uri') ?? app.redirectUris[0] ?? '';
		if (!redirectUriAllowed(app.redirectUris, redirectUri)) {
			return errorPage(
				50011,
				`The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
			);
		}
		const mode = q.get('response_mode');
		const state = q.get('state');
		const back = (params: Record<string, string>) =>
			redirect(redirectUri, mode, state === null ? params : { ...params, state });
		if (!(q.get('response_type') ?? '').split(' ').includes('code')) {
			return back({
				error: 'unsupported_response_type',
				error_description: "AADSTS700054: response_type 'code' is required for this flow.",
			});
		}
		const scope = q.get('scope') ?? '';
		const parsed = scopesOrError(ctx, req, scope || 'openid');
		if ('status' in parsed) {
			const body = parsed.body as { error: string; error_description: string };
			return back({ error: body.error, error_description: body.error_description });
		}
		const method = q.get('code_challenge_method') ?? (q.get('code_challenge') ? 'plain' : undefined);
		if (method && method !== 'S256' && method !== 'plain') {
			return back({
				error: 'invalid_request',
				error_description:
					'AADSTS501491: Invalid size of Code_Challenge parameter or unsupported code_challenge_method.',
			});
		}
		if (ids.interactive.deny) {
			return back({
				error: 'access_denied',
				error_description: 'AADSTS65004: User declined to consent to access the app.',
			});
		}
		const user = findUser(ctx.state, ids.interactive.userId);
		if (!user) {
			return back({
				error: 'login_required',
				error_description: 'AADSTS50058: A silent sign-in request was sent but no user is signed in.',
			});
		}
		recordConsent(ids, app, user, parsed.permissions);
		const code = `1.A${randomToken(120)}`;
		ids.authorizationCodes.set(code, {
			appId: app.appId,
			userId: user.id,
			redirectUri,
			scope,
			codeChallenge: q.get('code_challenge') ?? undefined,
			codeChallengeMethod: method,
			nonce: q.get('nonce') ?? undefined,
			expiresAt: ctx.clock.now() + ctx.state.settings.authorizationCodeLifetimeSeconds * 1000,
			redeemed: false,
		});
		return back({ code, session_state: newGuid() });
	};
}

export function registerAuthorizeAdmin(ctx: EmulatorContext, ids: IdentityState): void {
	ctx.admin.register('Set-InteractiveUser', (body: { User?: string | null; Deny?: boolean }) => {
		if (body.User) {
			const user = findUser(ctx.state, body.User);
			if (!user || !user.password)
				throw new AdminError(`User '${body.User}' cannot sign in (no such user with a password)`);
			ids.interactive.userId = user.id;
		} else if (body.User === null) {
			ids.interactive.userId = undefined;
		}
		ids.interactive.deny = Boolean(body.Deny);
		const user = findUser(ctx.state, ids.interactive.userId);
		return { User: user?.upn ?? null, Deny: ids.interactive.deny };
	});
}
