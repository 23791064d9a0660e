/**
 * Exchange Online's authorization of a Graph request against one mailbox. The Graph module calls this for every
 * mailbox-scoped request, after the token itself was verified.
 */
import type { AccessTokenClaims, EmulatorContext, EmuResponse } from '../core/context';
import type { EmulatorState, Mailbox } from '../core/state';
import {
	MailCapability,
	appPermissionGranting,
	delegatedOwnScopeGranting,
	delegatedSharedScopeGranting,
} from './permissions';
import { evaluatePolicies } from './policies';
import { rbacGrant } from './rbac';

export type { MailCapability } from './permissions';

export type MailboxAccessDecision = { allowed: true; via: string } | { allowed: false; response: EmuResponse };

/** Graph's texts for Exchange denials. */
export const ACCESS_DENIED_MESSAGE = 'Access is denied. Check credentials and try again.';
export const POLICY_DENIED_MESSAGE =
	'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.';
export const SEND_AS_DENIED_MESSAGE =
	'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.';

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

export function authorizeMailboxAccess(
	ctx: EmulatorContext,
	claims: AccessTokenClaims,
	mailbox: Mailbox,
	capability: MailCapability,
): MailboxAccessDecision {
	const deny = (code: string, message: string): MailboxAccessDecision => ({
		allowed: false,
		response: ctx.graphError(403, code, message),
	});
	const isAppOnly = claims.idtyp === 'app' || (claims.scp === undefined && Array.isArray(claims.roles));
	return isAppOnly
		? authorizeApp(ctx.state, ctx.clock.now(), claims, mailbox, capability, deny)
		: authorizeDelegated(ctx.state, claims, mailbox, capability, deny);
}

function authorizeApp(
	state: EmulatorState,
	now: number,
	claims: AccessTokenClaims,
	mailbox: Mailbox,
	capability: MailCapability,
	deny: (code: string, message: string) => MailboxAccessDecision,
): MailboxAccessDecision {
	const appId = String(claims.appid ?? '');
	// Entra grants are tenant-wide; only an ApplicationAccessPolicy narrows them (RBAC never does).
	const entraPermission = appPermissionGranting(claims.roles ?? [], capability);
	let blockedByPolicy = false;
	if (entraPermission) {
		const policy = evaluatePolicies(state, appId, mailbox, { kind: 'enforced', now });
		if (!policy.applies) return { allowed: true, via: `entra:${entraPermission}` };
		if (policy.allowed) return { allowed: true, via: `entra:${entraPermission}+policy:${policy.policy.accessRight}` };
		blockedByPolicy = true;
	}
	const assignment = rbacGrant(state, { appId, objectId: String(claims.oid ?? '') }, mailbox, capability, now);
	if (assignment) {
		return { allowed: true, via: `rbac:${assignment.role}@${assignment.customResourceScope ?? 'Organization'}` };
	}
	return blockedByPolicy
		? deny('ErrorAccessDenied', POLICY_DENIED_MESSAGE)
		: deny('ErrorAccessDenied', ACCESS_DENIED_MESSAGE);
}

function authorizeDelegated(
	state: EmulatorState,
	claims: AccessTokenClaims,
	mailbox: Mailbox,
	capability: MailCapability,
	deny: (code: string, message: string) => MailboxAccessDecision,
): MailboxAccessDecision {
	const scopes = String(claims.scp ?? '')
		.split(' ')
		.filter(Boolean);
	const user = state.mailboxes.find((m) => same(m.id, claims.oid) || same(m.upn, claims.upn));
	const userId = user?.id ?? String(claims.oid ?? '');
	if (same(mailbox.id, userId) || same(mailbox.upn, claims.upn)) {
		const scope = delegatedOwnScopeGranting(scopes, capability);
		return scope ? { allowed: true, via: `delegated:${scope}` } : deny('ErrorAccessDenied', ACCESS_DENIED_MESSAGE);
	}
	const scope = delegatedSharedScopeGranting(scopes, capability);
	if (!scope) return deny('ErrorAccessDenied', ACCESS_DENIED_MESSAGE);
	const rights = new Set(
		state.mailboxPermissions.filter((p) => p.mailboxId === mailbox.id && same(p.userId, userId)).map((p) => p.right),
	);
	if (capability === 'send') {
		if (rights.has('SendAs')) return { allowed: true, via: `delegated:${scope}+SendAs` };
		if (rights.has('SendOnBehalf')) return { allowed: true, via: `delegated:${scope}+SendOnBehalf` };
		// FullAccess opens the mailbox but does not let the user send as it: Exchange refuses the submission.
		return rights.has('FullAccess')
			? deny('ErrorSendAsDenied', SEND_AS_DENIED_MESSAGE)
			: deny('ErrorAccessDenied', ACCESS_DENIED_MESSAGE);
	}
	return rights.has('FullAccess')
		? { allowed: true, via: `delegated:${scope}+FullAccess` }
		: deny('ErrorAccessDenied', ACCESS_DENIED_MESSAGE);
}
