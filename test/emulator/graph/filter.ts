/**
 * OData $filter for messages as Exchange supports it: comparisons, and/or/not, parentheses, startswith/endswith/
 * contains, any() over recipients and categories, string literals with '' escaping, unquoted datetime literals.
 */
import type { StoredMessage } from '../core/state';
import { badRequest, GraphFault } from './errors';
import { hasAttachments } from './serialize';

type Type = 'string' | 'bool' | 'date' | 'enum' | 'number';
type Scalar = string | boolean | number | null;

/** What $filter may name on one resource type. */
export interface FilterModel<T> {
	typeName: string;
	scalars: Record<string, { type: Type; get: (x: T) => Scalar }>;
	/** Collections usable with any(): element values for a range variable path ('' = the element itself). */
	collections: Record<string, (x: T) => Array<Record<string, string | null>>>;
	enums: Record<string, string[]>;
}
type Literal =
	| { t: 'string'; v: string }
	| { t: 'number'; v: number }
	| { t: 'bool'; v: boolean }
	| { t: 'null' }
	| { t: 'date'; v: number; raw: string };
type Operand = { k: 'prop'; path: string } | { k: 'lit'; lit: Literal } | { k: 'var'; name: string; path: string };
export type FilterNode =
	| { k: 'and' | 'or'; l: FilterNode; r: FilterNode }
	| { k: 'not'; e: FilterNode }
	| { k: 'cmp'; op: string; l: Operand; r: Operand }
	| { k: 'fn'; name: string; args: Operand[] }
	| { k: 'any'; path: string; v: string; body: FilterNode | null }
	| { k: 'bool'; o: Operand };

const SCALARS: FilterModel<StoredMessage>['scalars'] = {
	isRead: { type: 'bool', get: (m) => m.isRead },
	isDraft: { type: 'bool', get: (m) => m.isDraft },
	hasAttachments: { type: 'bool', get: (m) => hasAttachments(m) },
	importance: { type: 'enum', get: (m) => m.importance },
	'flag/flagStatus': { type: 'enum', get: (m) => m.flag.flagStatus },
	inferenceClassification: { type: 'enum', get: () => 'focused' },
	receivedDateTime: { type: 'date', get: (m) => Date.parse(m.receivedDateTime) },
	sentDateTime: { type: 'date', get: (m) => (m.sentDateTime ? Date.parse(m.sentDateTime) : null) },
	createdDateTime: { type: 'date', get: (m) => Date.parse(m.createdDateTime) },
	lastModifiedDateTime: { type: 'date', get: (m) => Date.parse(m.lastModifiedDateTime) },
	subject: { type: 'string', get: (m) => m.subject },
	conversationId: { type: 'string', get: (m) => m.conversationId },
	internetMessageId: { type: 'string', get: (m) => m.internetMessageId },
	parentFolderId: { type: 'string', get: (m) => m.folderId },
	id: { type: 'string', get: (m) => m.id },
	'from/emailAddress/address': { type: 'string', get: (m) => m.from?.address ?? null },
	'from/emailAddress/name': { type: 'string', get: (m) => m.from?.name ?? m.from?.address ?? null },
	'sender/emailAddress/address': { type: 'string', get: (m) => m.sender?.address ?? null },
	'sender/emailAddress/name': { type: 'string', get: (m) => m.sender?.name ?? m.sender?.address ?? null },
};
const COLLECTIONS: FilterModel<StoredMessage>['collections'] = {
	categories: (m) => m.categories.map((c) => ({ '': c })),
	toRecipients: (m) =>
		m.toRecipients.map((r) => ({ 'emailAddress/address': r.address, 'emailAddress/name': r.name ?? r.address })),
	ccRecipients: (m) =>
		m.ccRecipients.map((r) => ({ 'emailAddress/address': r.address, 'emailAddress/name': r.name ?? r.address })),
	bccRecipients: (m) =>
		m.bccRecipients.map((r) => ({ 'emailAddress/address': r.address, 'emailAddress/name': r.name ?? r.address })),
	replyTo: (m) =>
		m.replyTo.map((r) => ({ 'emailAddress/address': r.address, 'emailAddress/name': r.name ?? r.address })),
	singleValueExtendedProperties: (m) =>
		(m.singleValueExtendedProperties ?? []).map((p) => ({ id: p.id, value: p.value })),
};
const ENUMS: FilterModel<StoredMessage>['enums'] = {
	importance: ['low', 'normal', 'high'],
	'flag/flagStatus': ['notFlagged', 'flagged', 'complete'],
	inferenceClassification: ['focused', 'other'],
};

