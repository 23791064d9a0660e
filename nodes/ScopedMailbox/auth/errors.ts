/**
 * Turns what msal-node, the identity platform or the network threw into a fresh error with an actionable,
 * redacted message. The original error is never passed on: msal and HTTP client errors carry the token request
 * (client secret, client assertion, refresh token) in their fields.
 */
import { credentialTypeOfKind, fieldLabel, type CredentialKind } from './registry';
import { redact } from './redact';

export type { CredentialKind };

/**
 * Thrown by token acquisition. Only own fields: name, message, description, aadstsCode, reason, field.
 * (No `code`/`status` fields: n8n's NodeApiError would take them for an HTTP status and replace the message.)
 */
export class ScopedMailboxAuthError extends Error {
	description?: string;

	/** AADSTS error number when the identity platform answered with one. */
	aadstsCode?: number;

	/** Short machine-readable reason, for callers that map it (e.g. the Test button). */
	reason: FailureReason;

	/** Credential field to fix, when one is to blame. */
	field?: string;

	constructor(
		message: string,
		options: { description?: string; aadstsCode?: number; reason: FailureReason; field?: string },
	) {
		super(message);
		// Own enumerable properties only; no stack of the original, no cause.
		Object.defineProperty(this, 'name', {
			value: 'ScopedMailboxAuthError',
			enumerable: true,
			writable: true,
			configurable: true,
		});
		if (options.description) this.description = options.description;
		if (options.aadstsCode !== undefined) this.aadstsCode = options.aadstsCode;
		this.reason = options.reason;
		if (options.field) this.field = options.field;
	}
}

export type FailureReason =
	| 'configuration'
	| 'wrongSecret'
	| 'expiredSecret'
	| 'certificateNotRegistered'
	| 'certificateExpired'
	| 'certificateInvalid'
	| 'assertionRejected'
	| 'unknownTenant'
	| 'unknownApp'
	| 'consentMissing'
	| 'refreshTokenInvalid'
	| 'publicClientMismatch'
	| 'invalidScope'
	| 'userBlocked'
	| 'managedIdentityUnavailable'
	| 'managedIdentityNotFound'
	| 'serviceUnavailable'
	| 'network'
	| 'unknown';

/** Thrown by our msal network client when the request never got an HTTP answer. Message is already safe. */
export class TransportError extends Error {
	constructor(
		message: string,
		readonly url: string,
		readonly errno?: string,
	) {
		super(message);
		this.name = 'TransportError';
	}
}

export interface FailureContext {
	kind: CredentialKind;
	secrets: readonly string[];
	tenantId?: string;
	clientId?: string;
	authorityHost?: string;
	/** Upper-case hex thumbprint of the configured certificate, shown when it is not registered. */
	thumbprint?: string;
	managedIdentity?: { label: string; source?: string };
	/** Set by acquireToken when a request got no answer (msal wraps that error into its own). */
	transportFailure?: TransportError;
}

