/** Mailboxes, groups and mailbox permissions: New-Mailbox, Set-Mailbox, *-MailboxPermission, *-RecipientPermission, group members. */
import type { EmulatorContext } from '../../core/context';
import type { EmulatorState, MailEnabledGroup, Mailbox, MailboxPermission } from '../../core/state';
import { findGroup, findMailbox } from '../recipients';
import { AdminError, notFound, optionalString, requireParam, stringList, switchParam } from './params';

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

function presentMailbox(m: Mailbox) {
	return {
		Identity: m.displayName,
		Name: m.displayName,
		DisplayName: m.displayName,
		Alias: m.alias,
		PrimarySmtpAddress: m.upn,
		UserPrincipalName: m.upn,
		ExternalDirectoryObjectId: m.id,
		RecipientTypeDetails: m.recipientType,
		Department: m.department ?? null,
		CustomAttribute1: m.customAttribute1 ?? '',
	};
}

function presentGroup(g: MailEnabledGroup, domain: string) {
	return {
		Identity: g.displayName,
		Name: g.displayName,
		DisplayName: g.displayName,
		PrimarySmtpAddress: g.primarySmtpAddress,
		ExternalDirectoryObjectId: g.id,
		RecipientTypeDetails: g.mailEnabledSecurity ? 'MailUniversalSecurityGroup' : 'MailUniversalDistributionGroup',
		DistinguishedName: `CN=${g.displayName.replace(/,/g, '\\,')},OU=${domain},OU=Microsoft Exchange Hosted Organizations,DC=EMUPR01A001,DC=PROD,DC=OUTLOOK,DC=COM`,
	};
}

function requireMailbox(state: EmulatorState, body: Record<string, unknown>, name: string): Mailbox {
	const identity = requireParam(body, name);
	const mailbox = findMailbox(state, identity);
	if (!mailbox) throw notFound(identity);
	return mailbox;
}

function addressInUse(state: EmulatorState, address: string): boolean {
	return (
		state.mailboxes.some((m) => same(m.upn, address)) || state.groups.some((g) => same(g.primarySmtpAddress, address))
	);
}

function proxyInUse(address: string): AdminError {
	return new AdminError(
		`The proxy address "SMTP:${address}" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`,
		400,
		'ProxyAddressExistsException',
	);
}

/** Validates AccessRights against what the emulator models; anything else would silently do nothing. */
function requireRights(body: Record<string, unknown>, supported: readonly string[]): MailboxPermission['right'][] {
	return stringList(body, 'AccessRights').map((right) => {
		const match = supported.find((s) => s.toLowerCase() === right.toLowerCase());
		if (!match) {
			throw new AdminError(
				`AccessRights '${right}' isn't supported here. Supported: ${supported.join(', ')}.`,
				400,
				'ParameterBindingException',
			);
		}
		return match as MailboxPermission['right'];
	});
}

