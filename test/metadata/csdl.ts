/**
 * A reader for Microsoft Graph's CSDL (msgraph-metadata `schemas/v1.0-*.csdl`) that keeps only what the mail
 * oracle needs. The files are machine-written XML with one element per tag and no '>' inside attribute values,
 * so a tag scanner is enough and the project needs no XML parser.
 */

export interface PropertyDef {
	type: string;
	nullable: boolean;
}

export interface StructuredTypeDef {
	kind: 'entity' | 'complex';
	baseType?: string;
	abstract?: boolean;
	openType?: boolean;
	hasStream?: boolean;
	properties: Record<string, PropertyDef>;
	navigation: Record<string, { type: string; containsTarget: boolean }>;
}

export interface OperationDef {
	kind: 'Action' | 'Function';
	name: string;
	bindingType: string;
	parameters: Record<string, string>;
	returnType?: string;
}

export interface MetadataSubset {
	source: { repository: string; commit: string; file: string; note: string };
	types: Record<string, StructuredTypeDef>;
	enums: Record<string, string[]>;
	operations: OperationDef[];
	entitySets: Record<string, string>;
	singletons: Record<string, string>;
}

interface Tag {
	name: string;
	attrs: Record<string, string>;
	closing: boolean;
	selfClosing: boolean;
}

function* tags(xml: string): Generator<Tag> {
	const pattern = /<(\/?)([A-Za-z][\w:.]*)((?:\s+[\w:.]+="[^"]*")*)\s*(\/?)>/g;
	for (let m = pattern.exec(xml); m; m = pattern.exec(xml)) {
		const attrs: Record<string, string> = {};
		for (const a of m[3].matchAll(/([\w:.]+)="([^"]*)"/g)) attrs[a[1]] = decode(a[2]);
		yield { name: m[2], attrs, closing: m[1] === '/', selfClosing: m[4] === '/' };
	}
}

function decode(value: string): string {
	return value
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&amp;/g, '&');
}

/** `graph.x` / `microsoft.graph.x` -> `x`; `Collection(graph.x)` -> `Collection(x)`; Edm types unchanged. */
export function shortType(type: string): string {
	const collection = /^Collection\((.*)\)$/.exec(type);
	if (collection) return `Collection(${shortType(collection[1])})`;
	return type.replace(/^(microsoft\.graph|graph)\./, '');
}

export interface FullModel {
	types: Record<string, StructuredTypeDef>;
	enums: Record<string, string[]>;
	operations: OperationDef[];
	entitySets: Record<string, string>;
	singletons: Record<string, string>;
}

/** Reads the microsoft.graph schema of a CSDL file (other namespaces are skipped). */
export function parseCsdl(xml: string): FullModel {
	const model: FullModel = { types: {}, enums: {}, operations: [], entitySets: {}, singletons: {} };
	let namespace = '';
	let current: StructuredTypeDef | undefined;
	let currentEnum: string[] | undefined;
	let operation: (OperationDef & { firstParam?: boolean }) | undefined;
	let inContainer = false;
	let depthInAnnotation = 0;
	for (const tag of tags(xml)) {
		if (tag.name === 'Schema' && !tag.closing) namespace = tag.attrs.Namespace ?? '';
		if (namespace !== 'microsoft.graph') continue;
		// Annotations may hold Record/PropertyValue elements that look like nothing we read; skip them whole.
		if (tag.name === 'Annotations' || tag.name === 'Annotation') {
			if (tag.closing) depthInAnnotation--;
			else if (!tag.selfClosing) depthInAnnotation++;
			continue;
		}
		if (depthInAnnotation > 0) continue;
		switch (tag.name) {
			case 'EntityType':
			case 'ComplexType':
				if (tag.closing) {
					current = undefined;
					break;
				}
				current = {
					kind: tag.name === 'EntityType' ? 'entity' : 'complex',
					...(tag.attrs.BaseType ? { baseType: shortType(tag.attrs.BaseType) } : {}),
					...(tag.attrs.Abstract === 'true' ? { abstract: true } : {}),
					...(tag.attrs.OpenType === 'true' ? { openType: true } : {}),
					...(tag.attrs.HasStream === 'true' ? { hasStream: true } : {}),
					properties: {},
					navigation: {},
				};
				model.types[tag.attrs.Name] = current;
				if (tag.selfClosing) current = undefined;
				break;
			case 'Property':
				if (current && !tag.closing) {
					current.properties[tag.attrs.Name] = {
						type: shortType(tag.attrs.Type),
						nullable: tag.attrs.Nullable !== 'false',
					};
				}
				break;
			case 'NavigationProperty':
				if (current && !tag.closing) {
					current.navigation[tag.attrs.Name] = {
						type: shortType(tag.attrs.Type),
						containsTarget: tag.attrs.ContainsTarget === 'true',
					};
				}
				break;
			case 'EnumType':
				if (tag.closing) currentEnum = undefined;
				else {
					currentEnum = [];
					model.enums[tag.attrs.Name] = currentEnum;
				}
				break;
			case 'Member':
				if (currentEnum && !tag.closing) currentEnum.push(tag.attrs.Name);
				break;
			case 'Action':
			case 'Function':
				if (tag.closing) {
					operation = undefined;
					break;
				}
				if (tag.attrs.IsBound !== 'true') break;
				operation = { kind: tag.name, name: tag.attrs.Name, bindingType: '', parameters: {}, firstParam: true };
				model.operations.push(operation);
				if (tag.selfClosing) operation = undefined;
				break;
			case 'Parameter':
				if (operation && !tag.closing) {
					if (operation.firstParam) {
						operation.bindingType = shortType(tag.attrs.Type);
						delete operation.firstParam;
					} else operation.parameters[tag.attrs.Name] = shortType(tag.attrs.Type);
				}
				break;
			case 'ReturnType':
				if (operation && !tag.closing) operation.returnType = shortType(tag.attrs.Type);
				break;
			case 'EntityContainer':
				inContainer = !tag.closing;
				break;
			case 'EntitySet':
				if (inContainer && !tag.closing) model.entitySets[tag.attrs.Name] = shortType(tag.attrs.EntityType);
				break;
			case 'Singleton':
				if (inContainer && !tag.closing) model.singletons[tag.attrs.Name] = shortType(tag.attrs.Type);
				break;
			default:
				break;
		}
	}
	for (const op of model.operations) delete (op as { firstParam?: boolean }).firstParam;
	return model;
}
