/**
 * The outside judge: Microsoft Graph's published v1.0 metadata (mail subset, test/metadata/v1.0-<cloud>.mail.json)
 * checks request paths, query options and response bodies. Tests feed it the emulator's request log and the
 * emulator's answers; nothing here knows what the package or the emulator meant to do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { MetadataSubset, OperationDef, StructuredTypeDef } from './csdl';

export type MetadataCloud = 'Prod' | 'Fairfax' | 'Mooncake';

/** The package's cloud names → the CSDL Microsoft publishes for that cloud (custom: the emulator is Global). */
export const METADATA_OF_CLOUD: Record<string, MetadataCloud> = {
	global: 'Prod',
	usGov: 'Fairfax',
	usGovDod: 'Fairfax',
	china: 'Mooncake',
};

/** Names of the bound operations the subset keeps in any cloud (regenerate.ts OPERATIONS). */
const OPERATION_NAMES = new Set(
	[
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
	].map((name) => name.toLowerCase()),
);

const cache = new Map<MetadataCloud, Metadata>();

export function loadMetadata(cloud: MetadataCloud): Metadata {
	let meta = cache.get(cloud);
	if (!meta) {
		const subset = JSON.parse(readFileSync(join(__dirname, `v1.0-${cloud}.mail.json`), 'utf8')) as MetadataSubset;
		meta = new Metadata(cloud, subset);
		cache.set(cloud, meta);
	}
	return meta;
}

interface Resolved {
	/** 'Collection(message)', 'message', 'uploadSession', 'Edm.Stream'... */
	type: string;
	/** Human-readable walk, e.g. users/{key}/mailFolders/{key}/messages/delta() */
	walk: string;
	operation?: OperationDef;
}

function elementOf(type: string): string {
	return /^Collection\((.*)\)$/.exec(type)?.[1] ?? type;
}
function isCollection(type: string) {
	return type.startsWith('Collection(');
}

export class Metadata {
	constructor(
		readonly cloud: MetadataCloud,
		readonly subset: MetadataSubset,
	) {}

	type(name: string): StructuredTypeDef | undefined {
		return this.subset.types[name];
	}

	/** The type and its base types, most derived first. */
	lineage(name: string): StructuredTypeDef[] {
		const out: StructuredTypeDef[] = [];
		for (let t = this.type(name); t; t = t.baseType ? this.type(t.baseType) : undefined) out.push(t);
		return out;
	}

	/** A structural or navigation property of the type (base types included): its type, or undefined. */
	member(
		typeName: string,
		name: string,
		caseInsensitive = false,
	): { type: string; nullable: boolean; navigation: boolean } | undefined {
		for (const t of this.lineage(typeName)) {
			const pick = <T>(record: Record<string, T>) =>
				record[name] ??
				(caseInsensitive
					? Object.entries(record).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
					: undefined);
			const property = pick(t.properties);
			if (property) return { ...property, navigation: false };
			const navigation = pick(t.navigation);
			if (navigation) return { type: navigation.type, nullable: true, navigation: true };
		}
		return undefined;
	}

	/** Derived types of a type (for casts and @odata.type in answers). */
	isSubtype(derived: string, base: string): boolean {
		return this.lineage(derived).some((t) => t === this.type(base));
	}

	/** Bound operation named `name` for a binding of `type` (Collection(x) or x), base types of x included. */
	operation(type: string, name: string): OperationDef | undefined {
		const element = elementOf(type);
		const collection = isCollection(type);
		return this.subset.operations.find((op) => {
			if (op.name.toLowerCase() !== name.toLowerCase() || isCollection(op.bindingType) !== collection) return false;
			const bound = elementOf(op.bindingType);
			return bound === element || this.isSubtype(element, bound);
		});
	}

