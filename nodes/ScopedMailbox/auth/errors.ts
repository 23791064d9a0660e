/**
 * The error token acquisition throws, its reasons and what a failure is read against. auth/failures.ts builds
 * it from what msal-node, the identity platform or the network threw (toAuthError); auth/aadsts.ts holds the
 * AADSTS codes it knows.
 */
import type { CredentialKind } from './registry';

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

/** A credential setting that cannot be used, naming its field. */
export function configurationError(message: string, field: string, description?: string): ScopedMailboxAuthError {
	return new ScopedMailboxAuthError(message, { reason: 'configuration', field, description });
}
