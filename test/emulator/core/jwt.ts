import { createHash, createSign, createVerify, generateKeyPairSync, KeyObject, constants } from 'node:crypto';

export interface DecodedJwt {
	header: Record<string, any>;
	payload: Record<string, any>;
	signingInput: string;
	signature: Buffer;
}

export const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function decodeJwt(token: string): DecodedJwt | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	try {
		const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		if (typeof header !== 'object' || typeof payload !== 'object' || !header || !payload) return undefined;
		return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
	} catch {
		return undefined;
	}
}

/** Checks an RS256 or PS256 signature of a decoded JWT against a public key. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
	const alg = jwt.header.alg;
	if (alg !== 'RS256' && alg !== 'PS256') return false;
	const verifier = createVerify('RSA-SHA256');
	verifier.update(jwt.signingInput);
	try {
		return alg === 'RS256'
			? verifier.verify(publicKey, jwt.signature)
			: verifier.verify({ key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, jwt.signature);
	} catch {
		return false;
	}
}

/** The emulator's token-signing key, made per run and published as JWKS. */
export class TokenSigner {
	readonly kid: string;
	private readonly privateKey: KeyObject;
	readonly publicKey: KeyObject;

	constructor() {
		const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
		this.privateKey = privateKey;
		this.publicKey = publicKey;
		const der = publicKey.export({ type: 'spki', format: 'der' });
		this.kid = createHash('sha1').update(der).digest('base64url');
	}

	sign(payload: Record<string, unknown>): string {
		const header = { typ: 'JWT', alg: 'RS256', x5t: this.kid, kid: this.kid };
		const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
		const signature = createSign('RSA-SHA256').update(input).sign(this.privateKey);
		return `${input}.${b64url(signature)}`;
	}

	/** Returns the payload when the signature is this signer's, else undefined. */
	verify(token: string): DecodedJwt | undefined {
		const jwt = decodeJwt(token);
		if (!jwt || jwt.header.alg !== 'RS256' || !verifyJwtSignature(jwt, this.publicKey)) return undefined;
		return jwt;
	}

	jwks(issuer?: string): { keys: Record<string, unknown>[] } {
		const jwk = this.publicKey.export({ format: 'jwk' }) as Record<string, string>;
		return {
			keys: [
				{ kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e, ...(issuer ? { issuer } : {}) },
			],
		};
	}
}
