import type { EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import { tenantMatches } from './directory';
import { aadError } from './errors';
import type { IdentityState } from './model';

/** OpenID configuration as Entra publishes it; endpoints carry the tenant id (or the multi-tenant alias asked for). */
export function openIdConfiguration(ctx: EmulatorContext, req: EmuRequest, version: 'v2.0' | 'v1'): EmuResponse {
	const segment = req.params.tenant;
	const kind = tenantMatches(ctx.state, segment);
	if (!kind) {
		return aadError(
			ctx.clock,
			req,
			'invalid_tenant',
			90002,
			`Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
		);
	}
	const base = req.baseUrl;
	const t = kind === 'tenant' ? ctx.state.tenant.id : segment.toLowerCase();
	const issuerTenant = kind === 'tenant' ? ctx.state.tenant.id : '{tenantid}';
	const v2 = version === 'v2.0';
	const host = new URL(base).host;
	return {
		status: 200,
		body: {
			token_endpoint: `${base}/${t}/oauth2/${v2 ? 'v2.0/' : ''}token`,
			token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
			jwks_uri: `${base}/${t}/discovery/${v2 ? 'v2.0/' : ''}keys`,
			response_modes_supported: ['query', 'fragment', 'form_post'],
			subject_types_supported: ['pairwise'],
			id_token_signing_alg_values_supported: ['RS256'],
			response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
			scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
			issuer: v2 ? `${base}/${issuerTenant}/v2.0` : `https://sts.windows.net/${issuerTenant}/`,
			request_uri_parameter_supported: false,
			userinfo_endpoint: `${base}/oidc/userinfo`,
			authorization_endpoint: `${base}/${t}/oauth2/${v2 ? 'v2.0/' : ''}authorize`,
			device_authorization_endpoint: `${base}/${t}/oauth2/${v2 ? 'v2.0/' : ''}devicecode`,
			http_logout_supported: true,
			frontchannel_logout_supported: true,
			end_session_endpoint: `${base}/${t}/oauth2/${v2 ? 'v2.0/' : ''}logout`,
			claims_supported: [
				'sub',
				'iss',
				'cloud_instance_name',
				'cloud_instance_host_name',
				'cloud_graph_host_name',
				'msgraph_host',
				'aud',
				'exp',
				'iat',
				'auth_time',
				'acr',
				'nonce',
				'preferred_username',
				'name',
				'tid',
				'ver',
				'at_hash',
				'c_hash',
				'email',
			],
			kerberos_endpoint: `${base}/${t}/kerberos`,
			tenant_region_scope: kind === 'tenant' ? 'EU' : null,
			cloud_instance_name: host,
			cloud_graph_host_name: host,
			msgraph_host: host,
			rbac_url: base,
		},
	};
}

/** GET /common/discovery/instance: the emulator's host is its own cloud with no aliases. */
export function instanceDiscovery(req: EmuRequest): EmuResponse {
	const host = new URL(req.baseUrl).host;
	return {
		status: 200,
		body: {
			tenant_discovery_endpoint: `${req.baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
			'api-version': '1.1',
			metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
		},
	};
}

export function jwks(ids: IdentityState, req: EmuRequest): EmuResponse {
	return { status: 200, body: ids.signer.jwks(`${req.baseUrl}/{tenantid}/v2.0`) };
}
