/** *-ServicePrincipal, *-ManagementScope, *-ManagementRoleAssignment and Test-ServicePrincipalAuthorization. */
import type { EmulatorContext } from '../../core/context';
import type {
	EmulatorState,
	ExchangeServicePrincipal,
	ManagementRoleAssignment,
	ManagementScope,
} from '../../core/state';
import { OpathError, compileRecipientFilter } from '../opath';
import { canonicalRoleName, rolePermissions } from '../permissions';
import { policyPropagationMs } from '../policies';
import { assignmentCovers, assignmentsFor, findServicePrincipal } from '../rbac';
import { findMailbox } from '../recipients';
import { AdminError, notFound, optionalString, requireGuid, requireParam } from './params';

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

function presentPrincipal(sp: ExchangeServicePrincipal) {
	return {
		Identity: sp.objectId,
		Name: sp.objectId,
		AppId: sp.appId,
		ObjectId: sp.objectId,
		DisplayName: sp.displayName,
	};
}

function presentScope(scope: ManagementScope) {
	return {
		Name: scope.name,
		Identity: scope.name,
		RecipientRestrictionFilter: scope.recipientRestrictionFilter,
		RecipientRoot: null,
		ScopeRestrictionType: 'RecipientScope',
		Exclusive: false,
	};
}

function presentAssignment(state: EmulatorState, a: ManagementRoleAssignment) {
	const sp = findServicePrincipal(state, a.app);
	return {
		Name: a.name,
		Identity: a.name,
		Role: a.role,
		RoleAssignee: sp?.objectId ?? a.app,
		RoleAssigneeName: sp?.displayName ?? a.app,
		RoleAssigneeType: 'ServicePrincipal',
		App: a.app,
		CustomResourceScope: a.customResourceScope ?? null,
		RecipientWriteScope: a.customResourceScope ? 'CustomRecipientScope' : 'Organization',
		Enabled: true,
		// Emulator extension: when the Graph front end starts honouring it (propagation delay).
		EffectiveAt: new Date(a.effectiveAt).toISOString(),
	};
}

function compileOrThrow(filter: string, state: EmulatorState) {
	try {
		return compileRecipientFilter(filter, state);
	} catch (err) {
		if (err instanceof OpathError) throw new AdminError(err.message, 400, 'InvalidFilterException');
		throw err;
	}
}