export const MESSAGE_MODEL: FilterModel<StoredMessage> = {
	typeName: 'microsoft.graph.message',
	scalars: SCALARS,
	collections: COLLECTIONS,
	enums: ENUMS,
};

const invalidClause = (detail: string): GraphFault => badRequest(`Invalid filter clause: ${detail}`);
const noProperty = (name: string, model: FilterModel<any>): GraphFault =>
	badRequest(`Could not find a property named '${name.split('/')[0]}' on type '${model.typeName}'.`);
const invalidNodes = (): GraphFault =>
	badRequest('The query filter contains one or more invalid nodes.', 'ErrorInvalidUrlQueryFilter');

// ---- tokenizer ----
type Tok = { t: 'id' | 'str' | 'num' | 'date' | 'punct'; v: string; pos: number };
const DATE_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?/;

function tokenize(src: string): Tok[] {
	const out: Tok[] = [];
	let i = 0;
	while (i < src.length) {
		const c = src[i];
		if (/\s/.test(c)) {
			i++;
			continue;
		}
		if ('(),:'.includes(c)) {
			out.push({ t: 'punct', v: c, pos: i });
			i++;
			continue;
		}
		if (c === "'") {
			let v = '';
			let j = i + 1;
			for (;;) {
				if (j >= src.length) throw invalidClause(`unterminated string literal at position ${i}`);
				if (src[j] === "'") {
					if (src[j + 1] === "'") {
						v += "'";
						j += 2;
						continue;
					}
					break;
				}
				v += src[j++];
			}
			out.push({ t: 'str', v, pos: i });
			i = j + 1;
			continue;
		}
		const date = DATE_RE.exec(src.slice(i));
		if (date && date[0].length > 4 && /\d{4}-/.test(date[0])) {
			out.push({ t: 'date', v: date[0], pos: i });
			i += date[0].length;
			continue;
		}
		const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
		if (num) {
			out.push({ t: 'num', v: num[0], pos: i });
			i += num[0].length;
			continue;
		}
		const id = /^[A-Za-z_$][A-Za-z0-9_/.$]*/.exec(src.slice(i));
		if (id) {
			out.push({ t: 'id', v: id[0], pos: i });
			i += id[0].length;
			continue;
		}
		throw invalidClause(`syntax error at position ${i} in '${src}'.`);
	}
	return out;
}

// ---- parser ----
const COMPARE = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set(['startswith', 'endswith', 'contains']);

class Parser {
	private i = 0;
	private vars: string[] = [];
	constructor(
		private readonly toks: Tok[],
		private readonly src: string,
	) {}

