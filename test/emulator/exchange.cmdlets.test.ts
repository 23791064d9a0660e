/** Exchange admin cmdlets of the emulator: results, validation errors, and what authorizeMailboxAccess makes of them. */
import { startEmulator, type EmulatorHandle, type Scenario } from './index';
import { authorizeMailboxAccess } from './exchange/authorize';

const TENANT = '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b0a';
const guid = (n: number) => `6c6c6c6c-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ids = { shared: guid(1), other: guid(2), user: guid(3), sec: guid(4), dl: guid(5), nested: guid(6) };
const appA = { appId: guid(101), sp: guid(201) };
const appB = { appId: guid(102), sp: guid(202) };

const scenario: Scenario = {
	name: 'exchange-cmdlets',
	tenant: { id: TENANT, domain: 'fabrikam.onmicrosoft.com', displayName: 'Fabrikam' },
	mailboxes: [
		{
			key: 'shared',
			id: ids.shared,
			upn: 'shared@fabrikam.onmicrosoft.com',
			displayName: 'Shared Box',
			type: 'SharedMailbox',
			department: 'Ops',
		},
		{
			key: 'other',
			id: ids.other,
			upn: 'other@fabrikam.onmicrosoft.com',
			displayName: 'Other Box',
			type: 'SharedMailbox',
		},
		{ key: 'user', id: ids.user, upn: 'user@fabrikam.onmicrosoft.com', displayName: 'Pat User', password: 'Pat-Pa55!' },
	],
	groups: [
		{
			key: 'sec',
			id: ids.sec,
			displayName: 'Scoped Security',
			primarySmtpAddress: 'scoped-sec@fabrikam.onmicrosoft.com',
			members: ['shared'],
		},
		{
			key: 'dl',
			id: ids.dl,
			displayName: 'Plain DL',
			primarySmtpAddress: 'plain-dl@fabrikam.onmicrosoft.com',
			mailEnabledSecurity: false,
			members: ['user'],
		},
		{
			key: 'nested',
			id: ids.nested,
			displayName: 'Nested Security',
			primarySmtpAddress: 'nested-sec@fabrikam.onmicrosoft.com',
			members: ['other'],
		},
	],
	apps: [
		{
			key: 'a',
			appId: appA.appId,
			servicePrincipalId: appA.sp,
			displayName: 'App A',
			secrets: [{ value: 'app-a-secret' }],
			applicationPermissions: ['Mail.ReadBasic', 'Mail.Send'],
		},
		{
			key: 'b',
			appId: appB.appId,
			servicePrincipalId: appB.sp,
			displayName: 'App B',
			secrets: [{ value: 'app-b-secret' }],
		},
	],
};

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario, port: 0, httpPort: 0 });
});
afterAll(async () => {
	await emu?.close();
});

async function rejection(operation: string, body: object): Promise<{ status: number; code: string; message: string }> {
	try {
		await emu.admin(operation, body);
	} catch (err: any) {
		return { status: err.status, code: err.code, message: err.message };
	}
	throw new Error(`${operation} succeeded but should have failed`);
}

async function claimsOf(appId: string, secret: string) {
	const res = await fetch(`${emu.info.authorityHost}/${TENANT}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: appId,
			client_secret: secret,
			scope: `${emu.info.graphBaseUrl}/.default`,
		}).toString(),
	});
	const { access_token } = (await res.json()) as { access_token: string };
	const check = emu.context.verifyGraphToken(`Bearer ${access_token}`);
	if (!check.ok) throw new Error('token did not verify');
	return check.claims;
}
const mailbox = (id: string) => emu.state.mailboxes.find((m) => m.id === id)!;

