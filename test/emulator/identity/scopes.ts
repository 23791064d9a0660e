import { isGraphAudience, GRAPH_GLOBAL } from '../core/graphToken';

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export interface ParsedScopes {
	/** Audience of the token: the resource as the client named it (no trailing slash); Graph when unnamed. */
	audience: string;
	/** Whether the client named the resource in its scopes (then the answer's `scope` names it too). */
	prefixed: boolean;
	/** Permission names without the resource, e.g. Mail.Send; '.default' stays as is. */
	permissions: string[];
	oidc: string[];
	isDefault: boolean;
}

export type ScopeProblem = { problem: 'unknown-resource'; resource: string } | { problem: 'multiple-resources' };

export function parseScopes(scope: string, graphBaseUrl: string): ParsedScopes | ScopeProblem {
	const items = scope.split(/\s+/).filter(Boolean);
	const resources = new Set<string>();
	const permissions: string[] = [];
	const oidc: string[] = [];
	let named: string | undefined;
	for (const item of items) {
		if (OIDC_SCOPES.includes(item.toLowerCase())) {
			oidc.push(item.toLowerCase());
			continue;
		}
		const slash = item.lastIndexOf('/');
		if (slash > 0) {
			const resource = item.slice(0, slash).replace(/\/+$/, '');
			if (!isGraphAudience(resource, graphBaseUrl)) return { problem: 'unknown-resource', resource };
			resources.add(resource.toLowerCase());
			named = resource;
			permissions.push(item.slice(slash + 1));
		} else {
			resources.add(GRAPH_GLOBAL);
			permissions.push(item);
		}
	}
	if (resources.size > 1) return { problem: 'multiple-resources' };
	return {
		audience: named ?? GRAPH_GLOBAL,
		prefixed: Boolean(named),
		permissions,
		oidc,
		isDefault: permissions.some((p) => p.toLowerCase() === '.default'),
	};
}

export const sameScope = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