	parse(): FilterNode {
		if (!this.toks.length) throw invalidClause('the filter is empty.');
		const e = this.or();
		if (this.i < this.toks.length)
			throw invalidClause(`syntax error at position ${this.toks[this.i].pos} in '${this.src}'.`);
		return e;
	}
	private peek(): Tok | undefined {
		return this.toks[this.i];
	}
	private isWord(w: string): boolean {
		const t = this.peek();
		return !!t && t.t === 'id' && t.v.toLowerCase() === w;
	}
	private expect(v: string): void {
		const t = this.toks[this.i];
		if (!t || t.v !== v)
			throw invalidClause(`expected '${v}' at position ${t?.pos ?? this.src.length} in '${this.src}'.`);
		this.i++;
	}
	private or(): FilterNode {
		let l = this.and();
		while (this.isWord('or')) {
			this.i++;
			l = { k: 'or', l, r: this.and() };
		}
		return l;
	}
	private and(): FilterNode {
		let l = this.unary();
		while (this.isWord('and')) {
			this.i++;
			l = { k: 'and', l, r: this.unary() };
		}
		return l;
	}
	private unary(): FilterNode {
		if (this.isWord('not')) {
			this.i++;
			return { k: 'not', e: this.unary() };
		}
		const t = this.peek();
		if (t?.v === '(' && t.t === 'punct') {
			this.i++;
			const e = this.or();
			this.expect(')');
			return this.maybeCompareBool(e);
		}
		if (t?.t === 'id' && FUNCTIONS.has(t.v.toLowerCase()) && this.toks[this.i + 1]?.v === '(') {
			this.i += 2;
			const args = [this.operand()];
			while (this.peek()?.v === ',') {
				this.i++;
				args.push(this.operand());
			}
			this.expect(')');
			return this.maybeCompareBool({ k: 'fn', name: t.v.toLowerCase(), args });
		}
		if (t?.t === 'id' && /\/(any|all)$/i.test(t.v) && this.toks[this.i + 1]?.v === '(') {
			const path = t.v.slice(0, t.v.lastIndexOf('/'));
			if (/\/all$/i.test(t.v)) throw invalidNodes();
			this.i += 2;
			if (this.peek()?.v === ')') {
				this.i++;
				return { k: 'any', path, v: '', body: null };
			}
			const v = this.peek();
			if (v?.t !== 'id') throw invalidClause(`expected a range variable at position ${v?.pos ?? this.src.length}.`);
			this.i++;
			this.expect(':');
			this.vars.push(v.v);
			const body = this.or();
			this.vars.pop();
			this.expect(')');
			return { k: 'any', path, v: v.v, body };
		}
		const l = this.operand();
		const op = this.peek();
		if (op?.t === 'id' && COMPARE.has(op.v.toLowerCase())) {
			this.i++;
			return { k: 'cmp', op: op.v.toLowerCase(), l, r: this.operand() };
		}
		if (l.k === 'prop' || l.k === 'var') return { k: 'bool', o: l };
		throw invalidClause(`syntax error at position ${op?.pos ?? this.src.length} in '${this.src}'.`);
	}
	/** `startswith(subject,'x') eq true` */
	private maybeCompareBool(e: FilterNode): FilterNode {
		const op = this.peek();
		if (op?.t === 'id' && (op.v === 'eq' || op.v === 'ne')) {
			this.i++;
			const r = this.operand();
			if (r.k !== 'lit' || r.lit.t !== 'bool')
				throw invalidClause(`syntax error at position ${op.pos} in '${this.src}'.`);
			return r.lit.v === (op.v === 'eq') ? e : { k: 'not', e };
		}
		return e;
	}
	private operand(): Operand {
		const t = this.peek();
		if (!t) throw invalidClause(`unexpected end of the filter '${this.src}'.`);
		this.i++;
		switch (t.t) {
			case 'str':
				return { k: 'lit', lit: { t: 'string', v: t.v } };
			case 'num':
				return { k: 'lit', lit: { t: 'number', v: Number(t.v) } };
			case 'date': {
				const ms = Date.parse(/T/.test(t.v) && !/(Z|[+-]\d{2}:\d{2})$/.test(t.v) ? `${t.v}Z` : t.v);
				if (Number.isNaN(ms)) throw invalidClause(`the DateTimeOffset text '${t.v}' is not valid.`);
				return { k: 'lit', lit: { t: 'date', v: ms, raw: t.v } };
			}
			case 'id': {
				const lower = t.v.toLowerCase();
				if (lower === 'true' || lower === 'false') return { k: 'lit', lit: { t: 'bool', v: lower === 'true' } };
				if (lower === 'null') return { k: 'lit', lit: { t: 'null' } };
				const head = t.v.split('/')[0];
				if (this.vars.includes(head)) return { k: 'var', name: head, path: t.v.slice(head.length + 1) };
				return { k: 'prop', path: t.v };
			}
			default:
				throw invalidClause(`syntax error at position ${t.pos} in '${this.src}'.`);
		}
	}
}

// ---- type check + evaluation ----
const OP_NAMES: Record<string, string> = {
	eq: 'Equal',
	ne: 'NotEqual',
	gt: 'GreaterThan',
	ge: 'GreaterThanOrEqual',
	lt: 'LessThan',
	le: 'LessThanOrEqual',
};
const EDM: Record<string, string> = {
	string: 'Edm.String',
	bool: 'Edm.Boolean',
	date: 'Edm.DateTimeOffset',
	enum: 'microsoft.graph.enum',
	number: 'Edm.Int32',
	null: 'null',
};

function propType(path: string, model: FilterModel<any>): Type {
	const p = model.scalars[path];
	if (!p) {
		if (model.collections[path]) throw invalidNodes();
		throw noProperty(path, model);
	}
	return p.type;
}