describe('ApplicationAccessPolicy cmdlets', () => {
	test('validate like Exchange', async () => {
		expect(
			await rejection('New-ApplicationAccessPolicy', {
				AppId: appA.appId,
				PolicyScopeGroupId: 'no-such-group@fabrikam.onmicrosoft.com',
				AccessRight: 'RestrictAccess',
			}),
		).toMatchObject({
			status: 404,
			code: 'ManagementObjectNotFoundException',
			message: expect.stringMatching(
				/^The operation couldn't be performed because object 'no-such-group@fabrikam.onmicrosoft.com' couldn't be found/,
			),
		});
		expect(
			(
				await rejection('New-ApplicationAccessPolicy', {
					AppId: appA.appId,
					PolicyScopeGroupId: 'Plain DL',
					AccessRight: 'RestrictAccess',
				})
			).message,
		).toMatch(/isn't a mail-enabled security group/);
		expect(
			(
				await rejection('New-ApplicationAccessPolicy', {
					AppId: appA.appId,
					PolicyScopeGroupId: 'shared@fabrikam.onmicrosoft.com',
					AccessRight: 'RestrictAccess',
				})
			).message,
		).toMatch(/isn't a mail-enabled security group/);
		expect(
			(
				await rejection('New-ApplicationAccessPolicy', {
					AppId: appA.appId,
					PolicyScopeGroupId: 'Scoped Security',
					AccessRight: 'AllowAccess',
				})
			).message,
		).toMatch(/Specify one of the following enumerator names and try again:\nRestrictAccess, DenyAccess/);
		expect(
			(
				await rejection('New-ApplicationAccessPolicy', {
					AppId: 'not-a-guid',
					PolicyScopeGroupId: 'Scoped Security',
					AccessRight: 'RestrictAccess',
				})
			).message,
		).toMatch(/not a valid GUID/);
		expect(
			(await rejection('New-ApplicationAccessPolicy', { AppId: appA.appId, AccessRight: 'RestrictAccess' })).message,
		).toBe('Parameter PolicyScopeGroupId is required');
		expect(emu.state.applicationAccessPolicies).toHaveLength(0);
	});

	test('create, list, test, remove', async () => {
		const created = await emu.admin<any>('New-ApplicationAccessPolicy', {
			AppId: appA.appId.toUpperCase(),
			PolicyScopeGroupId: 'scoped-sec@fabrikam.onmicrosoft.com',
			AccessRight: 'restrictaccess',
			Description: 'Only the shared box',
		});
		expect(created).toMatchObject({
			Identity: `${TENANT}\\${appA.appId}:${ids.sec}`,
			AppId: appA.appId,
			ScopeName: 'Scoped Security',
			AccessRight: 'RestrictAccess',
			Description: 'Only the shared box',
			IsValid: true,
		});
		expect(
			(
				await rejection('New-ApplicationAccessPolicy', {
					AppId: appA.appId,
					PolicyScopeGroupId: 'Scoped Security',
					AccessRight: 'RestrictAccess',
				})
			).message,
		).toMatch(/already exists/);
		expect(await emu.admin<any[]>('Get-ApplicationAccessPolicy')).toEqual([created]);
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: appA.appId, Identity: 'Shared Box' }))
				.AccessCheckResult,
		).toBe('Granted');
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: appA.appId, Identity: 'other' }))
				.AccessCheckResult,
		).toBe('Denied');
		// Another app has no policy: Granted (the cmdlet judges the policy, not the app's permissions).
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: appB.appId, Identity: 'other' }))
				.AccessCheckResult,
		).toBe('Granted');

		const claims = await claimsOf(appA.appId, 'app-a-secret');
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'readBasic')).toEqual({
			allowed: true,
			via: 'entra:Mail.ReadBasic+policy:RestrictAccess',
		});
		const denied = authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'send');
		expect(denied.allowed).toBe(false);
		if (!denied.allowed) {
			expect(denied.response.status).toBe(403);
			expect(denied.response.body).toMatchObject({
				error: {
					code: 'ErrorAccessDenied',
					message: 'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.',
				},
			});
		}
		// Mail.ReadBasic does not imply Mail.Read: no grant to narrow, so the plain denial.
		const noRead = authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'read');
		expect(!noRead.allowed && (noRead.response.body as any).error.message).toBe(
			'Access is denied. Check credentials and try again.',
		);

		// Nested group: members of a member group count for RestrictAccess.
		await emu.admin('Add-DistributionGroupMember', { Identity: 'Scoped Security', Member: 'Nested Security' });
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'send')).toMatchObject({ allowed: true });
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: appA.appId, Identity: 'other' }))
				.AccessCheckResult,
		).toBe('Granted');
		await emu.admin('Remove-DistributionGroupMember', {
			Identity: 'Scoped Security',
			Member: 'nested-sec@fabrikam.onmicrosoft.com',
		});

		expect((await rejection('Remove-ApplicationAccessPolicy', { Identity: 'nope' })).status).toBe(404);
		await emu.admin('Remove-ApplicationAccessPolicy', { Identity: created.Identity });
		expect(await emu.admin('Get-ApplicationAccessPolicy')).toEqual([]);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'send')).toEqual({
			allowed: true,
			via: 'entra:Mail.Send',
		});
	});

	test('DenyAccess keeps the app out of the group only', async () => {
		const policy = await emu.admin<any>('New-ApplicationAccessPolicy', {
			AppId: appA.appId,
			PolicyScopeGroupId: ids.sec,
			AccessRight: 'DenyAccess',
		});
		const claims = await claimsOf(appA.appId, 'app-a-secret');
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'send').allowed).toBe(false);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'send')).toEqual({
			allowed: true,
			via: 'entra:Mail.Send+policy:DenyAccess',
		});
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: appA.appId, Identity: ids.shared }))
				.AccessCheckResult,
		).toBe('Denied');
		await emu.admin('Remove-ApplicationAccessPolicy', { Identity: policy.Identity });
	});

	test('errors reach HTTP clients as {error:{code,message}}', async () => {
		const res = await fetch(`${emu.info.adminUrl}/New-ApplicationAccessPolicy`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ AppId: appA.appId, PolicyScopeGroupId: 'missing', AccessRight: 'DenyAccess' }),
		});
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({
			error: {
				code: 'ManagementObjectNotFoundException',
				message: expect.stringContaining("object 'missing' couldn't be found"),
			},
		});
	});
});

