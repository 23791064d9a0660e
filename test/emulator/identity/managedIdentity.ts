import type { EmulatorContext, EmuRequest, EmuResponse, Handler } from '../core/context';
import { isGraphAudience } from '../core/graphToken';
import { newGuid } from '../core/ids';
import type { ManagedIdentity } from '../core/state';
import type { IdentityState } from './model';
import { outageResponse } from './outage';
import { managedIdentityToken } from './tokens';

type Selector = { by: 'system' } | { by: 'clientId' | 'objectId' | 'resourceId'; value: string };

function selector(req: EmuRequest, resourceIdParams: string[]): Selector | 'ambiguous' {
	const found: Selector[] = [];
	const clientId = req.query.get('client_id');
	const objectId = req.query.get('object_id') ?? req.query.get('principal_id');
	const resourceId = resourceIdParams.map((p) => req.query.get(p)).find((v) => v);
	if (clientId) found.push({ by: 'clientId', value: clientId });
	if (objectId) found.push({ by: 'objectId', value: objectId });
	if (resourceId) found.push({ by: 'resourceId', value: resourceId });
	if (found.length > 1) return 'ambiguous';
	return found[0] ?? { by: 'system' };
}

function pick(ctx: EmulatorContext, sel: Selector): ManagedIdentity | undefined {
	const mis = ctx.state.managedIdentities;
	if (sel.by === 'system') return mis.find((m) => m.kind === 'system');
	const v = sel.value.toLowerCase();
	return mis.find((m) =>
		sel.by === 'clientId'
			? m.clientId.toLowerCase() === v
			: sel.by === 'objectId'
				? m.objectId.toLowerCase() === v
				: m.resourceId.toLowerCase() === v,
	);
}

const imdsError = (status: number, error: string, description: string): EmuResponse => ({
	status,
	body: { error, error_description: description },
});

/** GET /metadata/identity/oauth2/token (IMDS; msal adds a trailing slash). Numbers are strings, as IMDS sends them. */
export function imdsEndpoint(ctx: EmulatorContext, ids: IdentityState): Handler {
	return async (req) => {
		req.logTags.kind = 'mi';
		req.logTags.grantType = 'imds';
		await ctx.sleep(ctx.state.settings.tokenLatencyMs);
		const outage = outageResponse(ctx, ids, req);
		if (outage) return outage;
		if ((req.headers.metadata ?? '').toLowerCase() !== 'true') {
			return imdsError(400, 'invalid_request', 'Required metadata header not specified');
		}
		if (!req.query.get('api-version'))
			return imdsError(400, 'invalid_request', "Required query variable 'api-version' is missing");
		const resource = req.query.get('resource');
		if (!resource) return imdsError(400, 'invalid_request', 'Required audience parameter not specified');
		const sel = selector(req, ['msi_res_id', 'mi_res_id']);
		if (sel === 'ambiguous')
			return imdsError(400, 'invalid_request', 'Only one of client_id, object_id or msi_res_id may be given');
		const mi = pick(ctx, sel);
		if (!mi) return imdsError(400, 'invalid_request', 'Identity not found');
		req.logTags.appId = mi.clientId;
		if (!isGraphAudience(resource, ids.graphBaseUrl())) {
			return imdsError(
				400,
				'invalid_resource',
				`AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${ctx.state.tenant.displayName}.`,
			);
		}
		const t = managedIdentityToken(ctx, mi, resource);
		return {
			status: 200,
			body: {
				access_token: t.token,
				client_id: mi.clientId,
				expires_in: String(t.expiresIn),
				expires_on: String(t.expiresOn),
				ext_expires_in: String(t.expiresIn),
				not_before: String(t.notBefore),
				resource,
				token_type: 'Bearer',
			},
		};
	};
}

/** GET /msi/token?resource=...&api-version=2019-08-01 with X-IDENTITY-HEADER (App Service, Functions). */
export function appServiceEndpoint(ctx: EmulatorContext, ids: IdentityState): Handler {
	return async (req) => {
		req.logTags.kind = 'mi';
		req.logTags.grantType = 'app_service';
		await ctx.sleep(ctx.state.settings.tokenLatencyMs);
		const outage = outageResponse(ctx, ids, req);
		if (outage) return outage;
		const correlationId = newGuid();
		const fail = (status: number, message: string): EmuResponse => ({
			status,
			body: { statusCode: status, message, correlationId },
		});
		if (req.headers['x-identity-header'] !== ids.identityHeader)
			return fail(401, 'Unauthorized: the X-IDENTITY-HEADER header is missing or wrong.');
		if (req.query.get('api-version') !== '2019-08-01')
			return fail(400, "Unsupported or missing api-version; expected '2019-08-01'.");
		const resource = req.query.get('resource');
		if (!resource) return fail(400, 'Required parameter resource is missing.');
		const sel = selector(req, ['mi_res_id']);
		if (sel === 'ambiguous') return fail(400, 'Only one of client_id, object_id or mi_res_id may be given.');
		const mi = pick(ctx, sel);
		if (!mi) return fail(400, 'Unable to load the proper Managed Identity.');
		req.logTags.appId = mi.clientId;
		if (!isGraphAudience(resource, ids.graphBaseUrl())) {
			return fail(
				400,
				`AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${ctx.state.tenant.displayName}.`,
			);
		}
		const t = managedIdentityToken(ctx, mi, resource);
		return {
			status: 200,
			body: {
				access_token: t.token,
				expires_on: String(t.expiresOn),
				resource,
				token_type: 'Bearer',
				client_id: mi.clientId,
			},
		};
	};
}
