import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from '../core/context';
import { AdminError, requireParam } from '../core/admin';
import { newGuid } from '../core/ids';
import { findApp, findPrincipal, findUser } from './directory';
import type { IdentityState } from './model';

/** Entra's look of a client secret: 3 characters, '8Q~', 34 more. */
function secretValue(): string {
	const chars = randomBytes(40).toString('base64').replace(/[+/=]/g, '');
	return `${chars.slice(0, 3)}8Q~${chars.slice(3, 37)}`;
}

/** Entra admin operations (app roles, secrets, sign-in sessions) and the token-endpoint outage switch. */
export function registerEntraAdmin(ctx: EmulatorContext, ids: IdentityState): void {
	const permissionsOf = (ref: string) => {
		const p = findPrincipal(ctx.state, ref);
		if (!p) throw new AdminError(`No app registration or managed identity '${ref}'`, 404, 'NotFound');
		return p.kind === 'app'
			? { appId: p.app.appId, list: p.app.applicationPermissions }
			: { appId: p.mi.clientId, list: p.mi.applicationPermissions };
	};
	ctx.admin.register('Grant-AppRole', (body) => {
		const { appId, list } = permissionsOf(requireParam(body, 'AppId'));
		const permission = requireParam(body, 'Permission');
		if (!list.some((p) => p.toLowerCase() === permission.toLowerCase())) list.push(permission);
		return { AppId: appId, Permissions: [...list] };
	});
	ctx.admin.register('Revoke-AppRole', (body) => {
		const { appId, list } = permissionsOf(requireParam(body, 'AppId'));
		const permission = requireParam(body, 'Permission').toLowerCase();
		const index = list.findIndex((p) => p.toLowerCase() === permission);
		if (index >= 0) list.splice(index, 1);
		return { AppId: appId, Permissions: [...list] };
	});
	const delegatedOf = (body: Record<string, unknown>) => {
		const app = findApp(ctx.state, requireParam(body, 'AppId'));
		if (!app) throw new AdminError(`No app registration '${String(body.AppId)}'`, 404, 'NotFound');
		return app;
	};
	ctx.admin.register('Grant-DelegatedPermission', (body) => {
		const app = delegatedOf(body);
		const permission = requireParam(body, 'Permission');
		if (!app.delegatedPermissions.some((p) => p.toLowerCase() === permission.toLowerCase()))
			app.delegatedPermissions.push(permission);
		return { AppId: app.appId, DelegatedPermissions: [...app.delegatedPermissions] };
	});
	ctx.admin.register('Revoke-DelegatedPermission', (body) => {
		const app = delegatedOf(body);
		const permission = requireParam(body, 'Permission').toLowerCase();
		app.delegatedPermissions = app.delegatedPermissions.filter((p) => p.toLowerCase() !== permission);
		for (const [key, set] of ids.userConsents) {
			if (key.startsWith(`${app.appId}|`)) for (const p of [...set]) if (p.toLowerCase() === permission) set.delete(p);
		}
		return { AppId: app.appId, DelegatedPermissions: [...app.delegatedPermissions] };
	});
	ctx.admin.register('Add-AppSecret', (body) => {
		const app = delegatedOf(body);
		const value = typeof body.Value === 'string' && body.Value ? body.Value : secretValue();
		const seconds = body.ExpiresInSeconds === undefined ? 730 * 86400 : Number(body.ExpiresInSeconds);
		const secret = { id: newGuid(), value, expiresAt: ctx.clock.now() + seconds * 1000 };
		app.secrets.push(secret);
		return { Value: value, KeyId: secret.id, EndDateTime: new Date(secret.expiresAt).toISOString() };
	});
	ctx.admin.register('Expire-AppSecrets', (body) => {
		const app = delegatedOf(body);
		const now = ctx.clock.now();
		for (const s of app.secrets) s.expiresAt = Math.min(s.expiresAt, now - 1000);
		return { AppId: app.appId, Expired: app.secrets.length };
	});
	ctx.admin.register('Revoke-MgUserSignInSession', (body) => {
		const user = findUser(ctx.state, requireParam(body, 'UserId'));
		if (!user) throw new AdminError(`No user '${String(body.UserId)}'`, 404, 'NotFound');
		ids.tokensValidFrom.set(user.id, ctx.clock.now());
		return { value: true };
	});
	ctx.admin.register('Set-TokenOutage', (body: { Status?: number; Count?: number; RetryAfter?: number }) => {
		const status = Number(body.Status ?? 503);
		if (!Number.isInteger(status) || status < 400 || status > 599)
			throw new AdminError('Status must be an HTTP error status (400-599)');
		ids.outage = {
			status,
			remaining: body.Count === undefined || body.Count === null ? Infinity : Number(body.Count),
			retryAfter: body.RetryAfter === undefined ? undefined : Number(body.RetryAfter),
		};
		return { Status: status, Count: body.Count ?? null };
	});
	ctx.admin.register('Clear-TokenOutage', () => {
		ids.outage = undefined;
		return {};
	});
}
