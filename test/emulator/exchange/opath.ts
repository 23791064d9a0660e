/**
 * Exchange's OPATH recipient filters (New-ManagementScope -RecipientRestrictionFilter), the subset the emulator's
 * recipients can answer: -eq, -ne, -like, -notlike, -and, -or, -not, parentheses, quoted and bare values, $null.
 */
import type { EmulatorState, Mailbox } from '../core/state';
import { findGroup } from './recipients';

export class OpathError extends Error {}

type Comparison = 'eq' | 'ne' | 'like' | 'notlike';
type Node =
	| { kind: 'and' | 'or'; left: Node; right: Node }
	| { kind: 'not'; operand: Node }
	| { kind: 'cmp'; property: string; op: Comparison; value: string | null };

type Token =
	| { type: 'lparen' | 'rparen'; pos: number }
	| { type: 'op'; value: string; pos: number }
	| { type: 'value'; value: string | null; quoted: boolean; pos: number };

const CUSTOM_ATTRIBUTE = /^customattribute([1-9]|1[0-5])$/;
const DIRECT_PROPERTIES: Record<string, (m: Mailbox) => string | undefined> = {
	primarysmtpaddress: (m) => m.upn,
	windowsemailaddress: (m) => m.upn,
	userprincipalname: (m) => m.upn,
	alias: (m) => m.alias,
	name: (m) => m.displayName,
	displayname: (m) => m.displayName,
	recipienttypedetails: (m) => m.recipientType,
	// Shared and user mailboxes are both RecipientType UserMailbox; only RecipientTypeDetails tells them apart.
	recipienttype: () => 'UserMailbox',
	department: (m) => m.department,
	externaldirectoryobjectid: (m) => m.id,
};

function syntaxError(filter: string, pos: number): OpathError {
	return new OpathError(
		`Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n"${filter}" at position ${pos + 1}.`,
	);
}

