/**
 * What each national cloud's Microsoft Graph lacks of what this package uses, read from Microsoft's published
 * v1.0 metadata (microsoftgraph/msgraph-metadata, schemas/v1.0-{Prod,Fairfax,Mooncake}.csdl). The table is
 * checked against the committed metadata subset by test/metadata/cloudFeatures.test.ts: regenerate the subset
 * (test/metadata/regenerate.ts) and that test says when Microsoft adds or drops one of these.
 *
 * Requests the cloud cannot serve are refused here, before Graph is called, with the cloud and the
 * alternative named, instead of Graph's bare "Resource not found for the segment".
 */
import { NodeOperationError, type INode } from 'n8n-workflow';

import type { CloudName } from './clouds';

/** The metadata a credential's Graph follows: its cloud, or for Custom the "Graph Feature Set" field. */
export type GraphFeatureSet = 'global' | 'usGov' | 'china';

export type GraphFeature = 'messageDelta' | 'attachmentUploadSession' | 'messageFlag' | 'internetMessageHeaders';

/** Read from msgraph-metadata at the commit recorded in test/metadata/v1.0-*.mail.json (`source.commit`). */
export const GRAPH_LACKS: Record<GraphFeatureSet, readonly GraphFeature[]> = {
	global: [],
	// v1.0-Fairfax.csdl binds createUploadSession only to Collection(attachmentBase) (To Do), not to message attachments.
	usGov: ['attachmentUploadSession'],
	// v1.0-Mooncake.csdl: no delta function bound to Collection(message) or Collection(mailFolder); message has no
	// flag and no internetMessageHeaders property.
	china: ['messageDelta', 'messageFlag', 'internetMessageHeaders'],
};

export const FEATURE_SET_LABEL: Record<GraphFeatureSet, string> = {
	global: 'Global',
	usGov: 'US Government (GCC High / DoD)',
	china: 'China (21Vianet)',
};

const FEATURE_TEXT: Record<GraphFeature, { what: string; instead: string }> = {
	messageDelta: {
		what: 'message delta queries (mailFolders/{folder}/messages/delta), which the Scoped Mailbox Trigger and Instant Trigger read new mail with',
		instead:
			'Use a Schedule Trigger followed by this package\'s Message > List with a "Received After" filter (keep the last received time in the workflow) instead of the Scoped Mailbox triggers.',
	},
	attachmentUploadSession: {
		what: 'upload sessions for message attachments (attachments/createUploadSession), which attachments over 3 MB need',
		instead: 'Attach files of at most 3 MB, or share large files by link.',
	},
	messageFlag: {
		what: 'the message "flag" property (follow-up flags)',
		instead: 'Leave out the flag: remove Flag from Update Fields, "flag" from Fields and from filters.',
	},
	internetMessageHeaders: {
		what: 'the message "internetMessageHeaders" property (custom X- headers)',
		instead:
			'Remove the custom headers (Additional Fields > Internet Message Headers) and "internetMessageHeaders" from Fields.',
	},
};

export function featureSetOf(credentials: { cloud?: unknown; graphFeatureSet?: unknown }): GraphFeatureSet {
	const cloud = (credentials.cloud ?? 'global') as CloudName;
	if (cloud === 'china') return 'china';
	if (cloud === 'usGov' || cloud === 'usGovDod') return 'usGov';
	if (cloud === 'custom') {
		const set = credentials.graphFeatureSet;
		return set === 'china' || set === 'usGov' ? set : 'global';
	}
	return 'global';
}

export function graphLacks(set: GraphFeatureSet, feature: GraphFeature): boolean {
	return GRAPH_LACKS[set].includes(feature);
}

export function unsupportedError(node: INode, set: GraphFeatureSet, feature: GraphFeature, itemIndex?: number) {
	const text = FEATURE_TEXT[feature];
	return new NodeOperationError(
		node,
		`Microsoft Graph in the ${FEATURE_SET_LABEL[set]} cloud does not offer ${text.what}`,
		{
			itemIndex,
			description: `Microsoft's published Graph v1.0 metadata for ${FEATURE_SET_LABEL[set]} has no such operation or property, so the request was not sent. ${text.instead}`,
		},
	);
}

/** Throws before any Graph call when the credential's cloud lacks the feature. */
export function assertCloudSupports(node: INode, set: GraphFeatureSet, feature: GraphFeature, itemIndex?: number) {
	if (graphLacks(set, feature)) throw unsupportedError(node, set, feature, itemIndex);
}

interface RequestShape {
	path: string;
	qs?: Record<string, unknown>;
	body?: unknown;
}

const NAMED = (name: string) => new RegExp(`(^|[^\\w])${name}([^\\w]|$)`);

/** The features one Graph request (or each request inside a $batch body) uses. */
export function featuresOf(request: RequestShape): GraphFeature[] {
	const found = new Set<GraphFeature>();
	const visit = (path: string, qs: Record<string, unknown> | undefined, body: unknown) => {
		const [bare, query = ''] = path.split('?');
		if (/\/messages\/delta$/i.test(bare)) found.add('messageDelta');
		if (/\/attachments\/createUploadSession$/i.test(bare)) found.add('attachmentUploadSession');
		const params = new URLSearchParams(query);
		for (const [key, value] of Object.entries(qs ?? {})) params.set(key, String(value));
		// String literals ('flag' in a subject filter) name no property.
		const named = ['$select', '$filter', '$orderby', '$expand']
			.map((k) => params.get(k) ?? '')
			.join(' ')
			.replace(/'(?:[^']|'')*'/g, "''");
		if (NAMED('flag').test(named)) found.add('messageFlag');
		if (NAMED('internetMessageHeaders').test(named)) found.add('internetMessageHeaders');
		const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
		const message = (record?.message as Record<string, unknown> | undefined) ?? record;
		if (message && 'flag' in message) found.add('messageFlag');
		if (message && 'internetMessageHeaders' in message) found.add('internetMessageHeaders');
		if (Array.isArray(record?.requests)) {
			for (const inner of record.requests as Array<{ url?: unknown; body?: unknown }>) {
				if (typeof inner?.url === 'string') visit(inner.url, undefined, inner.body);
			}
		}
	};
	visit(request.path, request.qs, request.body);
	return [...found];
}

/** The transport's check: the first feature of this request that the cloud lacks, as the error to throw. */
export function cloudRefusal(node: INode, set: GraphFeatureSet, request: RequestShape, itemIndex?: number) {
	if (set === 'global') return undefined;
	const missing = featuresOf(request).find((f) => graphLacks(set, f));
	return missing ? unsupportedError(node, set, missing, itemIndex) : undefined;
}

/** The feature set of the node's selected credential (Global when none can be read: the transport checks again). */
export async function featureSetOfNode(
	ctx: {
		getNodeParameter(name: string, itemIndex: number, fallback?: unknown): unknown;
		getCredentials(type: string, itemIndex?: number): Promise<Record<string, unknown>>;
	},
	itemIndex: number,
): Promise<GraphFeatureSet> {
	try {
		const type = ctx.getNodeParameter('authentication', itemIndex, '') as string;
		return type ? featureSetOf(await ctx.getCredentials(type, itemIndex)) : 'global';
	} catch {
		return 'global';
	}
}