interface ErrorFacts {
	aadsts?: number;
	oauthError?: string;
	serverMessage?: string;
	status?: number;
	transport?: TransportError;
	msalCode?: string;
	text: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
	return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** Reads the facts we need from msal's ServerError / AuthError / NetworkError shapes without keeping them. */
function factsOf(error: unknown): ErrorFacts {
	const facts: ErrorFacts = { text: '' };
	const seen = new Set<unknown>();
	const visit = (value: unknown, depth: number) => {
		const record = asRecord(value);
		if (!record || seen.has(value) || depth > 4) return;
		seen.add(value);
		if (value instanceof TransportError) facts.transport ??= value;
		const errorNo = record.errorNo;
		if (
			facts.aadsts === undefined &&
			(typeof errorNo === 'string' || typeof errorNo === 'number') &&
			/^\d+$/.test(String(errorNo))
		) {
			facts.aadsts = Number(errorNo);
		}
		if (typeof record.errorCode === 'string' && record.errorCode) {
			facts.msalCode ??= record.errorCode;
			if (/^[a-z_]+$/.test(record.errorCode) && !facts.oauthError) facts.oauthError = record.errorCode;
		}
		if (typeof record.errorMessage === 'string' && record.errorMessage) facts.serverMessage ??= record.errorMessage;
		if (typeof record.status === 'number') facts.status ??= record.status;
		if (typeof record.responseStatus === 'number') facts.status ??= record.responseStatus;
		if (typeof record.message === 'string') facts.text += ` ${record.message}`;
		for (const key of ['error', 'cause', 'originalError']) visit(record[key], depth + 1);
	};
	visit(error, 0);
	if (typeof error === 'string') facts.text = error;
	const all = `${facts.serverMessage ?? ''} ${facts.text}`;
	if (facts.aadsts === undefined) {
		const match = /AADSTS(\d+)/.exec(all);
		if (match) facts.aadsts = Number(match[1]);
	}
	return facts;
}

/** The identity platform's own words, trimmed of the trace/correlation footer and redacted. */
function serverWords(facts: ErrorFacts, secrets: readonly string[]): string | undefined {
	const source = facts.serverMessage ?? facts.text.trim();
	if (!source) return undefined;
	const trimmed = source.replace(/\s*Trace ID:[\s\S]*$/i, '').trim();
	return redact(trimmed, secrets).slice(0, 600);
}

const SEED_HINT =
	'Seed a new refresh token: run `npx n8n-nodes-scoped-mailbox seed --tenant <tenant> --client-id <client id>` on any machine with a browser nearby, sign in as the mailbox user, then paste the token from the file it writes into this credential\'s Refresh Token field. (Or use the "Scoped Mailbox Delegated User (Entra Sign-In) OAuth2 API" credential and click Connect.)';

/** Builds the error to throw for a failed token acquisition. */
export function toAuthError(error: unknown, context: FailureContext): ScopedMailboxAuthError {
	if (error instanceof ScopedMailboxAuthError) return error;
	const facts = factsOf(error);
	if (!facts.transport && context.transportFailure && facts.aadsts === undefined && facts.status === undefined) {
		facts.transport = context.transportFailure;
	}
	const words = serverWords(facts, context.secrets);
	const said = words ? `The identity platform said: ${words}` : undefined;
	const tenant = context.tenantId ? `"${context.tenantId}"` : 'the tenant';
	const app = context.clientId ? `"${context.clientId}"` : 'the app';
	const fail = (reason: FailureReason, message: string, field?: string, extra?: string) =>
		new ScopedMailboxAuthError(redact(message, context.secrets), {
			reason,
			// Only a field this kind of credential has (an App credential has no delegated permissions to fix).
			field: fieldLabel(credentialTypeOfKind(context.kind), field) ? field : undefined,
			aadstsCode: facts.aadsts,
			// msal's words about a request that got no answer only point to its own docs.
			description: [extra, facts.transport ? undefined : said]
				.filter(Boolean)
				.map((t) => redact(t!, context.secrets))
				.join(' '),
		});

	switch (facts.aadsts) {
		case 7000215:
			return fail(
				'wrongSecret',
				'The client secret is wrong (AADSTS7000215)',
				'clientSecret',
				`Entra rejected the secret for app ${app}. In Entra admin center > App registrations > the app > Certificates & secrets, create a new client secret and paste its Value (not its Secret ID) into Client Secret.`,
			);
		case 7000222:
			return fail(
				'expiredSecret',
				'The client secret has expired (AADSTS7000222)',
				'clientSecret',
				`The secret of app ${app} is past its expiry date. In Entra admin center > App registrations > the app > Certificates & secrets, create a new client secret, paste its Value into Client Secret, then delete the expired one.`,
			);
		case 700027: {
			const text = `${facts.serverMessage ?? ''} ${facts.text}`;
			if (/not registered|key was not found/i.test(text)) {
				return fail(
					'certificateNotRegistered',
					'The certificate is not registered on the app (AADSTS700027)',
					'certificate',
					`Upload the certificate (public part only) to app ${app} in Entra admin center > App registrations > the app > Certificates & secrets > Certificates${context.thumbprint ? ` (thumbprint ${context.thumbprint})` : ''}. Make sure Private Key and Certificate belong together.`,
				);
			}
			if (/expired/i.test(text)) {
				return fail(
					'certificateExpired',
					'The certificate has expired (AADSTS700027)',
					'certificate',
					'Create a new certificate, upload its public part to the app registration and put the new key and certificate into this credential.',
				);
			}
			return fail(
				'assertionRejected',
				'Entra rejected the signed client assertion (AADSTS700027)',
				'privateKey',
				'The private key does not match the certificate registered on the app. Check that Private Key and Certificate are the pair whose certificate was uploaded to the app registration.',
			);
		}
		case 700024:
			return fail(
				'assertionRejected',
				'The client assertion is outside its validity period (AADSTS700024)',
				undefined,
				"Check this host's clock: it must be within a few minutes of the real time (enable NTP).",
			);
		case 700021:
			return fail('assertionRejected', 'The client assertion does not match the Client ID (AADSTS700021)', 'clientId');
		// 90013 is InvalidUserInput (any malformed input), not a tenant lookup: it falls through to Entra's own words.
		case 90002:
		case 900023:
			return fail(
				'unknownTenant',
				`Tenant ${tenant} was not found (AADSTS${facts.aadsts})`,
				'tenantId',
				"Enter the Directory (tenant) ID shown on the app registration's Overview page (a GUID) or the tenant's domain, and check that Cloud matches the cloud the tenant lives in (a GCC High or 21Vianet tenant is not in the Global cloud).",
			);
		case 700016:
			return fail(
				'unknownApp',
				`App ${app} was not found in tenant ${tenant} (AADSTS700016)`,
				'clientId',
				"Enter the Application (client) ID from the app registration's Overview page, and check that Tenant ID is the tenant the app is registered (or consented) in.",
			);
		case 7000112:
			return fail(
				'unknownApp',
				`App ${app} is disabled (AADSTS7000112)`,
				'clientId',
				"An administrator disabled the app's service principal: enable it in Entra admin center > Enterprise applications.",
			);
		case 65001:
			return fail(
				'consentMissing',
				'Consent is missing for the requested permissions (AADSTS65001)',
				'scopes',
				'An administrator must grant consent: Entra admin center > App registrations > the app > API permissions > "Grant admin consent" (delegated: Mail.Send.Shared / Mail.ReadWrite.Shared; application: Mail.Send / Mail.ReadWrite), or the user consents when seeding.',
			);
		case 70008:
		case 700082:
		case 50173:
		case 700084:
		case 9002313:
		case 700003:
		case 50132: {
			const why: Record<number, string> = {
				70008: 'has expired',
				700082: 'has expired after being unused for too long',
				50173: 'was revoked (password change or sign-out of all sessions)',
				// Wording per Microsoft Entra's AADSTS reference (learn.microsoft.com/entra/identity-platform/reference-error-codes).
				700084: 'was issued to a single-page app and has reached its fixed lifetime',
				9002313: 'is not valid',
				700003: "is bound to a device that no longer exists in the tenant's directory",
				50132: "is no longer valid: the user's password expired or was changed",
			};
			return fail(
				'refreshTokenInvalid',
				`The refresh token ${why[facts.aadsts]} (AADSTS${facts.aadsts})`,
				'refreshToken',
				SEED_HINT,
			);
		}
		case 7000218:
			return fail(
				'publicClientMismatch',
				'The app requires a client secret or certificate (AADSTS7000218)',
				'clientSecret',
				'The app registration is a confidential client: add its client secret or certificate to this credential, or enable "Allow public client flows" on the app registration (Authentication page).',
			);
		case 700025:
			return fail(
				'publicClientMismatch',
				'The app is a public client: remove the client secret / certificate (AADSTS700025)',
				'clientSecret',
			);
		case 1002012:
		case 70011:
		case 500011:
		case 28000:
		case 700022:
			return fail(
				'invalidScope',
				`The requested scopes were rejected (AADSTS${facts.aadsts})`,
				'scopes',
				'Check Delegated Permissions and Cloud: permissions must name the Graph of the chosen cloud (e.g. https://graph.microsoft.com/Mail.Send.Shared) and offline_access.',
			);
		case 50126:
		case 50034:
		case 50057:
		case 53003:
		case 50076:
		case 50079:
			return fail(
				'userBlocked',
				`Sign-in was blocked for this user (AADSTS${facts.aadsts})`,
				undefined,
				'Sign in interactively with the seed command or Connect, and check the user account and Conditional Access policies.',
			);
		// 90015 is QueryStringTooLong, which retrying does not fix: it falls through to Entra's own words.
		case 90033:
		case 90055:
			return fail(
				'serviceUnavailable',
				`The identity platform is temporarily unavailable (AADSTS${facts.aadsts})`,
				undefined,
				"Try again shortly; set the node's Retry On Fail if this recurs.",
			);
		default:
			break;
	}

	if (context.kind === 'managedIdentity') return managedIdentityFailure(facts, context, fail);

	if (facts.transport) {
		return fail(
			'network',
			`Could not reach the identity platform: ${facts.transport.message}`,
			undefined,
			`Check Cloud / Authority Host (${context.authorityHost ?? 'unknown'}), DNS, firewall and proxy settings of this host.`,
		);
	}
	if (facts.status !== undefined && (facts.status >= 500 || facts.status === 429)) {
		return fail(
			'serviceUnavailable',
			`The identity platform answered HTTP ${facts.status}`,
			undefined,
			"Try again shortly; set the node's Retry On Fail if this recurs.",
		);
	}
	if (facts.msalCode === 'invalid_grant') {
		return fail('refreshTokenInvalid', 'The refresh token was rejected (invalid_grant)', 'refreshToken', SEED_HINT);
	}
	if (facts.msalCode === 'invalid_client') {
		return fail(
			'wrongSecret',
			'The client credential was rejected (invalid_client)',
			'clientSecret',
			'Check Client Secret, or Private Key and Certificate, against the app registration.',
		);
	}
	const code = facts.aadsts ? ` (AADSTS${facts.aadsts})` : facts.msalCode ? ` (${facts.msalCode})` : '';
	return fail('unknown', `Token request failed${code}`, undefined);
}

function managedIdentityFailure(
	facts: ErrorFacts,
	context: FailureContext,
	fail: (reason: FailureReason, message: string, field?: string, extra?: string) => ScopedMailboxAuthError,
): ScopedMailboxAuthError {
	const label = context.managedIdentity?.label ?? 'the managed identity';
	const source = context.managedIdentity?.source;
	const text = `${facts.serverMessage ?? ''} ${facts.text}`;
	const unavailableHelp =
		'Managed identity works only when n8n runs in Azure (App Service, Container Apps, Functions, VMs, VM scale sets, AKS through the node or pod identity that IMDS serves, Azure Arc servers): enable the identity on that resource. Elsewhere use the "Scoped Mailbox Entra App (Client Secret or Certificate) API" credential.';
	if (facts.transport) {
		return fail(
			'managedIdentityUnavailable',
			`No managed identity is available on this host: ${facts.transport.message}`,
			'identityType',
			`${source ? `msal looked for the ${source} endpoint. ` : ''}${unavailableHelp}`,
		);
	}
	if (
		/identity not found|not found|no managed identity|unable to find|unable to load|does not exist/i.test(text) &&
		facts.status !== undefined &&
		facts.status < 500
	) {
		return fail(
			'managedIdentityNotFound',
			`${label} is not assigned to this host (HTTP ${facts.status})`,
			'identityType',
			'Assign the user-assigned identity to the Azure resource n8n runs on (Identity blade > User assigned), or check the identifier in this credential. For a system-assigned identity, switch it on under Identity > System assigned.',
		);
	}
	if (
		/environment|endpoint|source|unable_to_create|malformed/i.test(facts.msalCode ?? '') ||
		/environment variable/i.test(text)
	) {
		return fail(
			'managedIdentityUnavailable',
			'No managed identity is available on this host',
			'identityType',
			unavailableHelp,
		);
	}
	if (facts.status !== undefined && (facts.status >= 500 || facts.status === 429)) {
		return fail(
			'serviceUnavailable',
			`The managed identity endpoint answered HTTP ${facts.status}`,
			undefined,
			"Try again shortly; set the node's Retry On Fail if this recurs.",
		);
	}
	const code = facts.msalCode ? ` (${facts.msalCode})` : facts.status ? ` (HTTP ${facts.status})` : '';
	return fail(
		'managedIdentityUnavailable',
		`Managed identity token request failed${code}`,
		'identityType',
		unavailableHelp,
	);
}