function tokenize(filter: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < filter.length) {
		const c = filter[i];
		if (/\s/.test(c)) {
			i++;
		} else if (c === '(' || c === ')') {
			tokens.push({ type: c === '(' ? 'lparen' : 'rparen', pos: i });
			i++;
		} else if (c === "'" || c === '"') {
			const start = i;
			let value = '';
			i++;
			for (;;) {
				if (i >= filter.length) throw syntaxError(filter, start);
				// A doubled quote or a backtick-escaped quote stands for the quote itself.
				if (filter[i] === c && filter[i + 1] === c) {
					value += c;
					i += 2;
				} else if (filter[i] === '`' && i + 1 < filter.length) {
					value += filter[i + 1];
					i += 2;
				} else if (filter[i] === c) {
					i++;
					break;
				} else {
					value += filter[i++];
				}
			}
			tokens.push({ type: 'value', value, quoted: true, pos: start });
		} else {
			const start = i;
			while (i < filter.length && !/[\s()'"]/.test(filter[i])) i++;
			const word = filter.slice(start, i);
			if (/^-[a-z]+$/i.test(word)) tokens.push({ type: 'op', value: word.toLowerCase(), pos: start });
			else if (word.toLowerCase() === '$null') tokens.push({ type: 'value', value: null, quoted: false, pos: start });
			else tokens.push({ type: 'value', value: word, quoted: false, pos: start });
		}
	}
	return tokens;
}

function parse(filter: string): Node {
	const tokens = tokenize(filter);
	let at = 0;
	const peek = () => tokens[at];
	const fail = (token?: Token): never => {
		throw syntaxError(filter, token ? token.pos : filter.length);
	};

	const parseOr = (): Node => {
		let node = parseAnd();
		while (peek()?.type === 'op' && (peek() as { value: string }).value === '-or') {
			at++;
			node = { kind: 'or', left: node, right: parseAnd() };
		}
		return node;
	};
	const parseAnd = (): Node => {
		let node = parseUnary();
		while (peek()?.type === 'op' && (peek() as { value: string }).value === '-and') {
			at++;
			node = { kind: 'and', left: node, right: parseUnary() };
		}
		return node;
	};
	const parseUnary = (): Node => {
		const token = peek();
		if (!token) return fail();
		if (token.type === 'op' && token.value === '-not') {
			at++;
			return { kind: 'not', operand: parseUnary() };
		}
		if (token.type === 'lparen') {
			at++;
			const inner = parseOr();
			if (peek()?.type !== 'rparen') fail(peek());
			at++;
			return inner;
		}
		return parseComparison();
	};
	const parseComparison = (): Node => {
		const property = tokens[at++];
		if (property?.type !== 'value' || property.quoted || property.value === null) return fail(property);
		const opToken = tokens[at++];
		if (opToken?.type !== 'op') return fail(opToken);
		const op = opToken.value.slice(1);
		if (op !== 'eq' && op !== 'ne' && op !== 'like' && op !== 'notlike') return fail(opToken);
		const value = tokens[at++];
		if (value?.type !== 'value') return fail(value);
		const name = property.value.toLowerCase();
		if (!(name in DIRECT_PROPERTIES) && !CUSTOM_ATTRIBUTE.test(name) && name !== 'memberofgroup') {
			throw new OpathError(
				`"${property.value}" is not a recognized filterable property. For more information about filterable properties, see the command help.\n"${filter}" at position ${property.pos + 1}.`,
			);
		}
		if (name === 'memberofgroup' && (op === 'like' || op === 'notlike')) {
			throw new OpathError(
				`The "-${op}" operator isn't supported for property "MemberOfGroup". Use -eq or -ne with the group's distinguished name.\n"${filter}" at position ${opToken.pos + 1}.`,
			);
		}
		return { kind: 'cmp', property: name, op, value: value.value };
	};

	const root = parseOr();
	if (at < tokens.length) fail(tokens[at]);
	return root;
}

/** `CN=Group Name,OU=...` -> `Group Name`; other identities unchanged. */
function groupIdentityOf(value: string): string {
	const cn = /^CN=((?:\\,|[^,])+)/i.exec(value);
	return cn ? cn[1].replace(/\\,/g, ',') : value;
}

function wildcardToRegExp(pattern: string): RegExp {
	const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
	return new RegExp(`^${escaped}$`, 'is');
}

function propertyValue(property: string, mailbox: Mailbox): string | undefined {
	if (property === 'customattribute1') return mailbox.customAttribute1;
	if (CUSTOM_ATTRIBUTE.test(property)) return undefined; // only CustomAttribute1 exists in the emulator's state
	return DIRECT_PROPERTIES[property](mailbox);
}

function evaluate(node: Node, mailbox: Mailbox, state: EmulatorState): boolean {
	switch (node.kind) {
		case 'and':
			return evaluate(node.left, mailbox, state) && evaluate(node.right, mailbox, state);
		case 'or':
			return evaluate(node.left, mailbox, state) || evaluate(node.right, mailbox, state);
		case 'not':
			return !evaluate(node.operand, mailbox, state);
		case 'cmp': {
			if (node.property === 'memberofgroup') {
				// OPATH's MemberOfGroup is direct membership only (no nesting).
				const group = node.value === null ? undefined : findGroup(state, groupIdentityOf(node.value));
				const member = !!group && group.memberIds.includes(mailbox.id);
				return node.op === 'eq' ? member : !member;
			}
			const actual = propertyValue(node.property, mailbox) ?? '';
			const expected = node.value ?? '';
			const matches =
				node.op === 'like' || node.op === 'notlike'
					? wildcardToRegExp(expected).test(actual)
					: actual.toLowerCase() === expected.toLowerCase();
			return node.op === 'eq' || node.op === 'like' ? matches : !matches;
		}
	}
}

// Scopes are evaluated on every app-only Graph request; their filters rarely change.
const parseCache = new Map<string, Node>();
function parsed(filter: string): Node {
	let root = parseCache.get(filter);
	if (!root) {
		root = parse(filter);
		if (parseCache.size >= 200) parseCache.clear();
		parseCache.set(filter, root);
	}
	return root;
}

export interface RecipientFilter {
	source: string;
	matches(mailbox: Mailbox): boolean;
}

/**
 * Parses a filter. With `state`, group references (MemberOfGroup) must resolve, as New-ManagementScope
 * resolves them when the scope is saved.
 */
export function compileRecipientFilter(filter: string, state: EmulatorState): RecipientFilter {
	if (typeof filter !== 'string' || !filter.trim()) {
		throw new OpathError("The RecipientRestrictionFilter parameter can't be empty.");
	}
	const root = parsed(filter);
	const checkGroups = (node: Node): void => {
		if (node.kind === 'cmp') {
			if (node.property === 'memberofgroup') {
				const identity = node.value === null ? '' : groupIdentityOf(node.value);
				if (!findGroup(state, identity)) {
					throw new OpathError(
						`The recipient "${node.value ?? '$null'}" specified in MemberOfGroup couldn't be found.`,
					);
				}
			}
		} else if (node.kind === 'not') checkGroups(node.operand);
		else {
			checkGroups(node.left);
			checkGroups(node.right);
		}
	};
	checkGroups(root);
	return { source: filter, matches: (mailbox) => evaluate(root, mailbox, state) };
}
