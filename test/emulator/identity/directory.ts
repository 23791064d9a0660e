import type { EmulatorState, AppRegistration, Mailbox, ManagedIdentity } from '../core/state';

export function findApp(state: EmulatorState, clientId: string | null | undefined): AppRegistration | undefined {
	if (!clientId) return undefined;
	const id = clientId.toLowerCase();
	return state.apps.find((a) => a.appId.toLowerCase() === id);
}

/** A user that can sign in: a mailbox account with a password, by id or UPN. */
export function findUser(state: EmulatorState, ref: string | null | undefined): Mailbox | undefined {
	if (!ref) return undefined;
	const r = ref.toLowerCase();
	return state.mailboxes.find((m) => m.id.toLowerCase() === r || m.upn.toLowerCase() === r);
}

/** An app registration or managed identity by app id, object id (or MI resource id). */
export function findPrincipal(
	state: EmulatorState,
	ref: string,
): { kind: 'app'; app: AppRegistration } | { kind: 'mi'; mi: ManagedIdentity } | undefined {
	const r = ref.toLowerCase();
	const app = state.apps.find((a) => a.appId.toLowerCase() === r || a.servicePrincipalId.toLowerCase() === r);
	if (app) return { kind: 'app', app };
	const mi = state.managedIdentities.find(
		(m) => m.clientId.toLowerCase() === r || m.objectId.toLowerCase() === r || m.resourceId.toLowerCase() === r,
	);
	return mi ? { kind: 'mi', mi } : undefined;
}

/** Tenant by GUID or verified domain; 'common' and 'organizations' resolve to the one tenant for user sign-ins. */
export function tenantMatches(state: EmulatorState, segment: string): 'tenant' | 'multi' | undefined {
	const s = segment.toLowerCase();
	if (s === state.tenant.id.toLowerCase() || s === state.tenant.domain.toLowerCase()) return 'tenant';
	if (s === 'common' || s === 'organizations') return 'multi';
	return undefined;
}
