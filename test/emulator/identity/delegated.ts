import type { EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import type { AppRegistration, Mailbox } from '../core/state';
import { aadError } from './errors';
import type { IdentityState } from './model';
import { parseScopes, type ParsedScopes } from './scopes';
import { consentedPermissions } from './tokens';

const PERMISSION_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

/** Parses a scope parameter and reports Entra's scope errors. */
export function scopesOrError(ctx: EmulatorContext, req: EmuRequest, scope: string): ParsedScopes | EmuResponse {
	const parsed = parseScopes(scope, req.baseUrl);
	if ('problem' in parsed) {
		if (parsed.problem === 'multiple-resources') {
			return aadError(
				ctx.clock,
				req,
				'invalid_request',
				28000,
				'Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ' +
					scope +
					' is not valid.',
			);
		}
		return aadError(
			ctx.clock,
			req,
			'invalid_resource',
			500011,
			`The resource principal named ${parsed.resource} was not found in the tenant named ${ctx.state.tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
		);
	}
	const invalid = parsed.permissions.find((p) => p !== '.default' && !PERMISSION_NAME.test(p));
	if (invalid) {
		return aadError(
			ctx.clock,
			req,
			'invalid_scope',
			70011,
			`The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
		);
	}
	return parsed;
}

/** Every permission the client asked for must be consented (tenant-wide or by this user), else AADSTS65001. */
export function consentError(
	ctx: EmulatorContext,
	ids: IdentityState,
	req: EmuRequest,
	app: AppRegistration,
	user: Mailbox,
	scopes: ParsedScopes,
): EmuResponse | undefined {
	const granted = new Set(consentedPermissions(ids, app, user).map((p) => p.toLowerCase()));
	const missing = scopes.permissions.filter((p) => p !== '.default' && !granted.has(p.toLowerCase()));
	if (!missing.length) return undefined;
	return aadError(
		ctx.clock,
		req,
		'invalid_grant',
		65001,
		`The user or administrator has not consented to use the application with ID '${app.appId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
		400,
		{},
	);
}

/** Interactive consent (authorize page, device code approval): the user consents to what the client asked for. */
export function recordConsent(ids: IdentityState, app: AppRegistration, user: Mailbox, permissions: string[]): void {
	const key = `${app.appId}|${user.id}`;
	const set = ids.userConsents.get(key) ?? new Set<string>();
	for (const p of permissions) if (p !== '.default') set.add(p);
	ids.userConsents.set(key, set);
}
