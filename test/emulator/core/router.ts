import type { EmuRequest, Handler, Router } from './context';

export type ServerKind = 'https' | 'http';

interface Route {
	method: string;
	segments: string[];
	handler: Handler;
	server: ServerKind;
	literals: number;
}

export interface MatchResult {
	handler: Handler;
	params: Record<string, string>;
}

export interface EmuRouter extends Router {
	match(method: string, rawPath: string, server: ServerKind): MatchResult | 'method-not-allowed' | undefined;
}

function decodeSegment(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
}

/** Graph's paths are case-insensitive, so literal segments match without regard to case. */
export function createRouter(): EmuRouter {
	const routes: Route[] = [];
	return {
		add(method, pattern, handler, server = 'https') {
			const segments = pattern.split('/').filter(Boolean);
			routes.push({
				method: method.toUpperCase(),
				segments,
				handler,
				server,
				literals: segments.filter((s) => !s.startsWith(':') && !s.startsWith('*')).length,
			});
		},
		match(method, rawPath, server) {
			const parts = rawPath.split('/').filter(Boolean).map(decodeSegment);
			let best: { route: Route; params: Record<string, string> } | undefined;
			let pathMatched = false;
			for (const route of routes) {
				if (route.server !== server) continue;
				const params = matchSegments(route.segments, parts);
				if (!params) continue;
				pathMatched = true;
				if (route.method !== '*' && route.method !== method.toUpperCase()) continue;
				if (!best || route.literals > best.route.literals) best = { route, params };
			}
			if (best) return { handler: best.route.handler, params: best.params };
			return pathMatched ? 'method-not-allowed' : undefined;
		},
	};
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
	const params: Record<string, string> = {};
	for (let i = 0; i < pattern.length; i++) {
		const seg = pattern[i];
		if (seg.startsWith('*')) {
			params[seg.slice(1) || 'rest'] = parts.slice(i).join('/');
			return params;
		}
		if (i >= parts.length) return undefined;
		if (seg.startsWith(':')) params[seg.slice(1)] = parts[i];
		else if (seg.toLowerCase() !== parts[i].toLowerCase()) return undefined;
	}
	return parts.length === pattern.length ? params : undefined;
}

export type { EmuRequest };