	/**
	 * Resolves a Graph path (with or without /v1.0, keys as segments or in parentheses) as OData would.
	 * Throws an Error naming the segment that the metadata does not have.
	 */
	resolvePath(rawPath: string): Resolved {
		const path = rawPath.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
		const segments = path
			.split('/')
			.filter(Boolean)
			.map((s) => decodeURIComponent(s));
		if (segments[0] === 'v1.0') segments.shift();
		const keyed: string[] = [];
		for (const segment of segments) {
			// users('x') and messages('id') key syntax
			const m = /^([A-Za-z$][\w.]*)\((.*)\)$/.exec(segment);
			if (m && m[1] !== 'Collection') keyed.push(m[1], `(${m[2]})`);
			else keyed.push(segment);
		}
		let current: Resolved | undefined;
		for (const segment of keyed) {
			if (!current) {
				const set = this.subset.entitySets[segment] ?? this.subset.entitySets[segment.toLowerCase()];
				const singleton = this.subset.singletons[segment] ?? this.subset.singletons[segment.toLowerCase()];
				if (set) current = { type: `Collection(${set})`, walk: segment };
				else if (singleton) current = { type: singleton, walk: segment };
				else throw new Error(`${this.cloud}: no entity set or singleton "${segment}"`);
				continue;
			}
			if (current.operation) throw new Error(`${this.cloud}: segment "${segment}" after operation ${current.walk}`);
			if (isCollection(current.type)) {
				const op = this.operation(current.type, segment);
				if (op) {
					current = { type: op.returnType ?? 'Edm.Untyped', walk: `${current.walk}/${segment}()`, operation: op };
					continue;
				}
				if (segment === '$count') {
					current = { type: 'Edm.Int32', walk: `${current.walk}/$count` };
					continue;
				}
				if (segment.startsWith('microsoft.graph.')) {
					const cast = segment.slice('microsoft.graph.'.length);
					if (!this.type(cast) || !this.isSubtype(cast, elementOf(current.type))) {
						throw new Error(`${this.cloud}: no type ${segment} derived from ${elementOf(current.type)}`);
					}
					current = { type: `Collection(${cast})`, walk: `${current.walk}/${segment}` };
					continue;
				}
				// An operation name that this cloud does not bind here is missing, not a key: ids are never "delta".
				if (OPERATION_NAMES.has(segment.toLowerCase())) {
					throw new Error(`${this.cloud}: no bound operation "${segment}" on ${current.type} (${current.walk})`);
				}
				// Anything else after a collection is a key.
				current = { type: elementOf(current.type), walk: `${current.walk}/{key}` };
				continue;
			}
			const typeName = current.type;
			if (!this.type(typeName)) throw new Error(`${this.cloud}: cannot walk into ${typeName} at "${segment}"`);
			if (segment === '$value') {
				// Media: an entity with HasStream; Graph also serves a file attachment's raw bytes at attachments/{id}/$value
				// (documented on attachment-get, "Get the raw contents of a file attachment"), which CSDL does not mark.
				const media = this.lineage(typeName).some((t) => t.hasStream) || this.isSubtype(typeName, 'attachment');
				if (!media) throw new Error(`${this.cloud}: ${typeName} has no $value`);
				current = { type: 'Edm.Stream', walk: `${current.walk}/$value` };
				continue;
			}
			// Graph matches path segments without regard to case (emulator and service alike).
			const member = this.member(typeName, segment, true);
			if (member) {
				current = { type: member.type, walk: `${current.walk}/${segment}` };
				continue;
			}
			const op = this.operation(typeName, segment);
			if (op) {
				current = { type: op.returnType ?? 'Edm.Untyped', walk: `${current.walk}/${segment}()`, operation: op };
				continue;
			}
			throw new Error(
				`${this.cloud}: ${typeName} has no property, navigation or bound operation "${segment}" (${current.walk})`,
			);
		}
		if (!current) throw new Error(`${this.cloud}: empty path`);
		return current;
	}

	/** Property path like from/emailAddress/address on a structured type; returns the leaf type or throws. */
	propertyPath(typeName: string, path: string): string {
		let type = typeName;
		for (const part of path.split('/')) {
			const element = elementOf(type);
			if (!this.type(element)) throw new Error(`${this.cloud}: ${element} has no members ("${path}")`);
			const member = this.member(element, part);
			if (!member) throw new Error(`${this.cloud}: ${element} has no property "${part}" ("${path}")`);
			type = member.type;
		}
		return type;
	}

