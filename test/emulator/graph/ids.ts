/** Opaque ids shaped like Exchange's: base64 with '-', '_' and '=' so callers must encode them in URLs. */
import { randomBytes } from 'node:crypto';

function urlSafe(bytes: Buffer): string {
	return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `AAMkAD...=`: always carries '-', '_' and a trailing '=' like many real message ids. */
export function newMessageId(): string {
	return `AAMkAD${urlSafe(randomBytes(30))}-${urlSafe(randomBytes(12))}_BGAAA=`;
}

/**
 * Immutable ids have another shape than REST ids (Exchange's start `AAkALgAA`), so a client cannot mistake one for
 * the other; like REST ids they carry '-', '_' and '='.
 */
export function newImmutableId(): string {
	return `AAkALgAA${urlSafe(randomBytes(30))}-${urlSafe(randomBytes(12))}_AAA=`;
}

export function newAttachmentId(): string {
	return `AAMkAD${urlSafe(randomBytes(36))}-BEgAQA_${urlSafe(randomBytes(9))}=`;
}

export function newFolderId(): string {
	return `AAMkAD${urlSafe(randomBytes(24))}-AAAAAAEM_AAA=`;
}

export function newConversationId(): string {
	return `AAQkAD${urlSafe(randomBytes(24))}=`;
}

export function newChangeKey(): string {
	return `CQAAABYAAAB${urlSafe(randomBytes(15))}`;
}

export function newOpaqueToken(bytes = 24): string {
	return urlSafe(randomBytes(bytes));
}

export function internetMessageId(domain: string): string {
	return `<${urlSafe(randomBytes(12)).replace(/[-_]/g, 'x')}@${domain}>`;
}