function check(node: FilterNode, vars: Map<string, string>, model: FilterModel<any>): void {
	switch (node.k) {
		case 'and':
		case 'or':
			check(node.l, vars, model);
			check(node.r, vars, model);
			return;
		case 'not':
			check(node.e, vars, model);
			return;
		case 'bool': {
			if (node.o.k === 'prop' && propType(node.o.path, model) !== 'bool') throw invalidNodes();
			return;
		}
		case 'fn': {
			if (node.args.length !== 2)
				throw badRequest(
					`No function signature for the function with name '${node.name}' matches the specified arguments.`,
				);
			const [a, b] = node.args;
			if (b.k !== 'lit' || b.lit.t !== 'string') throw invalidNodes();
			if (a.k === 'prop' && propType(a.path, model) !== 'string') throw invalidNodes();
			if (a.k === 'lit') throw invalidNodes();
			return;
		}
		case 'any': {
			if (!model.collections[node.path]) throw model.scalars[node.path] ? invalidNodes() : noProperty(node.path, model);
			if (node.body) {
				const inner = new Map(vars);
				inner.set(node.v, node.path);
				check(node.body, inner, model);
			}
			return;
		}
		case 'cmp': {
			const [prop, lit] = node.l.k === 'lit' ? [node.r, node.l] : [node.l, node.r];
			if (prop.k === 'lit' || lit.k !== 'lit') throw invalidNodes();
			if (prop.k === 'var') {
				const coll = vars.get(prop.name);
				const allowed =
					coll === 'categories'
						? ['']
						: coll === 'singleValueExtendedProperties'
							? ['id', 'value']
							: ['emailAddress/address', 'emailAddress/name'];
				if (!allowed.includes(prop.path)) throw invalidNodes();
				if (lit.lit.t !== 'string' && lit.lit.t !== 'null') throw invalidNodes();
				return;
			}
			const type = propType(prop.path, model);
			const litType = lit.lit.t;
			const ok =
				litType === 'null' ||
				(type === 'string' && litType === 'string') ||
				(type === 'enum' && litType === 'string') ||
				(type === 'bool' && litType === 'bool') ||
				(type === 'date' && litType === 'date') ||
				(type === 'number' && litType === 'number');
			if (!ok) {
				throw badRequest(
					`A binary operator with incompatible types was detected. Found operand types '${EDM[type]}' and '${EDM[litType]}' for operator kind '${OP_NAMES[node.op]}'.`,
				);
			}
			if (type === 'enum' && litType === 'string') {
				const values = model.enums[prop.path] ?? [];
				const lv = (lit.lit as { v: string }).v;
				if (!values.some((v) => v.toLowerCase() === lv.toLowerCase())) {
					throw badRequest(`The string '${lv}' is not a valid enumeration type constant.`);
				}
			}
			if ((type === 'bool' || type === 'enum') && !['eq', 'ne'].includes(node.op)) throw invalidNodes();
			return;
		}
	}
}

function compare(op: string, a: unknown, b: unknown): boolean {
	if (a === null || a === undefined || b === null) {
		const eq = (a ?? null) === b;
		if (op === 'eq') return eq;
		if (op === 'ne') return !eq;
		return false;
	}
	let x = a as string | number | boolean;
	let y = b as string | number | boolean;
	if (typeof x === 'string' && typeof y === 'string') {
		x = x.toLowerCase();
		y = y.toLowerCase();
	}
	switch (op) {
		case 'eq':
			return x === y;
		case 'ne':
			return x !== y;
		case 'gt':
			return x > y;
		case 'ge':
			return x >= y;
		case 'lt':
			return x < y;
		default:
			return x <= y;
	}
}

function litValue(l: Literal): unknown {
	return l.t === 'null' ? null : l.v;
}

type Scope = Map<string, Record<string, string | null>>;

