/**
 * User values that end up in Graph URLs and OData filters. Mailboxes are validated (they select whose mail
 * is touched, so a value that could change the path must never pass); ids are always percent-encoded.
 */
import { NodeOperationError, type INode } from 'n8n-workflow';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Local part as Exchange accepts it for SMTP/UPN (RFC 5322 atext plus dots), domain as DNS labels.
const ADDRESS =
	/^[A-Za-z0-9!#$&'*+=^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export const MAILBOX_FIX =
	'Enter the mailbox as its primary SMTP address or user principal name (e.g. shared@contoso.com) or its Entra object ID (a GUID).';

/** A mailbox value that cannot be put into a Graph URL. `field` names the node parameter. */
export class InvalidMailboxError extends Error {
	readonly description: string;

	constructor(
		readonly value: string,
		readonly reason: string,
		readonly field = 'mailbox',
	) {
		super(`The Mailbox "${printable(value)}" is not valid: ${reason}`);
		this.name = 'InvalidMailboxError';
		this.description = `${MAILBOX_FIX} (parameter "${field}")`;
	}
}

/** For error messages: control characters shown as escapes, long values cut. */
function printable(value: string): string {
	// eslint-disable-next-line no-control-regex -- matching control characters is the point (C0 and DEL)
	const shown = value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
	return shown.length > 120 ? `${shown.slice(0, 117)}...` : shown;
}

function reasonToReject(value: string): string | undefined {
	if (!value) return 'it is empty';
	// eslint-disable-next-line no-control-regex -- matching control characters is the point (C0 and DEL)
	if (/[\u0000-\u001f\u007f]/.test(value)) return 'it contains control characters';
	if (/[/\\?#]/.test(value)) return "it contains '/', '\\', '?' or '#', which would change the request path";
	if (value.includes('..')) return "it contains '..'";
	// Legal in SMTP but practically unused; here it mostly means an already percent-encoded value.
	if (value.includes('%')) return "it contains '%' (enter the address itself, not URL-encoded)";
	if (/\s/.test(value)) return 'it contains spaces';
	if (GUID.test(value)) return undefined;
	if (!value.includes('@')) return 'it is neither an email address nor an object ID (GUID)';
	if (!ADDRESS.test(value)) return 'it is not a valid email address';
	return undefined;
}

/** Trims and validates; throws InvalidMailboxError. */
export function normaliseMailbox(value: unknown, field = 'mailbox'): string {
	const text = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
	const reason = reasonToReject(text);
	if (reason) throw new InvalidMailboxError(text, reason, field);
	return text;
}

/** The same check as a NodeOperationError naming the field, for operations that validate up front. */
export function assertMailbox(node: INode, value: unknown, itemIndex?: number, field = 'mailbox'): string {
	try {
		return normaliseMailbox(value, field);
	} catch (error) {
		throw toNodeError(node, error, itemIndex);
	}
}

export function toNodeError(node: INode, error: unknown, itemIndex?: number): Error {
	if (error instanceof InvalidMailboxError) {
		return new NodeOperationError(node, error.message, { itemIndex, description: error.description });
	}
	return error as Error;
}

/** OData string literal body: a single quote is doubled (`O'Brien` -> `O''Brien`). Callers add the quotes. */
export function odataString(value: unknown): string {
	return String(value ?? '').replace(/'/g, "''");
}

/**
 * `/users/{mailbox}` with the mailbox validated and percent-encoded. Graph reads a leading '$' as a system
 * segment, so such addresses use the key syntax `/users('...')`. Call with `.call(this, ...)` to get a
 * NodeOperationError naming the field instead of an InvalidMailboxError.
 */
export function userPath(this: unknown, mailbox: unknown, field = 'mailbox'): string {
	let value: string;
	try {
		value = normaliseMailbox(mailbox, field);
	} catch (error) {
		const ctx = this as { getNode?: () => INode } | undefined;
		if (ctx && typeof ctx.getNode === 'function') throw toNodeError(ctx.getNode(), error);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- no node without `this`; carries field and fix
		throw error;
	}
	if (value.startsWith('$')) return `/users('${encodeURIComponent(odataString(value))}')`;
	return `/users/${encodeURIComponent(value)}`;
}

function requireId(value: unknown, what: string): string {
	const text = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
	if (!text) throw new Error(`The ${what} is empty: enter the ${what} (as returned by Graph)`);
	return text;
}

/** `/mailFolders/{folder}`: a well-known name (inbox, sentitems, ...) or a folder id, percent-encoded. */
export function folderPath(folder: unknown): string {
	return `/mailFolders/${encodeURIComponent(requireId(folder, 'folder ID'))}`;
}

/** `/messages/{id}`; Graph message ids may contain '/', '+', '=' (base64), so they are percent-encoded. */
export function messagePath(id: unknown): string {
	return `/messages/${encodeURIComponent(requireId(id, 'message ID'))}`;
}

export function attachmentPath(id: unknown): string {
	return `/attachments/${encodeURIComponent(requireId(id, 'attachment ID'))}`;
}

/** Query string with every key and value percent-encoded (the Graph client does not encode values). */
export function encodeQuery(qs: Record<string, unknown> | undefined): string {
	if (!qs) return '';
	const parts: string[] = [];
	for (const [key, value] of Object.entries(qs)) {
		if (value === undefined || value === null || value === '') continue;
		const text = Array.isArray(value) ? value.join(',') : String(value);
		parts.push(`${encodeURIComponent(key).replace(/^%24/, '$')}=${encodeURIComponent(text)}`);
	}
	return parts.join('&');
}
