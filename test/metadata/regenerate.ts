/**
 * Regenerates the mail subset of Microsoft Graph's published v1.0 metadata (test/metadata/v1.0-<cloud>.mail.json)
 * from the full CSDL files of microsoftgraph/msgraph-metadata (MIT, see LICENSE-msgraph-metadata beside this file).
 *
 *   npx tsx test/metadata/regenerate.ts --git-dir <clone>/.git            # reads HEAD:schemas/v1.0-*.csdl
 *   npx tsx test/metadata/regenerate.ts --commit <sha> --prod a.csdl --fairfax b.csdl --mooncake c.csdl
 *
 * The subset is what the package and the emulator touch: the mail entity and complex types with their base
 * types and the complex/enum types they use, the user's mail navigation, the bound actions and functions on
 * them, and the entity sets and singletons that start their paths.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as prettier from 'prettier';

import { parseCsdl, type FullModel, type MetadataSubset, type StructuredTypeDef } from './csdl';

export const CLOUD_FILES = {
	Prod: 'schemas/v1.0-Prod.csdl',
	Fairfax: 'schemas/v1.0-Fairfax.csdl',
	Mooncake: 'schemas/v1.0-Mooncake.csdl',
} as const;
export type MetadataCloud = keyof typeof CLOUD_FILES;

const ENTITY_ROOTS = [
	'message',
	'eventMessage',
	'mailFolder',
	'mailSearchFolder',
	'attachment',
	'fileAttachment',
	'itemAttachment',
	'referenceAttachment',
	'singleValueLegacyExtendedProperty',
	'multiValueLegacyExtendedProperty',
	'subscription',
	'user',
];
const COMPLEX_ROOTS = ['uploadSession', 'attachmentItem', 'recipient', 'emailAddress', 'itemBody', 'followupFlag'];

/** The user is huge; only what mail paths and identity reads use. */
const USER_PROPERTIES = ['userPrincipalName', 'displayName', 'mail', 'mailboxSettings'];
const USER_NAVIGATION = ['messages', 'mailFolders'];

const OPERATIONS = new Set([
	'sendMail',
	'send',
	'reply',
	'replyAll',
	'forward',
	'createReply',
	'createReplyAll',
	'createForward',
	'move',
	'copy',
	'delta',
	'createUploadSession',
	'permanentDelete',
]);

const ENTITY_SETS = ['users', 'subscriptions'];
const SINGLETONS = ['me'];

function elementType(type: string): string {
	return /^Collection\((.*)\)$/.exec(type)?.[1] ?? type;
}

export function subsetOf(model: FullModel, source: MetadataSubset['source']): MetadataSubset {
	const types: Record<string, StructuredTypeDef> = {};
	const enums: Record<string, string[]> = {};
	const queue = [...ENTITY_ROOTS, ...COMPLEX_ROOTS].filter((name) => model.types[name]);
	while (queue.length) {
		const name = queue.shift()!;
		if (types[name]) continue;
		const full = model.types[name];
		if (!full) continue;
		let def: StructuredTypeDef = full;
		if (name === 'user') {
			def = {
				...full,
				properties: Object.fromEntries(Object.entries(full.properties).filter(([p]) => USER_PROPERTIES.includes(p))),
				navigation: Object.fromEntries(Object.entries(full.navigation).filter(([p]) => USER_NAVIGATION.includes(p))),
			};
		}
		types[name] = def;
		if (def.baseType) queue.push(def.baseType);
		for (const property of Object.values(def.properties)) {
			const t = elementType(property.type);
			if (t.startsWith('Edm.')) continue;
			if (model.enums[t]) enums[t] = model.enums[t];
			else if (model.types[t]?.kind === 'complex') queue.push(t);
		}
	}
	const operations = model.operations
		.filter((op) => OPERATIONS.has(op.name))
		.filter((op) => {
			const bound = elementType(op.bindingType);
			if (bound === 'user') return op.name === 'sendMail';
			// users/delta etc. are directory reads, not mail.
			if (bound === 'directoryObject') return false;
			return bound in types && types[bound].kind === 'entity';
		})
		.sort((a, b) => `${a.bindingType}/${a.name}`.localeCompare(`${b.bindingType}/${b.name}`));
	for (const op of operations) {
		for (const t of [...Object.values(op.parameters), op.returnType ?? 'Edm.None'].map(elementType)) {
			if (!t.startsWith('Edm.') && model.types[t] && !types[t] && model.types[t].kind === 'complex') {
				// Parameter and return types (attachmentItem, uploadSession) are roots already; anything new is kept too.
				Object.assign(types, subsetOf({ ...model, operations: [] }, source).types);
			}
		}
	}
	const sorted = <T>(record: Record<string, T>) =>
		Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
	return {
		source,
		types: sorted(types),
		enums: sorted(enums),
		operations,
		entitySets: Object.fromEntries(ENTITY_SETS.filter((s) => model.entitySets[s]).map((s) => [s, model.entitySets[s]])),
		singletons: Object.fromEntries(SINGLETONS.filter((s) => model.singletons[s]).map((s) => [s, model.singletons[s]])),
	};
}

function arg(name: string): string | undefined {
	const index = process.argv.indexOf(`--${name}`);
	return index > 0 ? process.argv[index + 1] : undefined;
}

async function main() {
	const gitDir = arg('git-dir');
	const commit = gitDir
		? execFileSync('git', ['--git-dir', gitDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
		: arg('commit');
	if (!commit)
		throw new Error('Give --git-dir <msgraph-metadata git dir> or --commit <sha> with --prod/--fairfax/--mooncake');
	for (const [cloud, file] of Object.entries(CLOUD_FILES) as Array<[MetadataCloud, string]>) {
		const path = arg(cloud.toLowerCase());
		const xml = gitDir
			? execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${file}`], {
					encoding: 'utf8',
					maxBuffer: 64 * 1024 * 1024,
				})
			: path
				? readFileSync(path, 'utf8')
				: undefined;
		if (!xml) throw new Error(`No CSDL for ${cloud}: give --${cloud.toLowerCase()} <path> or --git-dir`);
		const subset = subsetOf(parseCsdl(xml), {
			repository: 'https://github.com/microsoftgraph/msgraph-metadata',
			commit,
			file,
			note: 'Mail subset extracted by test/metadata/regenerate.ts; MIT licence: LICENSE-msgraph-metadata',
		});
		const out = join(__dirname, `v1.0-${cloud}.mail.json`);
		// Written as the repository's prettier config formats it, so format:check stays clean after a refresh.
		const options = { ...((await prettier.resolveConfig(out)) ?? {}), filepath: out };
		writeFileSync(out, await prettier.format(JSON.stringify(subset), options));
		console.log(
			`${cloud}: ${Object.keys(subset.types).length} types, ${Object.keys(subset.enums).length} enums, ${subset.operations.length} operations -> ${out}`,
		);
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
