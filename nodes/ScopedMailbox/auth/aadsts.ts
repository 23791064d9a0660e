/**
 * What an AADSTS error number means for the credential: the reason, the field to fix and what to do. Data only;
 * auth/failures.ts reads it. Codes are Microsoft Entra's (learn.microsoft.com/entra/identity-platform/reference-error-codes).
 *
 * Placeholders, filled by the mapping: {code} the AADSTS number, {tenant} and {app} the quoted Tenant ID and Client ID
 * (or "the tenant" / "the app"), {thumbprint} " (thumbprint …)" when a certificate is configured, else nothing.
 */
import type { FailureReason } from './errors';

export interface AadstsRule {
	reason: FailureReason;
	message: string;
	/** The credential field to blame; dropped when the credential type has no such field. */
	field?: string;
	fix?: string;
	/** Applies only when the identity platform's words match (one code, several causes). */
	when?: RegExp;
}

export const SEED_HINT =
	'Seed a new refresh token: run `npx n8n-nodes-scoped-mailbox seed --tenant <tenant> --client-id <client id>` on any machine with a browser nearby, sign in as the mailbox user, then paste the token from the file it writes into this credential\'s Refresh Token field. (Or use the "Scoped Mailbox Delegated User (Entra Sign-In) OAuth2 API" credential and click Connect.)';

export const RETRY_HINT = "Try again shortly; set the node's Retry On Fail if this recurs.";

const UNKNOWN_TENANT: AadstsRule = {
	reason: 'unknownTenant',
	message: 'Tenant {tenant} was not found (AADSTS{code})',
	field: 'tenantId',
	fix: "Enter the Directory (tenant) ID shown on the app registration's Overview page (a GUID) or the tenant's domain, and check that Cloud matches the cloud the tenant lives in (a GCC High or 21Vianet tenant is not in the Global cloud).",
};

const refreshTokenInvalid = (why: string): AadstsRule => ({
	reason: 'refreshTokenInvalid',
	message: `The refresh token ${why} (AADSTS{code})`,
	field: 'refreshToken',
	fix: SEED_HINT,
});

const INVALID_SCOPE: AadstsRule = {
	reason: 'invalidScope',
	message: 'The requested scopes were rejected (AADSTS{code})',
	field: 'scopes',
	fix: 'Check Delegated Permissions and Cloud: permissions must name the Graph of the chosen cloud (e.g. https://graph.microsoft.com/Mail.Send.Shared) and offline_access.',
};

const USER_BLOCKED: AadstsRule = {
	reason: 'userBlocked',
	message: 'Sign-in was blocked for this user (AADSTS{code})',
	fix: 'Sign in interactively with the seed command or Connect, and check the user account and Conditional Access policies.',
};

const SERVICE_UNAVAILABLE: AadstsRule = {
	reason: 'serviceUnavailable',
	message: 'The identity platform is temporarily unavailable (AADSTS{code})',
	fix: RETRY_HINT,
};

/**
 * Codes not listed fall through to Entra's own words, among them 90013 (InvalidUserInput: any malformed input,
 * not a tenant lookup) and 90015 (QueryStringTooLong, which retrying does not fix).
 */