export function registerRbacCmdlets(ctx: EmulatorContext): void {
	const { state, clock } = ctx;

	ctx.admin.register('New-ServicePrincipal', (body) => {
		const appId = requireGuid(body, 'AppId');
		// Exchange stores whatever ObjectId it is given; the wrong one (the app registration's) makes grants not apply.
		const objectId = requireGuid({ ObjectId: body?.ObjectId ?? body?.ServiceId }, 'ObjectId');
		if (state.exchangeServicePrincipals.some((sp) => same(sp.appId, appId) || same(sp.objectId, objectId))) {
			throw new AdminError(
				`A service principal with AppId '${appId}' or ObjectId '${objectId}' already exists.`,
				400,
				'ADObjectAlreadyExistsException',
			);
		}
		const known =
			state.apps.find((a) => same(a.appId, appId))?.displayName ??
			state.managedIdentities.find((m) => same(m.clientId, appId))?.displayName;
		const sp: ExchangeServicePrincipal = {
			appId,
			objectId,
			displayName: optionalString(body, 'DisplayName') ?? known ?? appId,
		};
		state.exchangeServicePrincipals.push(sp);
		return presentPrincipal(sp);
	});

	ctx.admin.register('Get-ServicePrincipal', (body) => {
		const identity = optionalString(body, 'Identity');
		if (!identity) return state.exchangeServicePrincipals.map(presentPrincipal);
		const sp = findServicePrincipal(state, identity);
		if (!sp) throw notFound(identity);
		return presentPrincipal(sp);
	});

	ctx.admin.register('Remove-ServicePrincipal', (body) => {
		const identity = requireParam(body, 'Identity');
		const sp = findServicePrincipal(state, identity);
		if (!sp) throw notFound(identity);
		state.exchangeServicePrincipals.splice(state.exchangeServicePrincipals.indexOf(sp), 1);
		// Its role assignments go with it, after the usual propagation.
		const now = clock.now();
		for (const a of state.roleAssignments) {
			if ((same(a.app, sp.appId) || same(a.app, sp.objectId)) && a.removedAt === undefined) a.removedAt = now;
		}
		return {};
	});

	ctx.admin.register('New-ManagementScope', (body) => {
		const name = requireParam(body, 'Name');
		const filter = requireParam(body, 'RecipientRestrictionFilter');
		if (state.managementScopes.some((s) => same(s.name, name))) {
			throw new AdminError(`The management scope "${name}" already exists.`, 400, 'ADObjectAlreadyExistsException');
		}
		compileOrThrow(filter, state);
		const scope: ManagementScope = { name, recipientRestrictionFilter: filter };
		state.managementScopes.push(scope);
		return presentScope(scope);
	});

	ctx.admin.register('Get-ManagementScope', (body) => {
		const identity = optionalString(body, 'Identity');
		if (!identity) return state.managementScopes.map(presentScope);
		const scope = state.managementScopes.find((s) => same(s.name, identity));
		if (!scope) throw notFound(identity);
		return presentScope(scope);
	});

	ctx.admin.register('Set-ManagementScope', (body) => {
		const identity = requireParam(body, 'Identity');
		const scope = state.managementScopes.find((s) => same(s.name, identity));
		if (!scope) throw notFound(identity);
		const filter = requireParam(body, 'RecipientRestrictionFilter');
		compileOrThrow(filter, state);
		scope.recipientRestrictionFilter = filter;
		return presentScope(scope);
	});

	ctx.admin.register('Remove-ManagementScope', (body) => {
		const identity = requireParam(body, 'Identity');
		const scope = state.managementScopes.find((s) => same(s.name, identity));
		if (!scope) throw notFound(identity);
		const users = state.roleAssignments.filter(
			(a) => a.removedAt === undefined && same(a.customResourceScope, scope.name),
		);
		if (users.length) {
			throw new AdminError(
				`Management scope "${scope.name}" can't be deleted because it's referenced by management role assignments: ${users.map((a) => a.name).join(', ')}.`,
				400,
				'InvalidOperationException',
			);
		}
		state.managementScopes.splice(state.managementScopes.indexOf(scope), 1);
		return {};
	});

	ctx.admin.register('New-ManagementRoleAssignment', (body) => {
		const appIdentity = requireParam(body, 'App');
		const sp = findServicePrincipal(state, appIdentity);
		// Without New-ServicePrincipal Exchange has no object to assign the role to.
		if (!sp) throw notFound(appIdentity);
		const roleName = requireParam(body, 'Role');
		const role = canonicalRoleName(roleName);
		if (!role) throw notFound(roleName);
		const scopeName = optionalString(body, 'CustomResourceScope');
		const scope = scopeName ? state.managementScopes.find((s) => same(s.name, scopeName)) : undefined;
		if (scopeName && !scope) throw notFound(scopeName);
		const live = state.roleAssignments.filter((a) => a.removedAt === undefined);
		let name = optionalString(body, 'Name') ?? `${role}-${sp.displayName}`.slice(0, 64);
		if (body?.Name !== undefined && live.some((a) => same(a.name, name))) {
			throw new AdminError(`The role assignment "${name}" already exists.`, 400, 'ADObjectAlreadyExistsException');
		}
		for (let n = 2; live.some((a) => same(a.name, name)); n++) name = `${role}-${sp.displayName}${n}`.slice(0, 64);
		const assignment: ManagementRoleAssignment = {
			name,
			app: sp.appId,
			role,
			customResourceScope: scope?.name,
			effectiveAt: clock.now() + policyPropagationMs(state),
		};
		state.roleAssignments.push(assignment);
		return presentAssignment(state, assignment);
	});

	ctx.admin.register('Get-ManagementRoleAssignment', (body) => {
		const identity = optionalString(body, 'Identity');
		const app = optionalString(body, 'App');
		const role = optionalString(body, 'Role');
		const sp = app ? findServicePrincipal(state, app) : undefined;
		return state.roleAssignments
			.filter((a) => a.removedAt === undefined)
			.filter((a) => !identity || same(a.name, identity))
			.filter((a) => !app || same(a.app, app) || same(a.app, sp?.appId))
			.filter((a) => !role || same(a.role, role))
			.map((a) => presentAssignment(state, a));
	});

	ctx.admin.register('Remove-ManagementRoleAssignment', (body) => {
		const identity = requireParam(body, 'Identity');
		const assignment = state.roleAssignments.find((a) => a.removedAt === undefined && same(a.name, identity));
		if (!assignment) throw notFound(identity);
		// Still honoured by the Graph front end until the removal propagates.
		assignment.removedAt = clock.now();
		return {};
	});

	// Like the real cmdlet it bypasses the permission cache: it answers from the configured assignments.
	ctx.admin.register('Test-ServicePrincipalAuthorization', (body) => {
		const identity = requireParam(body, 'Identity');
		const sp = findServicePrincipal(state, identity);
		if (!sp) throw notFound(identity);
		const resource = optionalString(body, 'Resource');
		const mailbox = resource ? findMailbox(state, resource) : undefined;
		if (resource && !mailbox) throw notFound(resource);
		return assignmentsFor(state, sp.appId, { kind: 'configured' }).map((a) => ({
			RoleName: a.role,
			GrantedPermissions: rolePermissions(a.role).join(', '),
			AllowedResourceScope: a.customResourceScope ?? 'Organization',
			ScopeType: a.customResourceScope ? 'CustomRecipientScope' : 'Organization',
			InScope: mailbox ? assignmentCovers(state, a, mailbox) : null,
		}));
	});
}