function evaluate<T>(node: FilterNode, m: T, scope: Scope, model: FilterModel<T>): boolean {
	switch (node.k) {
		case 'and':
			return evaluate(node.l, m, scope, model) && evaluate(node.r, m, scope, model);
		case 'or':
			return evaluate(node.l, m, scope, model) || evaluate(node.r, m, scope, model);
		case 'not':
			return !evaluate(node.e, m, scope, model);
		case 'bool':
			return operandValue(node.o, m, scope, model) === true;
		case 'fn': {
			const s = operandValue(node.args[0], m, scope, model);
			const needle = String(operandValue(node.args[1], m, scope, model)).toLowerCase();
			if (typeof s !== 'string') return false;
			const hay = s.toLowerCase();
			return node.name === 'startswith'
				? hay.startsWith(needle)
				: node.name === 'endswith'
					? hay.endsWith(needle)
					: hay.includes(needle);
		}
		case 'any': {
			const items = model.collections[node.path](m);
			if (!node.body) return items.length > 0;
			return items.some((item) => {
				const inner = new Map(scope);
				inner.set(node.v, item);
				return evaluate(node.body as FilterNode, m, inner, model);
			});
		}
		case 'cmp': {
			const swap = node.l.k === 'lit';
			const propSide = swap ? node.r : node.l;
			const litSide = (swap ? node.l : node.r) as Extract<Operand, { k: 'lit' }>;
			const op = swap
				? (({ gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' } as Record<string, string>)[node.op] ?? node.op)
				: node.op;
			return compare(op, operandValue(propSide, m, scope, model), litValue(litSide.lit));
		}
	}
}

function operandValue<T>(o: Operand, m: T, scope: Scope, model: FilterModel<T>): unknown {
	if (o.k === 'lit') return litValue(o.lit);
	if (o.k === 'var') return scope.get(o.name)?.[o.path] ?? null;
	return model.scalars[o.path].get(m);
}

export interface CompiledFilter<T = StoredMessage> {
	test(m: T): boolean;
	/** Properties in the order they first appear (InefficientFilter check against $orderby). */
	properties: string[];
	ast: FilterNode;
}

export function compileFilter<T = StoredMessage>(
	src: string,
	model: FilterModel<T> = MESSAGE_MODEL as unknown as FilterModel<T>,
): CompiledFilter<T> {
	const ast = new Parser(tokenize(src), src).parse();
	check(ast, new Map(), model);
	const properties: string[] = [];
	const visit = (n: FilterNode): void => {
		const add = (p: string): void => {
			if (!properties.includes(p)) properties.push(p);
		};
		switch (n.k) {
			case 'and':
			case 'or':
				visit(n.l);
				visit(n.r);
				break;
			case 'not':
				visit(n.e);
				break;
			case 'bool':
				if (n.o.k === 'prop') add(n.o.path);
				break;
			case 'fn':
				for (const a of n.args) if (a.k === 'prop') add(a.path);
				break;
			case 'any':
				add(n.path);
				break;
			case 'cmp':
				for (const a of [n.l, n.r]) if (a.k === 'prop') add(a.path);
				break;
		}
	};
	visit(ast);
	return { test: (m) => evaluate(ast, m, new Map(), model), properties, ast };
}

/** Sortable properties for $orderby. */
export const SORTABLE: Record<string, (m: StoredMessage) => string | number | boolean> = {
	receivedDateTime: (m) => Date.parse(m.receivedDateTime),
	sentDateTime: (m) => (m.sentDateTime ? Date.parse(m.sentDateTime) : 0),
	createdDateTime: (m) => Date.parse(m.createdDateTime),
	lastModifiedDateTime: (m) => Date.parse(m.lastModifiedDateTime),
	subject: (m) => m.subject.toLowerCase(),
	importance: (m) => ['low', 'normal', 'high'].indexOf(m.importance),
	isRead: (m) => m.isRead,
	hasAttachments: (m) => hasAttachments(m),
	isDraft: (m) => m.isDraft,
	'from/emailAddress/address': (m) => (m.from?.address ?? '').toLowerCase(),
	'from/emailAddress/name': (m) => (m.from?.name ?? m.from?.address ?? '').toLowerCase(),
	'flag/flagStatus': (m) => m.flag.flagStatus,
	conversationId: (m) => m.conversationId,
};

/** The filter for delta: only receivedDateTime ge|gt a datetime, as Graph allows. */
export function deltaFilterBound(f: CompiledFilter): { op: 'ge' | 'gt'; at: number } {
	const n = f.ast;
	if (
		n.k === 'cmp' &&
		n.l.k === 'prop' &&
		n.l.path === 'receivedDateTime' &&
		(n.op === 'ge' || n.op === 'gt') &&
		n.r.k === 'lit' &&
		n.r.lit.t === 'date'
	) {
		return { op: n.op, at: n.r.lit.v };
	}
	throw badRequest(
		'Only receivedDateTime with the ge or gt operators is supported in a delta $filter.',
		'ErrorInvalidUrlQueryFilter',
	);
}
