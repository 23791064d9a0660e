import { randomInt } from 'node:crypto';
import type { EmulatorContext, Handler } from '../core/context';
import { AdminError } from '../core/admin';
import { randomToken } from '../core/ids';
import { recordConsent, scopesOrError } from './delegated';
import { findApp, findUser, tenantMatches } from './directory';
import { aadError } from './errors';
import type { IdentityState } from './model';
import { outageResponse } from './outage';
import { unknownApp, unknownTenant } from './tokenEndpoint';

const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const userCode = () => Array.from({ length: 9 }, () => LETTERS[randomInt(LETTERS.length)]).join('');

/** POST /{tenant}/oauth2/v2.0/devicecode: starts a device code sign-in; Approve-DeviceCode plays the user. */
export function deviceCodeEndpoint(ctx: EmulatorContext, ids: IdentityState): Handler {
	return async (req) => {
		req.logTags.kind = 'token';
		req.logTags.grantType = 'devicecode';
		await ctx.sleep(ctx.state.settings.tokenLatencyMs);
		const outage = outageResponse(ctx, ids, req);
		if (outage) return outage;
		if (!tenantMatches(ctx.state, req.params.tenant)) return unknownTenant(ctx, req, req.params.tenant);
		const form = req.form();
		const app = findApp(ctx.state, form.get('client_id'));
		if (!app) return unknownApp(ctx, req, form.get('client_id') ?? '');
		req.logTags.appId = app.appId;
		const scope = form.get('scope') ?? '';
		if (!scope)
			return aadError(
				ctx.clock,
				req,
				'invalid_request',
				900144,
				"The request body must contain the following parameter: 'scope'.",
			);
		const parsed = scopesOrError(ctx, req, scope);
		if ('status' in parsed) return parsed;
		const s = ctx.state.settings;
		const code = userCode();
		const deviceCode = `DAQABAAEAAA${randomToken(90)}`;
		ids.deviceCodes.set(deviceCode, {
			deviceCode,
			userCode: code,
			appId: app.appId,
			scope,
			permissions: parsed.permissions,
			expiresAt: ctx.clock.now() + s.deviceCodeLifetimeSeconds * 1000,
			status: 'pending',
		});
		const verificationUri = `${req.baseUrl}/devicelogin`;
		return {
			status: 200,
			body: {
				user_code: code,
				device_code: deviceCode,
				verification_uri: verificationUri,
				expires_in: s.deviceCodeLifetimeSeconds,
				interval: s.deviceCodeIntervalSeconds,
				message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
			},
		};
	};
}

export function registerDeviceCodeAdmin(ctx: EmulatorContext, ids: IdentityState): void {
	const byUserCode = (code: unknown) => {
		const c = String(code ?? '')
			.toUpperCase()
			.replace(/[\s-]/g, '');
		const record = [...ids.deviceCodes.values()].find((d) => d.userCode === c);
		if (!record) throw new AdminError(`No device code sign-in with user code '${String(code)}'`, 404, 'NotFound');
		if (record.status !== 'pending')
			throw new AdminError(`Device code '${record.userCode}' is already ${record.status}`);
		if (ctx.clock.now() > record.expiresAt) throw new AdminError(`Device code '${record.userCode}' has expired`);
		return record;
	};
	ctx.admin.register('Approve-DeviceCode', (body: { UserCode?: string; User?: string }) => {
		const record = byUserCode(body.UserCode);
		const user = findUser(ctx.state, body.User ?? ids.interactive.userId);
		if (!user || !user.password)
			throw new AdminError(`User '${body.User ?? ''}' cannot sign in (no such user with a password)`);
		const app = findApp(ctx.state, record.appId)!;
		recordConsent(ids, app, user, record.permissions);
		record.status = 'approved';
		record.userId = user.id;
		return { UserCode: record.userCode, User: user.upn, Status: 'Approved' };
	});
	ctx.admin.register('Deny-DeviceCode', (body: { UserCode?: string }) => {
		const record = byUserCode(body.UserCode);
		record.status = 'denied';
		return { UserCode: record.userCode, Status: 'Denied' };
	});
	ctx.admin.register('Get-DeviceCodes', () =>
		[...ids.deviceCodes.values()].map((d) => ({
			UserCode: d.userCode,
			AppId: d.appId,
			Scope: d.scope,
			Status: d.status,
			ExpiresAt: new Date(d.expiresAt).toISOString(),
		})),
	);
}
