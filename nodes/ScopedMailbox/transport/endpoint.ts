/**
 * Where a request goes: which credential the node uses, that credential's Graph root and feature set, the URL,
 * and who the identity is (for error messages).
 */
import { NodeOperationError, type IDataObject } from 'n8n-workflow';

import { featureSetOf, type GraphFeatureSet } from '../auth/cloudFeatures';
import { resolveCloud } from '../auth/clouds';
import { accessTokenOf, isCredentialType } from '../auth/registry';
import { describeIdentity } from './errors';
import type { GraphContext } from './http';
import { encodeQuery } from './paths';

export function credentialTypeOf(ctx: GraphContext, itemIndex: number): string {
	let type: unknown;
	try {
		type = ctx.getNodeParameter('authentication', itemIndex);
	} catch {
		type = undefined;
	}
	if (typeof type !== 'string' || !type) {
		const configured = Object.keys(ctx.getNode().credentials ?? {});
		type = configured.find(isCredentialType) ?? configured[0];
	}
	if (typeof type !== 'string' || !type) {
		throw new NodeOperationError(ctx.getNode(), 'No credential selected', {
			description: 'Choose an Authentication method and a credential for it in the node.',
		});
	}
	return type;
}

/** Credential type and id: what the mailbox slots and the first-request gate are counted per. */
export function credentialKeyOf(ctx: GraphContext, credentialType: string): string {
	const id = ctx.getNode().credentials?.[credentialType]?.id ?? 'none';
	return `${credentialType}:${id}`;
}

const endpoints = new WeakMap<object, Map<string, { base: string; features: GraphFeatureSet }>>();

/** The credential's Graph root (e.g. https://graph.microsoft.com) and feature set, read once per node context. */
export async function graphEndpointOf(
	ctx: GraphContext,
	credentialType: string,
	itemIndex: number,
): Promise<{ base: string; features: GraphFeatureSet }> {
	let perContext = endpoints.get(ctx);
	if (!perContext) endpoints.set(ctx, (perContext = new Map()));
	const known = perContext.get(credentialType);
	if (known) return known;
	const credentials = await ctx.getCredentials(credentialType, itemIndex);
	let base: string;
	try {
		base = resolveCloud(
			credentials as { cloud?: unknown; authorityHost?: unknown; graphBaseUrl?: unknown },
		).graphBaseUrl;
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, {
			itemIndex,
			description: `Fix the credential's ${(error as { field?: string }).field ?? 'cloud'} setting.`,
		});
	}
	const endpoint = {
		base: base.replace(/\/+$/, ''),
		features: featureSetOf(credentials as { cloud?: unknown; graphFeatureSet?: unknown }),
	};
	perContext.set(credentialType, endpoint);
	return endpoint;
}

/** `app ...` / `user ... (app ...)` from the credential's current token, or undefined. */
export async function identityOf(
	ctx: GraphContext,
	credentialType: string,
	itemIndex: number,
): Promise<string | undefined> {
	try {
		const credentials = await ctx.getCredentials(credentialType, itemIndex);
		const oauth = credentials.oauthTokenData as { access_token?: unknown } | undefined;
		return describeIdentity(accessTokenOf(credentialType, credentials) ?? oauth?.access_token);
	} catch {
		return undefined;
	}
}

/**
 * The URL requested, always absolute and sent as it is: a Graph base URL with a path (custom clouds) and
 * verbatim nextLinks survive. Absolute URLs must stay on the Graph host: they carry the credential's token.
 */
export function targetUrl(
	ctx: GraphContext,
	base: string,
	options: { path: string; qs?: IDataObject; version?: string },
	itemIndex: number,
): string {
	const query = encodeQuery(options.qs);
	if (/^https?:\/\//i.test(options.path)) {
		const url = new URL(options.path);
		if (url.origin !== new URL(base).origin) {
			throw new NodeOperationError(ctx.getNode(), `Refusing to send the credential's token to ${url.origin}`, {
				itemIndex,
				description: `Graph links (such as @odata.nextLink) must point to the credential's Graph endpoint ${base}.`,
			});
		}
		if (!query) return options.path;
		return `${options.path}${options.path.includes('?') ? '&' : '?'}${query}`;
	}
	const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
	return `${base}/${options.version ?? 'v1.0'}${path}${query ? `?${query}` : ''}`;
}

/** The URL's path, for errors and logs (no query: it may hold user values). */
export function pathForErrors(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url.split('?')[0];
	}
}
