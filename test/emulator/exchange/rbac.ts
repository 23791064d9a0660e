/**
 * RBAC for Applications: role assignments for an Exchange service principal, org-wide or limited to a management
 * scope's recipient filter. They add access independently of the token's roles (they are not in the token).
 */
import type { EmulatorState, ExchangeServicePrincipal, Mailbox, ManagementRoleAssignment } from '../core/state';
import { compileRecipientFilter } from './opath';
import { MailCapability, roleGrants } from './permissions';
import { PolicyView, policyPropagationMs } from './policies';

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** -App / -Identity of the *-ServicePrincipal cmdlets: app id, object id or display name. */
export function findServicePrincipal(state: EmulatorState, identity: string): ExchangeServicePrincipal | undefined {
	return state.exchangeServicePrincipals.find(
		(sp) => same(sp.appId, identity) || same(sp.objectId, identity) || same(sp.displayName, identity),
	);
}

function assignmentInView(state: EmulatorState, a: ManagementRoleAssignment, view: PolicyView): boolean {
	if (view.kind === 'configured') return a.removedAt === undefined;
	if (a.effectiveAt > view.now) return false;
	return a.removedAt === undefined || view.now < a.removedAt + policyPropagationMs(state);
}

export function assignmentsFor(state: EmulatorState, appId: string, view: PolicyView): ManagementRoleAssignment[] {
	const sp = findServicePrincipal(state, appId);
	return state.roleAssignments.filter(
		(a) =>
			(same(a.app, appId) || (sp && (same(a.app, sp.objectId) || same(a.app, sp.appId)))) &&
			assignmentInView(state, a, view),
	);
}

/** Whether a mailbox falls in an assignment's resource scope (org-wide when it names none). */
export function assignmentCovers(
	state: EmulatorState,
	assignment: ManagementRoleAssignment,
	mailbox: Mailbox,
): boolean {
	if (!assignment.customResourceScope) return true;
	const scope = state.managementScopes.find((s) => same(s.name, assignment.customResourceScope));
	if (!scope) return false;
	try {
		return compileRecipientFilter(scope.recipientRestrictionFilter, state).matches(mailbox);
	} catch {
		// A scope whose filter no longer resolves (a removed group) covers nobody rather than everybody.
		return false;
	}
}

/**
 * The assignment that lets this caller do `capability` on `mailbox`, if any. Exchange ties the grant to the
 * service principal reference: when its ObjectId is not the token's oid (the classic mistake of using the app
 * registration's object id instead of the enterprise application's), the grant does not apply.
 */
export function rbacGrant(
	state: EmulatorState,
	caller: { appId: string; objectId: string },
	mailbox: Mailbox,
	capability: MailCapability,
	now: number,
): ManagementRoleAssignment | undefined {
	const sp = state.exchangeServicePrincipals.find((candidate) => same(candidate.appId, caller.appId));
	if (sp && !same(sp.objectId, caller.objectId)) return undefined;
	return assignmentsFor(state, caller.appId, { kind: 'enforced', now }).find(
		(a) => roleGrants(a.role, capability) && assignmentCovers(state, a, mailbox),
	);
}
