/**
 * ApplicationAccessPolicy evaluation. Policies narrow what an app's Entra application permissions reach:
 * RestrictAccess = only members of the policy's group, DenyAccess = everyone but them. With several policies for
 * one app, a DenyAccess match wins, then the app is limited to the union of its RestrictAccess groups.
 */
import type { ApplicationAccessPolicy, EmulatorState, Mailbox } from '../core/state';
import { isMemberOf } from './recipients';

export type PolicyView =
	/** What the Graph front end enforces now: propagation delays apply. */
	| { kind: 'enforced'; now: number }
	/** What an admin configured (Test-ApplicationAccessPolicy): removed policies are gone, new ones count. */
	| { kind: 'configured' };

export function policyPropagationMs(state: EmulatorState): number {
	return Math.max(0, state.settings.policyPropagationSeconds) * 1000;
}

function inView(state: EmulatorState, policy: ApplicationAccessPolicy, view: PolicyView): boolean {
	if (view.kind === 'configured') return policy.removedAt === undefined;
	if (policy.effectiveAt > view.now) return false;
	return policy.removedAt === undefined || view.now < policy.removedAt + policyPropagationMs(state);
}

export function policiesFor(state: EmulatorState, appId: string, view: PolicyView): ApplicationAccessPolicy[] {
	const id = appId.toLowerCase();
	return state.applicationAccessPolicies.filter((p) => p.appId.toLowerCase() === id && inView(state, p, view));
}

export type PolicyDecision = { applies: false } | { applies: true; allowed: boolean; policy: ApplicationAccessPolicy };

export function evaluatePolicies(
	state: EmulatorState,
	appId: string,
	mailbox: Mailbox,
	view: PolicyView,
): PolicyDecision {
	const policies = policiesFor(state, appId, view);
	if (!policies.length) return { applies: false };
	const inGroup = (p: ApplicationAccessPolicy) => {
		const group = state.groups.find((g) => g.id === p.policyScopeGroupId);
		return !!group && isMemberOf(state, mailbox.id, group);
	};
	const deny = policies.find((p) => p.accessRight === 'DenyAccess' && inGroup(p));
	if (deny) return { applies: true, allowed: false, policy: deny };
	const restricts = policies.filter((p) => p.accessRight === 'RestrictAccess');
	if (!restricts.length) return { applies: true, allowed: true, policy: policies[0] };
	const granting = restricts.find(inGroup);
	return granting
		? { applies: true, allowed: true, policy: granting }
		: { applies: true, allowed: false, policy: restricts[0] };
}
