/**
 * Secrets must never reach an output item, an error or a log line. Errors from msal and from HTTP clients carry
 * the request (client secret, client assertion, refresh token) in their fields, so every message this package
 * builds from them goes through `redact` first, and the error itself is never passed on.
 */

/** Credential fields whose values are secrets, across the four credential types. */
const SECRET_FIELDS = ['clientSecret', 'privateKey', 'passphrase', 'refreshToken', 'accessToken', 'oauthTokenData'];

const MIN_SECRET_LENGTH = 6;

function collect(value: unknown, into: Set<string>) {
	if (typeof value === 'string') {
		const trimmed = value.trim();
		if (trimmed.length >= MIN_SECRET_LENGTH) into.add(trimmed);
		// A PEM key may be quoted line by line (e.g. an error echoing part of it): each base64 line is a secret.
		if (trimmed.includes('-----BEGIN')) {
			for (const line of trimmed.split(/\r?\n/)) {
				const l = line.trim();
				if (l.length >= 16 && !l.startsWith('-----')) into.add(l);
			}
		}
		return;
	}
	if (value && typeof value === 'object') {
		for (const inner of Object.values(value as Record<string, unknown>)) collect(inner, into);
	}
}

/** Every secret value held by a credential (and any extra derived secrets, e.g. a decrypted key). */
export function secretValuesOf(credentials: Record<string, unknown>, extra: unknown[] = []): string[] {
	const found = new Set<string>();
	for (const field of SECRET_FIELDS) collect(credentials[field], found);
	for (const value of extra) collect(value, found);
	// Encoded forms travel in form bodies and URLs.
	for (const value of [...found]) {
		const encoded = encodeURIComponent(value);
		if (encoded !== value) found.add(encoded);
		const formEncoded = encoded.replace(/%20/g, '+');
		if (formEncoded !== encoded) found.add(formEncoded);
	}
	// Longest first, so a secret containing another is replaced whole.
	return [...found].sort((a, b) => b.length - a.length);
}

const PATTERNS: RegExp[] = [
	// JWTs: access tokens, id tokens, client assertions.
	/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
	// PEM private keys, whole or truncated.
	/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
	// Form or query parameters that carry secrets.
	/((?:client_secret|client_assertion|refresh_token|access_token|assertion|code_verifier|device_code|password)=)[^&\s"']+/gi,
	// JSON members that carry secrets.
	/("(?:client_secret|client_assertion|refresh_token|access_token|id_token|password)"\s*:\s*")[^"]*/gi,
	// Authorization headers.
	/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g,
];

const MASK = '[redacted]';

/** Removes known secret values and anything shaped like a token, key or secret-bearing parameter. */
export function redact(text: string, secrets: readonly string[] = []): string {
	let out = String(text);
	for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
		if (secret && secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(MASK);
	}
	for (const pattern of PATTERNS) {
		out = out.replace(pattern, (match: string, prefix?: string) =>
			typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${MASK}` : MASK,
		);
	}
	return out;
}
