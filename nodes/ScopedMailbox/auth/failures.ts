/**
 * Turns what msal-node, the identity platform, the network or a cloud setting threw into a fresh error with an
 * actionable, redacted message: the one wrapper of auth failures (token acquisition, the Test button, the seed
 * command). The original error is never passed on: msal and HTTP client errors carry the token request (client
 * secret, client assertion, refresh token) in their fields.
 */
import { AADSTS, RETRY_HINT, SEED_HINT, type AadstsRule } from './aadsts';
import { CloudConfigurationError } from './clouds';
import { ScopedMailboxAuthError, TransportError, type FailureContext, type FailureReason } from './errors';
import { credentialTypeOfKind, fieldLabel } from './registry';
import { redact } from './redact';

interface ErrorFacts {
	aadsts?: number;
	oauthError?: string;
	serverMessage?: string;
	status?: number;
	transport?: TransportError;
	msalCode?: string;
	text: string;
}

type Fail = (reason: FailureReason, message: string, field?: string, extra?: string) => ScopedMailboxAuthError;

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

/** The table's rule for the code: the first whose `when` matches the identity platform's words. */
function aadstsRule(code: number | undefined, words: string): AadstsRule | undefined {
	if (code === undefined || !Object.hasOwn(AADSTS, code)) return undefined;
	const entry = AADSTS[code];
	const rules: readonly AadstsRule[] = Array.isArray(entry) ? entry : [entry as AadstsRule];
	return rules.find((rule) => !rule.when || rule.when.test(words));
}

function filled(template: string, values: Record<string, string>): string {
	return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}

/**
 * The error to throw for a failed token acquisition: one already made is passed through, a cloud setting that
 * cannot be used names its field, everything else is read and replaced.
 */
export function toAuthError(error: unknown, context: FailureContext): ScopedMailboxAuthError {
	if (error instanceof ScopedMailboxAuthError) return error;
	if (error instanceof CloudConfigurationError)
		return new ScopedMailboxAuthError(error.message, { reason: 'configuration', field: error.field });
	const facts = factsOf(error);
	if (!facts.transport && context.transportFailure && facts.aadsts === undefined && facts.status === undefined) {
		facts.transport = context.transportFailure;
	}
	const words = serverWords(facts, context.secrets);
	const said = words ? `The identity platform said: ${words}` : undefined;
	const fail: Fail = (reason, message, field, extra) =>
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

	const rule = aadstsRule(facts.aadsts, `${facts.serverMessage ?? ''} ${facts.text}`);
	if (rule) {
		const values = {
			code: String(facts.aadsts),
			tenant: context.tenantId ? `"${context.tenantId}"` : 'the tenant',
			app: context.clientId ? `"${context.clientId}"` : 'the app',
			thumbprint: context.thumbprint ? ` (thumbprint ${context.thumbprint})` : '',
		};
		return fail(rule.reason, filled(rule.message, values), rule.field, rule.fix && filled(rule.fix, values));
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
		return fail('serviceUnavailable', `The identity platform answered HTTP ${facts.status}`, undefined, RETRY_HINT);
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

function managedIdentityFailure(facts: ErrorFacts, context: FailureContext, fail: Fail): ScopedMailboxAuthError {
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
			RETRY_HINT,
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