export function registerRecipientCmdlets(ctx: EmulatorContext): void {
	const { state } = ctx;

	const grant = (mailbox: Mailbox, user: Mailbox, right: MailboxPermission['right']) => {
		if (
			!state.mailboxPermissions.some((p) => p.mailboxId === mailbox.id && p.userId === user.id && p.right === right)
		) {
			state.mailboxPermissions.push({ mailboxId: mailbox.id, userId: user.id, right });
		}
	};
	const revoke = (mailbox: Mailbox, user: Mailbox, right: MailboxPermission['right']) => {
		const before = state.mailboxPermissions.length;
		state.mailboxPermissions = state.mailboxPermissions.filter(
			(p) => !(p.mailboxId === mailbox.id && p.userId === user.id && p.right === right),
		);
		if (state.mailboxPermissions.length === before) {
			throw new AdminError(
				`Can't remove the access control entry on the object "${mailbox.displayName}" for account "${user.upn}" because the ACE doesn't exist on the object.`,
				400,
				'InvalidOperationException',
			);
		}
	};
	const permissionRow = (mailbox: Mailbox, user: Mailbox, rights: string[], trusteeKey: 'User' | 'Trustee') => ({
		Identity: mailbox.displayName,
		[trusteeKey]: user.upn,
		AccessRights: rights,
		IsInherited: false,
		Deny: false,
	});

	ctx.admin.register('Add-MailboxPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		const user = requireMailbox(state, body, 'User');
		const rights = requireRights(body, ['FullAccess']);
		rights.forEach((right) => grant(mailbox, user, right));
		return permissionRow(mailbox, user, rights, 'User');
	});

	ctx.admin.register('Remove-MailboxPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		const user = requireMailbox(state, body, 'User');
		requireRights(body, ['FullAccess']).forEach((right) => revoke(mailbox, user, right));
		return {};
	});

	ctx.admin.register('Get-MailboxPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		return state.mailboxPermissions
			.filter((p) => p.mailboxId === mailbox.id && p.right === 'FullAccess')
			.map((p) => ({
				Identity: mailbox.displayName,
				User: state.mailboxes.find((m) => m.id === p.userId)?.upn ?? p.userId,
				AccessRights: ['FullAccess'],
				IsInherited: false,
				Deny: false,
			}));
	});

	ctx.admin.register('Add-RecipientPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		const trustee = requireMailbox(state, body, 'Trustee');
		const rights = requireRights(body, ['SendAs']);
		rights.forEach((right) => grant(mailbox, trustee, right));
		return permissionRow(mailbox, trustee, rights, 'Trustee');
	});

	ctx.admin.register('Remove-RecipientPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		const trustee = requireMailbox(state, body, 'Trustee');
		requireRights(body, ['SendAs']).forEach((right) => revoke(mailbox, trustee, right));
		return {};
	});

	ctx.admin.register('Get-RecipientPermission', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		return state.mailboxPermissions
			.filter((p) => p.mailboxId === mailbox.id && p.right === 'SendAs')
			.map((p) => ({
				Identity: mailbox.displayName,
				Trustee: state.mailboxes.find((m) => m.id === p.userId)?.upn ?? p.userId,
				AccessRights: ['SendAs'],
				IsInherited: false,
			}));
	});

	ctx.admin.register('New-Mailbox', (body) => {
		const name = requireParam(body, 'Name');
		const shared = switchParam(body, 'Shared');
		const address = (
			optionalString(body, 'PrimarySmtpAddress') ??
			optionalString(body, 'MicrosoftOnlineServicesID') ??
			''
		).trim();
		const alias =
			optionalString(body, 'Alias') ?? (address ? address.split('@')[0] : name.replace(/[^A-Za-z0-9._-]/g, ''));
		const upn = address || `${alias}@${state.tenant.domain}`;
		if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) {
			throw new AdminError(`"${upn}" isn't a valid SMTP address.`, 400, 'ParameterBindingException');
		}
		if (addressInUse(state, upn)) throw proxyInUse(upn);
		if (state.mailboxes.some((m) => same(m.displayName, name))) {
			throw new AdminError(
				`The name "${name}" is already being used. Please try another name.`,
				400,
				'ADObjectAlreadyExistsException',
			);
		}
		const mailbox: Mailbox = {
			id: ctx.newId(),
			upn,
			displayName: optionalString(body, 'DisplayName') ?? name,
			recipientType: shared ? 'SharedMailbox' : 'UserMailbox',
			alias,
			department: optionalString(body, 'Department'),
			customAttribute1: optionalString(body, 'CustomAttribute1'),
			// Shared mailboxes have a disabled account: they never sign in.
			password: shared ? undefined : optionalString(body, 'Password'),
		};
		state.mailboxes.push(mailbox);
		ctx.ensureStore(mailbox.id);
		return presentMailbox(mailbox);
	});

	ctx.admin.register('Get-Mailbox', (body) => {
		const identity = optionalString(body, 'Identity');
		if (!identity) return state.mailboxes.map(presentMailbox);
		const mailbox = findMailbox(state, identity);
		if (!mailbox) throw notFound(identity);
		return presentMailbox(mailbox);
	});

	// The attributes management-scope filters read; GrantSendOnBehalfTo as Exchange's Set-Mailbox has it.
	ctx.admin.register('Set-Mailbox', (body) => {
		const mailbox = requireMailbox(state, body, 'Identity');
		if (body?.Department !== undefined)
			mailbox.department = body.Department === null ? undefined : String(body.Department);
		if (body?.CustomAttribute1 !== undefined) {
			mailbox.customAttribute1 = body.CustomAttribute1 === null ? undefined : String(body.CustomAttribute1);
		}
		if (body?.DisplayName !== undefined) mailbox.displayName = requireParam(body, 'DisplayName');
		if (body?.GrantSendOnBehalfTo !== undefined) {
			const delegates = body.GrantSendOnBehalfTo === null ? [] : stringList(body, 'GrantSendOnBehalfTo');
			const users = delegates.map((identity) => {
				const user = findMailbox(state, identity);
				if (!user) throw notFound(identity);
				return user;
			});
			state.mailboxPermissions = state.mailboxPermissions.filter(
				(p) => !(p.mailboxId === mailbox.id && p.right === 'SendOnBehalf'),
			);
			users.forEach((user) => grant(mailbox, user, 'SendOnBehalf'));
		}
		return presentMailbox(mailbox);
	});

	ctx.admin.register('New-DistributionGroup', (body) => {
		const name = requireParam(body, 'Name');
		const type = optionalString(body, 'Type') ?? 'Distribution';
		if (!/^(security|distribution)$/i.test(type)) {
			throw new AdminError(
				`Cannot bind parameter 'Type'. Specify one of: Distribution, Security.`,
				400,
				'ParameterBindingException',
			);
		}
		const address =
			optionalString(body, 'PrimarySmtpAddress') ?? `${name.replace(/[^A-Za-z0-9._-]/g, '')}@${state.tenant.domain}`;
		if (addressInUse(state, address)) throw proxyInUse(address);
		const members = body?.Members === undefined ? [] : stringList(body, 'Members');
		const group: MailEnabledGroup = {
			id: ctx.newId(),
			displayName: name,
			primarySmtpAddress: address,
			mailEnabledSecurity: /^security$/i.test(type),
			memberIds: members.map((member) => memberId(state, member)),
		};
		state.groups.push(group);
		return presentGroup(group, state.tenant.domain);
	});

	ctx.admin.register('Get-DistributionGroup', (body) => {
		const identity = optionalString(body, 'Identity');
		if (!identity) return state.groups.map((g) => presentGroup(g, state.tenant.domain));
		const group = findGroup(state, identity);
		if (!group) throw notFound(identity);
		return presentGroup(group, state.tenant.domain);
	});

	ctx.admin.register('Get-DistributionGroupMember', (body) => {
		const group = requireGroup(state, body);
		return group.memberIds.map((id) => {
			const mailbox = state.mailboxes.find((m) => m.id === id);
			if (mailbox) return presentMailbox(mailbox);
			const nested = state.groups.find((g) => g.id === id);
			return nested ? presentGroup(nested, state.tenant.domain) : { ExternalDirectoryObjectId: id };
		});
	});

	ctx.admin.register('Add-DistributionGroupMember', (body) => {
		const group = requireGroup(state, body);
		const member = requireParam(body, 'Member');
		const id = memberId(state, member);
		if (group.memberIds.includes(id)) {
			throw new AdminError(
				`The recipient "${member}" is already a member of the group "${group.displayName}".`,
				400,
				'MemberAlreadyExistsException',
			);
		}
		if (id === group.id) throw new AdminError(`A group can't be a member of itself.`, 400, 'InvalidOperationException');
		group.memberIds.push(id);
		return {};
	});

	ctx.admin.register('Remove-DistributionGroupMember', (body) => {
		const group = requireGroup(state, body);
		const member = requireParam(body, 'Member');
		const id = memberId(state, member);
		if (!group.memberIds.includes(id)) {
			throw new AdminError(
				`The recipient "${member}" isn't a member of the group "${group.displayName}".`,
				400,
				'MemberNotFoundException',
			);
		}
		group.memberIds = group.memberIds.filter((existing) => existing !== id);
		return {};
	});
}

function requireGroup(state: EmulatorState, body: Record<string, unknown>): MailEnabledGroup {
	const identity = requireParam(body, 'Identity');
	const group = findGroup(state, identity);
	if (!group) throw notFound(identity);
	return group;
}

function memberId(state: EmulatorState, identity: string): string {
	const mailbox = findMailbox(state, identity);
	if (mailbox) return mailbox.id;
	const group = findGroup(state, identity);
	if (group) return group.id;
	throw notFound(identity);
}
