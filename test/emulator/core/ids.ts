import { randomBytes, randomUUID } from 'node:crypto';

export const newGuid = (): string => randomUUID();

/** Graph-like opaque ids (AAMkAD...=): base64 with '-' and '_' so they survive a path segment but need encoding care. */
export function opaqueId(prefix = 'AAMkAG'): string {
	return prefix + randomBytes(30).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function randomToken(bytes = 48): string {
	return randomBytes(bytes).toString('base64url');
}
