/** New/Get/Remove/Test-ApplicationAccessPolicy. */
import type { EmulatorContext } from '../../core/context';
import type { ApplicationAccessPolicy, EmulatorState } from '../../core/state';
import { evaluatePolicies, policyPropagationMs } from '../policies';
import { findGroup, findMailbox } from '../recipients';
import { AdminError, notFound, optionalString, requireEnum, requireGuid, requireParam, stringList } from './params';

const ACCESS_RIGHTS = ['RestrictAccess', 'DenyAccess'] as const;

function present(state: EmulatorState, policy: ApplicationAccessPolicy) {
	const group = state.groups.find((g) => g.id === policy.policyScopeGroupId);
	return {
		Identity: policy.identity,
		AppId: policy.appId,
		ScopeName: group?.displayName ?? policy.policyScopeGroupId,
		ScopeIdentity: group?.displayName ?? policy.policyScopeGroupId,
		PolicyScopeGroupId: policy.policyScopeGroupId,
		AccessRight: policy.accessRight,
		Description: policy.description,
		IsValid: !!group,
		// Emulator extension: when the Graph front end starts enforcing it (propagation delay).
		EffectiveAt: new Date(policy.effectiveAt).toISOString(),
	};
}

export function registerApplicationAccessPolicyCmdlets(ctx: EmulatorContext): void {
	const { state, clock } = ctx;

	ctx.admin.register('New-ApplicationAccessPolicy', (body) => {
		const appIds = stringList(body, 'AppId').map((appId) => requireGuid({ AppId: appId }, 'AppId'));
		const accessRight = requireEnum(
			body,
			'AccessRight',
			'Microsoft.Exchange.Data.ApplicationAccessPolicyRight',
			ACCESS_RIGHTS,
		);
		const scopeId = requireParam(body, 'PolicyScopeGroupId');
		const group = findGroup(state, scopeId);
		if (!group) {
			throw findMailbox(state, scopeId)
				? new AdminError(
						`The PolicyScopeGroupId '${scopeId}' isn't a mail-enabled security group. Application access policies can only be scoped to mail-enabled security groups.`,
						400,
						'InvalidOperationException',
					)
				: notFound(scopeId);
		}
		if (!group.mailEnabledSecurity) {
			throw new AdminError(
				`The group '${group.displayName}' isn't a mail-enabled security group. Application access policies can only be scoped to mail-enabled security groups.`,
				400,
				'InvalidOperationException',
			);
		}
		const created = appIds.map((appId) => {
			const identity = `${state.tenant.id}\\${appId}:${group.id}`;
			if (state.applicationAccessPolicies.some((p) => p.identity === identity && p.removedAt === undefined)) {
				throw new AdminError(
					`An application access policy for app '${appId}' and scope '${group.displayName}' already exists.`,
					400,
					'ApplicationAccessPolicyAlreadyExistsException',
				);
			}
			const policy: ApplicationAccessPolicy = {
				identity,
				appId,
				policyScopeGroupId: group.id,
				accessRight,
				description: optionalString(body, 'Description') ?? '',
				effectiveAt: clock.now() + policyPropagationMs(state),
			};
			state.applicationAccessPolicies.push(policy);
			return present(state, policy);
		});
		return created.length === 1 ? created[0] : created;
	});

	ctx.admin.register('Get-ApplicationAccessPolicy', (body) => {
		const identity = optionalString(body, 'Identity');
		return state.applicationAccessPolicies
			.filter((p) => p.removedAt === undefined)
			.filter(
				(p) => !identity || p.identity.toLowerCase() === identity.toLowerCase() || p.appId === identity.toLowerCase(),
			)
			.map((p) => present(state, p));
	});

	ctx.admin.register('Remove-ApplicationAccessPolicy', (body) => {
		const identity = requireParam(body, 'Identity');
		const policy = state.applicationAccessPolicies.find(
			(p) => p.removedAt === undefined && p.identity.toLowerCase() === identity.toLowerCase(),
		);
		if (!policy) throw notFound(identity);
		// Kept until the removal has propagated: the Graph front end still enforces it until then.
		policy.removedAt = clock.now();
		return {};
	});

	// Answers from the configured policies, as the real cmdlet reads the directory: a policy counts at once, before
	// the Graph front end enforces it, and a removed one stops counting at once. Only the policy is judged, not
	// whether the app holds any Entra permission at all.
	ctx.admin.register('Test-ApplicationAccessPolicy', (body) => {
		const appId = requireGuid(body, 'AppId');
		const identity = requireParam(body, 'Identity');
		const mailbox = findMailbox(state, identity);
		if (!mailbox) throw notFound(identity);
		const decision = evaluatePolicies(state, appId, mailbox, { kind: 'configured' });
		return {
			AppId: appId,
			Mailbox: mailbox.displayName,
			MailboxId: mailbox.id,
			AccessCheckResult: !decision.applies || decision.allowed ? 'Granted' : 'Denied',
		};
	});
}