	/**
	 * Checks $select, $expand, $orderby and $filter against the type a request addresses. Returns the problems
	 * (empty when the metadata has every property the query names).
	 */
	checkQuery(resourceType: string, query: URLSearchParams): string[] {
		const problems: string[] = [];
		const target = elementOf(resourceType);
		const attempt = (fn: () => void) => {
			try {
				fn();
			} catch (error) {
				problems.push((error as Error).message);
			}
		};
		const list = (name: string) =>
			(query.get(name) ?? '')
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean);
		for (const field of list('$select')) attempt(() => this.propertyPath(target, field));
		for (const field of list('$expand')) {
			attempt(() => {
				const name = field.split('(')[0];
				const member = this.member(target, name);
				if (!member?.navigation) throw new Error(`${this.cloud}: ${target} has no navigation property "${name}"`);
			});
		}
		for (const clause of list('$orderby')) {
			attempt(() => this.propertyPath(target, clause.replace(/\s+(asc|desc)$/i, '').trim()));
		}
		const filter = query.get('$filter');
		if (filter) for (const path of filterPaths(filter)) attempt(() => this.filterPath(target, path));
		return problems;
	}

	private filterPath(target: string, item: FilterPath) {
		if (item.lambda) {
			const collection = this.propertyPath(target, item.lambda.collection);
			if (!isCollection(collection)) throw new Error(`${this.cloud}: ${item.lambda.collection} is not a collection`);
			if (item.path) this.propertyPath(elementOf(collection), item.path);
			return;
		}
		this.propertyPath(target, item.path);
	}

	/**
	 * Checks a JSON value Graph (or the emulator) returned against a type: every property must be declared
	 * with that type (open types allow extra names only as instance annotations). Returns the problems.
	 */
	checkValue(typeName: string, value: unknown, at = typeName): string[] {
		const problems: string[] = [];
		if (value === null) return problems;
		const edm = EDM_CHECKS[typeName];
		if (edm) {
			if (!edm(value)) problems.push(`${at}: ${JSON.stringify(value)?.slice(0, 80)} is not ${typeName}`);
			return problems;
		}
		if (isCollection(typeName)) {
			if (!Array.isArray(value)) return [`${at}: expected an array for ${typeName}`];
			value.forEach((v, i) => problems.push(...this.checkValue(elementOf(typeName), v, `${at}[${i}]`)));
			return problems;
		}
		const members = this.subset.enums[typeName];
		if (members) {
			if (typeof value !== 'string' || !value.split(',').every((v) => members.includes(v.trim()))) {
				problems.push(`${at}: ${JSON.stringify(value)} is not a member of ${typeName} (${members.join(', ')})`);
			}
			return problems;
		}
		if (!this.type(typeName)) return [`${at}: type ${typeName} is not in the metadata subset`];
		if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object of ${typeName}`];
		let actual = typeName;
		const odataType = (value as Record<string, unknown>)['@odata.type'];
		if (typeof odataType === 'string') {
			const named = odataType.replace(/^#?microsoft\.graph\./, '');
			if (!this.type(named) || !this.isSubtype(named, typeName)) {
				problems.push(`${at}: @odata.type ${odataType} is not ${typeName} or derived from it`);
			} else actual = named;
		}
		for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
			if (key.includes('@')) continue; // instance annotations: @odata.type, @odata.etag, @removed, x@odata.nextLink
			const member = this.member(actual, key);
			if (!member) {
				problems.push(`${at}.${key}: ${actual} has no property "${key}"`);
				continue;
			}
			if (v === null && !member.nullable) problems.push(`${at}.${key}: null but not nullable`);
			problems.push(...this.checkValue(member.type, v, `${at}.${key}`));
		}
		return problems;
	}
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const EDM_CHECKS: Record<string, (v: unknown) => boolean> = {
	'Edm.String': (v) => typeof v === 'string',
	'Edm.Boolean': (v) => typeof v === 'boolean',
	'Edm.Int32': (v) => Number.isInteger(v),
	'Edm.Int64': (v) => Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)),
	'Edm.Double': (v) => typeof v === 'number',
	'Edm.DateTimeOffset': (v) => typeof v === 'string' && ISO.test(v),
	'Edm.Date': (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
	'Edm.TimeOfDay': (v) => typeof v === 'string' && /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v),
	'Edm.Duration': (v) => typeof v === 'string' && /^-?P/.test(v),
	'Edm.Guid': (v) => typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v),
	'Edm.Binary': (v) => typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v),
	'Edm.Stream': () => true,
	'Edm.Untyped': () => true,
};

interface FilterPath {
	path: string;
	lambda?: { collection: string; variable: string };
}

const KEYWORDS = new Set([
	'eq',
	'ne',
	'gt',
	'ge',
	'lt',
	'le',
	'and',
	'or',
	'not',
	'true',
	'false',
	'null',
	'has',
	'in',
]);
const FUNCTIONS = new Set(['startswith', 'endswith', 'contains', 'tolower', 'toupper', 'trim', 'length', 'indexof']);

/** Property paths a $filter names. Lambda bodies (r: r/emailAddress/address) are resolved on the element type. */
export function filterPaths(filter: string): FilterPath[] {
	const tokens = filter.match(/'(?:[^']|'')*'|[A-Za-z_][\w.]*(?:\/[A-Za-z_][\w.]*)*|\d[\w:.+-]*|\S/g) ?? [];
	const out: FilterPath[] = [];
	const lambdas: Array<{ collection: string; variable: string }> = [];
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i];
		if (!/^[A-Za-z_]/.test(token) || KEYWORDS.has(token)) continue;
		if (FUNCTIONS.has(token.toLowerCase()) && tokens[i + 1] === '(') continue;
		if (tokens[i + 1] === ':') continue; // lambda variable declaration
		const lambdaCall = /^(.*)\/(any|all)$/.exec(token);
		if (lambdaCall) {
			const variable = tokens[i + 2];
			if (tokens[i + 1] === '(' && tokens[i + 3] === ':') lambdas.push({ collection: lambdaCall[1], variable });
			out.push({ path: '', lambda: { collection: lambdaCall[1], variable } });
			continue;
		}
		const [head, ...rest] = token.split('/');
		const lambda = lambdas.find((l) => l.variable === head);
		if (lambda) out.push({ path: rest.join('/'), lambda });
		else out.push({ path: token });
	}
	return out;
}
