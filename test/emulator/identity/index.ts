/** Entra ID as msal-node sees it: token, device code, authorize, discovery, JWKS; Azure managed-identity endpoints. */
import type { EmulatorContext } from '../core/context';
import type { TokenSigner } from '../core/jwt';
import { registerEntraAdmin } from './admin';
import { authorizeEndpoint, registerAuthorizeAdmin } from './authorize';
import { deviceCodeEndpoint, registerDeviceCodeAdmin } from './deviceCode';
import { findUser } from './directory';
import { instanceDiscovery, jwks, openIdConfiguration } from './discovery';
import { appServiceEndpoint, imdsEndpoint } from './managedIdentity';
import type { IdentityState } from './model';
import { tokenEndpoint } from './tokenEndpoint';

export interface IdentityOptions {
	signer: TokenSigner;
	identityHeader: string;
	interactiveUser?: string;
	graphBaseUrl: () => string;
}

export function registerIdentity(ctx: EmulatorContext, opts: IdentityOptions): IdentityState {
	const ids: IdentityState = {
		signer: opts.signer,
		identityHeader: opts.identityHeader,
		graphBaseUrl: opts.graphBaseUrl,
		interactive: { userId: findUser(ctx.state, opts.interactiveUser)?.id, deny: false },
		refreshTokens: new Map(),
		authorizationCodes: new Map(),
		deviceCodes: new Map(),
		userConsents: new Map(),
		tokensValidFrom: new Map(),
	};
	const r = ctx.router;
	r.add('POST', '/:tenant/oauth2/v2.0/token', tokenEndpoint(ctx, ids));
	r.add('POST', '/:tenant/oauth2/v2.0/devicecode', deviceCodeEndpoint(ctx, ids));
	r.add('GET', '/:tenant/oauth2/v2.0/authorize', authorizeEndpoint(ctx, ids));
	r.add('POST', '/:tenant/oauth2/v2.0/authorize', authorizeEndpoint(ctx, ids));
	r.add('GET', '/:tenant/v2.0/.well-known/openid-configuration', (req) => openIdConfiguration(ctx, req, 'v2.0'));
	r.add('GET', '/:tenant/.well-known/openid-configuration', (req) => openIdConfiguration(ctx, req, 'v1'));
	r.add('GET', '/common/discovery/instance', instanceDiscovery);
	r.add('GET', '/:tenant/discovery/v2.0/keys', (req) => jwks(ids, req));
	r.add('GET', '/:tenant/discovery/keys', (req) => jwks(ids, req));
	// The page a device-code message points at; here the user is played by the admin operation.
	r.add('GET', '/devicelogin', () => ({
		status: 200,
		headers: { 'Content-Type': 'text/html; charset=utf-8' },
		body: '<!DOCTYPE html><html><body><p>Enter code: this emulator signs users in through POST /_emulator/admin/Approve-DeviceCode {"UserCode": "..."}.</p></body></html>',
	}));
	r.add('GET', '/metadata/identity/oauth2/token', imdsEndpoint(ctx, ids), 'http');
	r.add('GET', '/msi/token', appServiceEndpoint(ctx, ids), 'http');
	registerEntraAdmin(ctx, ids);
	registerDeviceCodeAdmin(ctx, ids);
	registerAuthorizeAdmin(ctx, ids);
	return ids;
}
