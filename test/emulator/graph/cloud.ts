/**
 * Which national cloud's Graph the emulator plays. Microsoft publishes one v1.0 metadata document per cloud
 * (msgraph-metadata schemas/v1.0-{Prod,Fairfax,Mooncake}.csdl) and they differ: China's has no message delta and
 * no message flag, US Government's no createUploadSession for message attachments. In a cloud other than Global,
 * a request whose path or query names what that cloud's metadata lacks is refused the way Graph refuses a segment
 * or property its model does not have (400 "Resource not found for the segment ...", 400 "Could not find a
 * property named ..."), before any mailbox handling. The metadata subset is test/metadata (the oracle's data).
 * No source was found for the exact answer Graph China gives on messages/delta: the texts are Graph's generic
 * OData ones, which the emulator already gives for unknown segments and $select properties (a listed risk).
 */
import { AdminError } from '../core/admin';
import type { EmulatorContext, EmuResponse } from '../core/context';
import { loadMetadata, type MetadataCloud } from '../../metadata/oracle';

export type GraphCloud = 'Global' | 'USGov' | 'China';

const METADATA: Record<GraphCloud, MetadataCloud> = { Global: 'Prod', USGov: 'Fairfax', China: 'Mooncake' };
const clouds = new WeakMap<EmulatorContext, GraphCloud>();

export function graphCloudOf(ctx: EmulatorContext): GraphCloud {
	return clouds.get(ctx) ?? 'Global';
}

export function registerCloudAdmin(ctx: EmulatorContext): void {
	ctx.admin.register('Set-GraphCloud', (body) => {
		const cloud = (body as { Cloud?: unknown } | undefined)?.Cloud;
		if (cloud !== 'Global' && cloud !== 'USGov' && cloud !== 'China') {
			throw new AdminError('Cloud must be Global, USGov or China');
		}
		clouds.set(ctx, cloud);
		return { Cloud: cloud };
	});
	ctx.admin.register('Get-GraphCloud', () => ({ Cloud: graphCloudOf(ctx) }));
}

/** A refusal when the current cloud's metadata lacks a segment or a queried property; undefined otherwise. */
export function cloudRefusal(
	ctx: EmulatorContext,
	segments: string[],
	query: URLSearchParams,
): EmuResponse | undefined {
	const cloud = graphCloudOf(ctx);
	if (cloud === 'Global') return undefined;
	const meta = loadMetadata(METADATA[cloud]);
	let type: string;
	try {
		type = meta.resolvePath(`/${segments.map(encodeURIComponent).join('/')}`).type;
	} catch (error) {
		const missing = /"([^"]+)"/.exec((error as Error).message)?.[1] ?? segments[segments.length - 1];
		return ctx.graphError(400, 'BadRequest', `Resource not found for the segment '${missing}'.`);
	}
	const problems = meta.checkQuery(type, query);
	if (problems.length) {
		const property = /property "([^"]+)"/.exec(problems[0])?.[1] ?? '';
		const on = /: (\w+) has no/.exec(problems[0])?.[1] ?? 'message';
		return ctx.graphError(
			400,
			'RequestBroker--ParseUri',
			`Could not find a property named '${property}' on type 'microsoft.graph.${on}'.`,
		);
	}
	return undefined;
}
