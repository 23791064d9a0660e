import { createPublicKey } from 'node:crypto';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../core/context';
import { decodeJwt, verifyJwtSignature } from '../core/jwt';
import type { AppRegistration } from '../core/state';
import { aadError } from './errors';
import type { ClientAuthMethod } from './tokens';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * client_secret_basic: `Basic base64(urlencode(id):urlencode(secret))` per RFC 6749; some clients (n8n's OAuth2
 * client among them) do not urlencode, so the raw secret is kept too.
 */
export function basicCredentials(req: EmuRequest): { clientId: string; secret: string; rawSecret: string } | undefined {
	const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
	if (!m) return undefined;
	const decoded = Buffer.from(m[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	const dec = (s: string) => {
		try {
			return decodeURIComponent(s.replace(/\+/g, ' '));
		} catch {
			return s;
		}
	};
	return {
		clientId: dec(decoded.slice(0, colon)),
		secret: dec(decoded.slice(colon + 1)),
		rawSecret: decoded.slice(colon + 1),
	};
}

const hexOfB64url = (v: unknown) =>
	typeof v === 'string' ? Buffer.from(v, 'base64url').toString('hex').toUpperCase() : undefined;

function checkSecret(
	ctx: EmulatorContext,
	req: EmuRequest,
	app: AppRegistration,
	secret: string,
): EmuResponse | undefined {
	const match = app.secrets.find((s) => s.value === secret);
	if (!match) {
		return aadError(
			ctx.clock,
			req,
			'invalid_client',
			7000215,
			`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
		);
	}
	if (match.expiresAt <= ctx.clock.now()) {
		return aadError(
			ctx.clock,
			req,
			'invalid_client',
			7000222,
			`The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
		);
	}
	return undefined;
}

function checkAssertion(
	ctx: EmulatorContext,
	req: EmuRequest,
	app: AppRegistration,
	assertion: string,
	validAudiences: string[],
): EmuResponse | undefined {
	const bad = (code: number, message: string) => aadError(ctx.clock, req, 'invalid_client', code, message);
	const jwt = decodeJwt(assertion);
	if (!jwt)
		return bad(
			700027,
			'Client assertion failed signature validation. [Reason - The client assertion is not a well-formed JWT.]',
		);
	const sha1 = hexOfB64url(jwt.header.x5t);
	const sha256 = hexOfB64url(jwt.header['x5t#S256']);
	const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid.toUpperCase() : undefined;
	const used = sha256 ?? sha1 ?? kid ?? '';
	const cert = app.certificates.find(
		(c) =>
			(sha256 && c.thumbprintSha256 === sha256) ||
			(sha1 && c.thumbprintSha1 === sha1) ||
			(!sha1 && !sha256 && kid && c.thumbprintSha1 === kid),
	);
	if (!cert) {
		return bad(
			700027,
			`The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${app.appId}']`,
		);
	}
	if (!verifyJwtSignature(jwt, createPublicKey(cert.publicKeyPem))) {
		return bad(
			700027,
			`Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${used}', Found key 'Start=${new Date(cert.notAfter - 365 * 86400_000).toISOString()}, End=${new Date(cert.notAfter).toISOString()}']`,
		);
	}
	const p = jwt.payload;
	if (p.iss !== app.appId || p.sub !== app.appId) {
		return bad(
			700021,
			"Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .",
		);
	}
	if (typeof p.aud !== 'string' || !validAudiences.includes(p.aud.toLowerCase())) {
		return bad(
			700027,
			`Client assertion contains an invalid audience: '${String(p.aud)}'. Expected the token endpoint of this tenant.`,
		);
	}
	// The assertion is the client's: checked against real time, since msal renews it by its own clock, not the emulator's.
	const now = Math.floor(Date.now() / 1000);
	if (typeof p.exp !== 'number' || p.exp < now - 300 || (typeof p.nbf === 'number' && p.nbf > now + 300)) {
		return bad(
			700024,
			`Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${typeof p.nbf === 'number' ? new Date(p.nbf * 1000).toISOString() : '-'}, expiry time of assertion ${typeof p.exp === 'number' ? new Date(p.exp * 1000).toISOString() : '-'}.`,
		);
	}
	if (cert.notAfter < ctx.clock.now()) {
		return bad(
			700027,
			`Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '${used}']`,
		);
	}
	return undefined;
}

/**
 * Authenticates the client of a token request. `credentialRequired`: confidential flows (client_credentials) need a
 * credential even from apps marked public. Answers the method, or the error response.
 */
export function authenticateClient(
	ctx: EmulatorContext,
	req: EmuRequest,
	form: URLSearchParams,
	app: AppRegistration,
	tenantSegment: string,
	credentialRequired: boolean,
): ClientAuthMethod | EmuResponse {
	const basic = basicCredentials(req);
	const bodySecret = form.get('client_secret');
	const secret =
		bodySecret ?? (basic && app.secrets.some((s) => s.value === basic.rawSecret) ? basic.rawSecret : basic?.secret);
	const assertion = form.get('client_assertion');
	if (app.publicClient && !credentialRequired && (secret || assertion)) {
		return aadError(
			ctx.clock,
			req,
			'invalid_request',
			700025,
			"Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
		);
	}
	if (secret) {
		req.logTags.clientAuth = 'secret';
		return checkSecret(ctx, req, app, secret) ?? 'secret';
	}
	if (assertion) {
		if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
			return aadError(
				ctx.clock,
				req,
				'invalid_request',
				900144,
				"The request body must contain the following parameter: 'client_assertion_type'.",
			);
		}
		req.logTags.clientAuth = `certificate:${String(decodeJwt(assertion)?.header.alg ?? 'unknown')}`;
		const base = req.baseUrl.toLowerCase();
		const t = ctx.state.tenant;
		const audiences = [tenantSegment, t.id, t.domain].flatMap((seg) => [
			`${base}/${seg.toLowerCase()}/oauth2/v2.0/token`,
			`${base}/${seg.toLowerCase()}/oauth2/token`,
		]);
		return checkAssertion(ctx, req, app, assertion, audiences) ?? 'certificate';
	}
	if (app.publicClient && !credentialRequired) {
		req.logTags.clientAuth = 'none';
		return 'none';
	}
	return aadError(
		ctx.clock,
		req,
		'invalid_client',
		7000218,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
	);
}
