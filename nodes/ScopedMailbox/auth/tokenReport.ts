/**
 * What a token says about its identity, in the words the credential Test button and Mailbox > Test Access both
 * show: who it is, what it may do, when it (and a certificate) expires.
 */
import type { AcquiredToken } from './acquire';
import { describeAccessToken, type AccessTokenDescription } from './tokenClaims';

export const CERTIFICATE_WARNING_DAYS = 30;

function minutesUntil(date: Date, now = new Date()): number {
	return Math.round((date.getTime() - now.getTime()) / 60_000);
}

export function identityLine(claims: AccessTokenDescription | undefined): string {
	if (!claims) return 'Token acquired (not a JWT, so its claims cannot be shown).';
	if (claims.kind === 'delegated') {
		const who = claims.upn ? `user ${claims.upn}` : `user ${claims.objectId}`;
		const app = claims.displayName ? `"${claims.displayName}" (${claims.appId})` : claims.appId;
		return `Signed in as ${who} through app ${app} in tenant ${claims.tenantId}.`;
	}
	const name = claims.displayName ? `"${claims.displayName}" ` : '';
	return `Identity: app ${name}(app ID ${claims.appId}, object ID ${claims.objectId}) in tenant ${claims.tenantId}.`;
}

export function permissionsLine(claims: AccessTokenDescription | undefined): string {
	if (!claims) return '';
	if (claims.kind === 'delegated') {
		return claims.scopes.length
			? `Delegated permissions: ${claims.scopes.join(', ')}.`
			: 'Delegated permissions: none.';
	}
	return claims.roles.length
		? `Application permissions: ${claims.roles.join(', ')}.`
		: 'Application permissions in the token: none (expected when Exchange RBAC for Applications grants the mailbox access; otherwise grant Mail.* application permissions with admin consent).';
}

export function expiryLine(expiresOn: Date | undefined): string {
	if (!expiresOn) return '';
	const minutes = minutesUntil(expiresOn);
	return `Token expires ${expiresOn.toISOString()} (in ${minutes} min).`;
}

function certificateLine(certificate: AcquiredToken['certificate']): string {
	if (!certificate) return '';
	const days = certificate.daysLeft;
	const base = `Certificate ${certificate.thumbprintSha1} expires ${certificate.notAfter.toISOString().slice(0, 10)} (${days} days left).`;
	return days < CERTIFICATE_WARNING_DAYS
		? `WARNING: ${base} Renew it and upload the new certificate to the app registration before it expires.`
		: base;
}

export function successMessage(token: AcquiredToken): string {
	const claims = describeAccessToken(token.accessToken);
	return [
		identityLine(claims),
		permissionsLine(claims),
		expiryLine(token.expiresOn ?? claims?.expiresOn),
		certificateLine(token.certificate),
		token.managedIdentitySource ? `Managed identity source: ${token.managedIdentitySource}.` : '',
	]
		.filter(Boolean)
		.join(' ');
}
