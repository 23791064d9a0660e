import { createHash } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IHttpRequestHelper } from 'n8n-workflow';
import { acquireToken, type AcquiredToken } from './acquire';
import { sendWithHttpRequest } from './network';
import { describeAccessToken } from './tokenClaims';

/**
 * The credential types' preAuthentication: n8n runs it when the hidden expirable `accessToken` is empty or a
 * request got 401, and saves every returned key into the credential (so the rotated refresh token too).
 *
 * n8n calls it per execution: executions that start together each read the credential before any of them has
 * saved a new token. Within one process they share one acquisition (single flight), and an execution that
 * arrives with the credential as it was before that acquisition gets its result instead of a new request, so a
 * refresh token is redeemed once and every execution saves the same rotated one. Other processes (queue-mode
 * workers) do not see this: each acquires its own token, one per process per expiry (README "Tokens").
 */
export async function preAuthenticate(
	helper: IHttpRequestHelper,
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
): Promise<ICredentialDataDecryptedObject> {
	const token = await sharedAcquisition(credentialType, credentials, async () =>
		acquireToken(credentialType, credentials, sendWithHttpRequest(helper.helpers.httpRequest as never)),
	);
	const update: ICredentialDataDecryptedObject = { accessToken: token.accessToken };
	if (token.refreshToken) update.refreshToken = token.refreshToken;
	return update;
}

/** Results are reused until this long before the token expires. */
const REUSE_MARGIN_MS = 5 * 60_000;
const MAX_REMEMBERED = 200;

interface Acquisition {
	promise: Promise<AcquiredToken>;
	/** Set once settled successfully. */
	token?: AcquiredToken;
	reusableUntil: number;
}

const acquisitions = new Map<string, Acquisition>();

/** Everything the acquisition depends on except the access token, hashed: secrets are not kept as map keys. */
function keyOf(credentialType: string, credentials: ICredentialDataDecryptedObject): string {
	const fields = Object.keys(credentials)
		.filter((k) => k !== 'accessToken')
		.sort()
		.map((k) => [k, credentials[k]]);
	return createHash('sha256')
		.update(JSON.stringify([credentialType, fields]))
		.digest('base64url');
}

async function sharedAcquisition(
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
	acquire: () => Promise<AcquiredToken>,
): Promise<AcquiredToken> {
	const key = keyOf(credentialType, credentials);
	const known = acquisitions.get(key);
	const presented = typeof credentials.accessToken === 'string' ? credentials.accessToken : '';
	if (known) {
		if (!known.token) return await known.promise;
		// The caller holding the very token we handed out was refused with it (401) or saw it expire: get a new one.
		// A caller refused with another process's token gets ours only if ours outlives the refused one; otherwise
		// ours is no better (same age or older) and would be refused too.
		if (known.token.accessToken !== presented && Date.now() < known.reusableUntil && outlives(known.token, presented))
			return known.token;
		acquisitions.delete(key);
	}
	const entry: Acquisition = { promise: acquire(), reusableUntil: 0 };
	acquisitions.set(key, entry);
	try {
		const token = await entry.promise;
		entry.token = token;
		entry.reusableUntil = token.expiresOn ? token.expiresOn.getTime() - REUSE_MARGIN_MS : 0;
		if (acquisitions.size > MAX_REMEMBERED) {
			for (const [k, v] of acquisitions) if (v.token && Date.now() >= v.reusableUntil) acquisitions.delete(k);
		}
		return token;
	} catch (error) {
		if (acquisitions.get(key) === entry) acquisitions.delete(key);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- acquireToken's ScopedMailboxAuthError, which n8n maps
		throw error;
	}
}

function outlives(token: AcquiredToken, presented: string): boolean {
	if (!presented) return true;
	const refusedUntil = describeAccessToken(presented)?.expiresOn?.getTime();
	const ours = token.expiresOn?.getTime();
	return refusedUntil !== undefined && ours !== undefined && ours > refusedUntil;
}

/** For tests: forget shared acquisitions (a fresh process). */
export function forgetSharedAcquisitions(): void {
	acquisitions.clear();
}