describe('RBAC for Applications cmdlets', () => {
	test('New-ManagementRoleAssignment needs New-ServicePrincipal first, a known role and scope', async () => {
		expect(
			await rejection('New-ManagementRoleAssignment', { App: appB.appId, Role: 'Application Mail.Read' }),
		).toMatchObject({ status: 404, message: expect.stringContaining(`object '${appB.appId}' couldn't be found`) });
		const sp = await emu.admin<any>('New-ServicePrincipal', { AppId: appB.appId, ObjectId: appB.sp });
		expect(sp).toMatchObject({ AppId: appB.appId, ObjectId: appB.sp, DisplayName: 'App B' });
		expect((await rejection('New-ServicePrincipal', { AppId: appB.appId, ObjectId: appB.sp })).message).toMatch(
			/already exists/,
		);
		expect(
			(await rejection('New-ManagementRoleAssignment', { App: 'App B', Role: 'Application Mail.Everything' })).message,
		).toMatch(/'Application Mail.Everything' couldn't be found/);
		expect(
			(
				await rejection('New-ManagementRoleAssignment', {
					App: appB.sp,
					Role: 'Application Mail.Read',
					CustomResourceScope: 'Nope',
				})
			).message,
		).toMatch(/'Nope' couldn't be found/);
		expect(emu.state.roleAssignments).toHaveLength(0);
	});

	test('New-ManagementScope rejects invalid filters as Exchange does', async () => {
		expect(
			await rejection('New-ManagementScope', {
				Name: 'Broken',
				RecipientRestrictionFilter: "Department -eq 'Ops' -and",
			}),
		).toMatchObject({
			status: 400,
			code: 'InvalidFilterException',
			message: expect.stringMatching(/^Invalid filter syntax/),
		});
		expect(
			(await rejection('New-ManagementScope', { Name: 'Broken', RecipientRestrictionFilter: "Office -eq 'x'" }))
				.message,
		).toMatch(/"Office" is not a recognized filterable property/);
		expect(
			(
				await rejection('New-ManagementScope', {
					Name: 'Broken',
					RecipientRestrictionFilter: "MemberOfGroup -eq 'CN=Ghost,DC=x'",
				})
			).message,
		).toMatch(/couldn't be found/);
		expect(emu.state.managementScopes).toHaveLength(0);
		await emu.admin('New-ManagementScope', { Name: 'Ops', RecipientRestrictionFilter: "Department -eq 'Ops'" });
		expect(
			(await rejection('New-ManagementScope', { Name: 'ops', RecipientRestrictionFilter: "Alias -eq 'x'" })).message,
		).toMatch(/already exists/);
	});

	test('assignments grant per scope; Test-ServicePrincipalAuthorization follows the recipient attributes', async () => {
		const scoped = await emu.admin<any>('New-ManagementRoleAssignment', {
			App: appB.appId,
			Role: 'application mail.read',
			CustomResourceScope: 'Ops',
		});
		expect(scoped).toMatchObject({
			Role: 'Application Mail.Read',
			App: appB.appId,
			CustomResourceScope: 'Ops',
			RecipientWriteScope: 'CustomRecipientScope',
			RoleAssigneeType: 'ServicePrincipal',
		});
		const claims = await claimsOf(appB.appId, 'app-b-secret');
		expect(claims.roles).toBeUndefined(); // RBAC grants are not in the token
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'read')).toEqual({
			allowed: true,
			via: 'rbac:Application Mail.Read@Ops',
		});
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'readBasic').allowed).toBe(true);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'readWrite').allowed).toBe(false);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'read').allowed).toBe(false);
		expect(
			await emu.admin('Test-ServicePrincipalAuthorization', {
				Identity: 'App B',
				Resource: 'other@fabrikam.onmicrosoft.com',
			}),
		).toEqual([
			{
				RoleName: 'Application Mail.Read',
				GrantedPermissions: 'Mail.Read',
				AllowedResourceScope: 'Ops',
				ScopeType: 'CustomRecipientScope',
				InScope: false,
			},
		]);

		await emu.admin('Set-Mailbox', { Identity: 'other', Department: 'Ops' });
		expect(
			(await emu.admin<any[]>('Test-ServicePrincipalAuthorization', { Identity: appB.appId, Resource: ids.other }))[0]
				.InScope,
		).toBe(true);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.other), 'read').allowed).toBe(true);
		await emu.admin('Set-Mailbox', { Identity: 'other', Department: null });

		const orgWide = await emu.admin<any>('New-ManagementRoleAssignment', {
			App: appB.appId,
			Role: 'Application Mail Full Access',
		});
		expect(orgWide.Name).toBe('Application Mail Full Access-App B');
		const rows = await emu.admin<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: appB.appId,
			Resource: ids.other,
		});
		expect(rows).toContainEqual({
			RoleName: 'Application Mail Full Access',
			GrantedPermissions: 'Mail.ReadWrite, Mail.Send',
			AllowedResourceScope: 'Organization',
			ScopeType: 'Organization',
			InScope: true,
		});
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.user), 'send')).toEqual({
			allowed: true,
			via: 'rbac:Application Mail Full Access@Organization',
		});

		expect(
			(await emu.admin<any[]>('Get-ManagementRoleAssignment', { App: 'App B' })).map((a) => a.Name).sort(),
		).toEqual([orgWide.Name, scoped.Name].sort());
		expect((await rejection('Remove-ManagementScope', { Identity: 'Ops' })).message).toMatch(
			/referenced by management role assignments/,
		);
		await emu.admin('Remove-ManagementRoleAssignment', { Identity: orgWide.Name });
		await emu.admin('Remove-ManagementRoleAssignment', { Identity: scoped.Name });
		expect(await emu.admin('Get-ManagementRoleAssignment', { App: appB.appId })).toEqual([]);
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'read').allowed).toBe(false);
		expect((await rejection('Remove-ManagementRoleAssignment', { Identity: orgWide.Name })).status).toBe(404);
	});
});