export const AADSTS: Readonly<Record<number, AadstsRule | readonly AadstsRule[]>> = {
	7000215: {
		reason: 'wrongSecret',
		message: 'The client secret is wrong (AADSTS7000215)',
		field: 'clientSecret',
		fix: 'Entra rejected the secret for app {app}. In Entra admin center > App registrations > the app > Certificates & secrets, create a new client secret and paste its Value (not its Secret ID) into Client Secret.',
	},
	7000222: {
		reason: 'expiredSecret',
		message: 'The client secret has expired (AADSTS7000222)',
		field: 'clientSecret',
		fix: 'The secret of app {app} is past its expiry date. In Entra admin center > App registrations > the app > Certificates & secrets, create a new client secret, paste its Value into Client Secret, then delete the expired one.',
	},
	700027: [
		{
			when: /not registered|key was not found/i,
			reason: 'certificateNotRegistered',
			message: 'The certificate is not registered on the app (AADSTS700027)',
			field: 'certificate',
			fix: 'Upload the certificate (public part only) to app {app} in Entra admin center > App registrations > the app > Certificates & secrets > Certificates{thumbprint}. Make sure Private Key and Certificate belong together.',
		},
		{
			when: /expired/i,
			reason: 'certificateExpired',
			message: 'The certificate has expired (AADSTS700027)',
			field: 'certificate',
			fix: 'Create a new certificate, upload its public part to the app registration and put the new key and certificate into this credential.',
		},
		{
			reason: 'assertionRejected',
			message: 'Entra rejected the signed client assertion (AADSTS700027)',
			field: 'privateKey',
			fix: 'The private key does not match the certificate registered on the app. Check that Private Key and Certificate are the pair whose certificate was uploaded to the app registration.',
		},
	],
	700024: {
		reason: 'assertionRejected',
		message: 'The client assertion is outside its validity period (AADSTS700024)',
		fix: "Check this host's clock: it must be within a few minutes of the real time (enable NTP).",
	},
	700021: {
		reason: 'assertionRejected',
		message: 'The client assertion does not match the Client ID (AADSTS700021)',
		field: 'clientId',
	},
	90002: UNKNOWN_TENANT,
	900023: UNKNOWN_TENANT,
	700016: {
		reason: 'unknownApp',
		message: 'App {app} was not found in tenant {tenant} (AADSTS700016)',
		field: 'clientId',
		fix: "Enter the Application (client) ID from the app registration's Overview page, and check that Tenant ID is the tenant the app is registered (or consented) in.",
	},
	7000112: {
		reason: 'unknownApp',
		message: 'App {app} is disabled (AADSTS7000112)',
		field: 'clientId',
		fix: "An administrator disabled the app's service principal: enable it in Entra admin center > Enterprise applications.",
	},
	65001: {
		reason: 'consentMissing',
		message: 'Consent is missing for the requested permissions (AADSTS65001)',
		field: 'scopes',
		fix: 'An administrator must grant consent: Entra admin center > App registrations > the app > API permissions > "Grant admin consent" (delegated: Mail.Send.Shared / Mail.ReadWrite.Shared; application: Mail.Send / Mail.ReadWrite), or the user consents when seeding.',
	},
	70008: refreshTokenInvalid('has expired'),
	700082: refreshTokenInvalid('has expired after being unused for too long'),
	50173: refreshTokenInvalid('was revoked (password change or sign-out of all sessions)'),
	700084: refreshTokenInvalid('was issued to a single-page app and has reached its fixed lifetime'),
	9002313: refreshTokenInvalid('is not valid'),
	700003: refreshTokenInvalid("is bound to a device that no longer exists in the tenant's directory"),
	50132: refreshTokenInvalid("is no longer valid: the user's password expired or was changed"),
	7000218: {
		reason: 'publicClientMismatch',
		message: 'The app requires a client secret or certificate (AADSTS7000218)',
		field: 'clientSecret',
		fix: 'The app registration is a confidential client: add its client secret or certificate to this credential, or enable "Allow public client flows" on the app registration (Authentication page).',
	},
	700025: {
		reason: 'publicClientMismatch',
		message: 'The app is a public client: remove the client secret / certificate (AADSTS700025)',
		field: 'clientSecret',
	},
	1002012: INVALID_SCOPE,
	70011: INVALID_SCOPE,
	500011: INVALID_SCOPE,
	28000: INVALID_SCOPE,
	700022: INVALID_SCOPE,
	50126: USER_BLOCKED,
	50034: USER_BLOCKED,
	50057: USER_BLOCKED,
	53003: USER_BLOCKED,
	50076: USER_BLOCKED,
	50079: USER_BLOCKED,
	90033: SERVICE_UNAVAILABLE,
	90055: SERVICE_UNAVAILABLE,
};