describe('recipient cmdlets', () => {
	test('New-Mailbox creates a mailbox with a mail store; duplicates are refused', async () => {
		const created = await emu.admin<any>('New-Mailbox', {
			Name: 'Invoices',
			PrimarySmtpAddress: 'invoices@fabrikam.onmicrosoft.com',
			Shared: true,
		});
		expect(created).toMatchObject({
			Name: 'Invoices',
			Alias: 'invoices',
			PrimarySmtpAddress: 'invoices@fabrikam.onmicrosoft.com',
			RecipientTypeDetails: 'SharedMailbox',
		});
		expect(emu.state.stores.get(created.ExternalDirectoryObjectId)?.folders.map((f) => f.wellKnownName)).toContain(
			'inbox',
		);
		expect(
			(
				await rejection('New-Mailbox', {
					Name: 'Invoices 2',
					PrimarySmtpAddress: 'INVOICES@fabrikam.onmicrosoft.com',
					Shared: true,
				})
			).message,
		).toBe(
			'The proxy address "SMTP:INVOICES@fabrikam.onmicrosoft.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.',
		);
		expect((await rejection('New-Mailbox', { Name: 'Bad', PrimarySmtpAddress: 'not an address' })).message).toMatch(
			/isn't a valid SMTP address/,
		);
		const claims = await claimsOf(appA.appId, 'app-a-secret');
		expect(
			authorizeMailboxAccess(emu.context, claims, emu.state.mailboxes.find((m) => m.alias === 'invoices')!, 'send')
				.allowed,
		).toBe(true);
	});

	test('mailbox and recipient permissions validate their parameters', async () => {
		expect(
			(
				await rejection('Add-MailboxPermission', {
					Identity: 'Shared Box',
					User: 'ghost@fabrikam.onmicrosoft.com',
					AccessRights: 'FullAccess',
				})
			).status,
		).toBe(404);
		expect(
			(await rejection('Add-MailboxPermission', { Identity: 'Shared Box', User: 'user', AccessRights: 'SendAs' }))
				.message,
		).toMatch(/AccessRights 'SendAs' isn't supported/);
		expect(
			(
				await rejection('Remove-MailboxPermission', {
					Identity: 'Shared Box',
					User: 'user',
					AccessRights: 'FullAccess',
				})
			).message,
		).toMatch(/ACE doesn't exist/);
		expect(
			await emu.admin('Add-MailboxPermission', { Identity: 'Shared Box', User: 'user', AccessRights: ['FullAccess'] }),
		).toMatchObject({ User: 'user@fabrikam.onmicrosoft.com', AccessRights: ['FullAccess'] });
		expect(
			await emu.admin('Add-RecipientPermission', { Identity: 'Shared Box', Trustee: 'user', AccessRights: 'SendAs' }),
		).toMatchObject({ Trustee: 'user@fabrikam.onmicrosoft.com', AccessRights: ['SendAs'] });
		expect(await emu.admin('Get-MailboxPermission', { Identity: ids.shared })).toHaveLength(1);
		expect(await emu.admin('Get-RecipientPermission', { Identity: ids.shared })).toHaveLength(1);
		await emu.admin('Remove-MailboxPermission', { Identity: 'Shared Box', User: 'user', AccessRights: 'FullAccess' });
		await emu.admin('Remove-RecipientPermission', { Identity: 'Shared Box', Trustee: 'user', AccessRights: 'SendAs' });
		expect(emu.state.mailboxPermissions).toEqual([]);
	});

	test('group membership cmdlets refuse duplicates and non-members', async () => {
		expect(
			(await rejection('Add-DistributionGroupMember', { Identity: 'Scoped Security', Member: 'shared' })).message,
		).toBe('The recipient "shared" is already a member of the group "Scoped Security".');
		expect(
			(await rejection('Remove-DistributionGroupMember', { Identity: 'Scoped Security', Member: 'other' })).message,
		).toBe('The recipient "other" isn\'t a member of the group "Scoped Security".');
		expect((await rejection('Add-DistributionGroupMember', { Identity: 'No Group', Member: 'other' })).status).toBe(
			404,
		);
		expect(
			(await rejection('Add-DistributionGroupMember', { Identity: 'Scoped Security', Member: 'nobody' })).status,
		).toBe(404);
	});

	test('Set-Mailbox GrantSendOnBehalfTo lets a delegated user send on behalf', async () => {
		await emu.admin('Set-Mailbox', { Identity: 'Shared Box', GrantSendOnBehalfTo: 'user@fabrikam.onmicrosoft.com' });
		const claims = {
			aud: 'https://graph.microsoft.com',
			iss: '',
			iat: 0,
			nbf: 0,
			exp: 0,
			tid: TENANT,
			oid: ids.user,
			appid: appA.appId,
			idtyp: 'user' as const,
			scp: 'Mail.Send.Shared',
			upn: 'user@fabrikam.onmicrosoft.com',
		};
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'send')).toEqual({
			allowed: true,
			via: 'delegated:Mail.Send.Shared+SendOnBehalf',
		});
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'read').allowed).toBe(false);
		expect(authorizeMailboxAccess(emu.context, { ...claims, scp: 'Mail.Send' }, mailbox(ids.user), 'send')).toEqual({
			allowed: true,
			via: 'delegated:Mail.Send',
		});
		await emu.admin('Set-Mailbox', { Identity: 'Shared Box', GrantSendOnBehalfTo: null });
		expect(authorizeMailboxAccess(emu.context, claims, mailbox(ids.shared), 'send').allowed).toBe(false);
	});
});
