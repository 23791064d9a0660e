/**
 * The "scope Graph permissions to a shared mailbox" walkthroughs, end to end over HTTP: tokens from the emulator's
 * token endpoint and IMDS, Graph calls, admin cmdlets through the admin API.
 */
import { startEmulator, type EmulatorHandle, type Scenario } from './index';

const TENANT = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ids = {
	notifications: '0b6f3c1e-1111-4a4a-9b9b-000000000001',
	finance: '0b6f3c1e-1111-4a4a-9b9b-000000000002',
	alex: '0b6f3c1e-1111-4a4a-9b9b-000000000003',
	megan: '0b6f3c1e-1111-4a4a-9b9b-000000000004',
	group: '0b6f3c1e-2222-4a4a-9b9b-000000000001',
	logicApp: '0b6f3c1e-3333-4a4a-9b9b-000000000001',
	logicAppObject: '0b6f3c1e-3333-4a4a-9b9b-000000000002',
};
const app = (n: number) => ({
	appId: `5a5a5a5a-0000-4000-8000-00000000000${n}`,
	sp: `5b5b5b5b-0000-4000-8000-00000000000${n}`,
});
const apps = {
	scoped: app(1),
	unscoped: app(2),
	rbac: app(3),
	mixed: app(4),
	client: app(5),
	late: app(6),
	plainClient: app(7),
};

const scenario: Scenario = {
	name: 'scoping-walkthrough',
	tenant: { id: TENANT, domain: 'contoso.onmicrosoft.com', displayName: 'Contoso' },
	mailboxes: [
		{
			key: 'notifications',
			id: ids.notifications,
			upn: 'notifications@contoso.onmicrosoft.com',
			displayName: 'Logic App Notifications',
			type: 'SharedMailbox',
			customAttribute1: 'n8n-scoped',
		},
		{
			key: 'finance',
			id: ids.finance,
			upn: 'finance@contoso.onmicrosoft.com',
			displayName: 'Finance',
			type: 'SharedMailbox',
		},
		{
			key: 'alex',
			id: ids.alex,
			upn: 'alex@contoso.onmicrosoft.com',
			displayName: 'Alex Wilber',
			password: 'Alex-Pa55!',
		},
		{
			key: 'megan',
			id: ids.megan,
			upn: 'megan@contoso.onmicrosoft.com',
			displayName: 'Megan Bowen',
			password: 'Megan-Pa55!',
		},
	],
	groups: [
		{
			key: 'scoped',
			id: ids.group,
			displayName: 'Logic App Mailboxes',
			primarySmtpAddress: 'logicapp-mailboxes@contoso.onmicrosoft.com',
			members: ['notifications'],
		},
	],
	managedIdentities: [
		{
			key: 'logicApp',
			kind: 'user',
			clientId: ids.logicApp,
			objectId: ids.logicAppObject,
			resourceId:
				'/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/logic-app',
			displayName: 'logic-app',
			applicationPermissions: ['Mail.Send'],
		},
	],
	apps: [
		{
			key: 'scoped',
			appId: apps.scoped.appId,
			servicePrincipalId: apps.scoped.sp,
			displayName: 'Scoped app',
			secrets: [{ value: 'scoped-secret-value' }],
			applicationPermissions: ['Mail.Send', 'Mail.Read'],
		},
		{
			key: 'unscoped',
			appId: apps.unscoped.appId,
			servicePrincipalId: apps.unscoped.sp,
			displayName: 'Unscoped app',
			secrets: [{ value: 'unscoped-secret-value' }],
			applicationPermissions: ['Mail.Send', 'Mail.ReadWrite'],
		},
		{
			key: 'rbac',
			appId: apps.rbac.appId,
			servicePrincipalId: apps.rbac.sp,
			displayName: 'RBAC app',
			secrets: [{ value: 'rbac-secret-value' }],
		},
		{
			key: 'mixed',
			appId: apps.mixed.appId,
			servicePrincipalId: apps.mixed.sp,
			displayName: 'Mixed app',
			secrets: [{ value: 'mixed-secret-value' }],
			applicationPermissions: ['Mail.Send'],
		},
		{
			key: 'late',
			appId: apps.late.appId,
			servicePrincipalId: apps.late.sp,
			displayName: 'Late app',
			secrets: [{ value: 'late-secret-value' }],
		},
		{
			key: 'plainClient',
			appId: apps.plainClient.appId,
			servicePrincipalId: apps.plainClient.sp,
			displayName: 'Own-mailbox client',
			publicClient: true,
			delegatedPermissions: ['Mail.Read', 'Mail.Send', 'offline_access'],
		},
		{
			key: 'client',
			appId: apps.client.appId,
			servicePrincipalId: apps.client.sp,
			displayName: 'Delegated client',
			publicClient: true,
			delegatedPermissions: ['Mail.Read', 'Mail.Send', 'Mail.Read.Shared', 'Mail.Send.Shared', 'offline_access'],
		},
	],
	exchange: {
		applicationAccessPolicies: [
			{
				appId: 'logicApp',
				policyScopeGroupId: 'scoped',
				accessRight: 'RestrictAccess',
				description: 'Restrict the Logic App to its shared mailbox',
			},
			{ appId: 'scoped', policyScopeGroupId: 'scoped', accessRight: 'RestrictAccess' },
		],
		servicePrincipals: [{ appId: 'rbac' }, { appId: 'mixed' }],
		managementScopes: [{ name: 'Notifications only', recipientRestrictionFilter: "CustomAttribute1 -eq 'n8n-scoped'" }],
		roleAssignments: [
			{ app: 'rbac', role: 'Application Mail.ReadWrite', customResourceScope: 'Notifications only' },
			{ app: 'rbac', role: 'Application Mail.Send', customResourceScope: 'Notifications only' },
			{ app: 'mixed', role: 'Application Mail.Send', customResourceScope: 'Notifications only' },
		],
	},
};

const NOTIFICATIONS = 'notifications@contoso.onmicrosoft.com';
const FINANCE = 'finance@contoso.onmicrosoft.com';
const ALEX = 'alex@contoso.onmicrosoft.com';
const MEGAN = 'megan@contoso.onmicrosoft.com';
const POLICY_DENIED =
	'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.';
const ACCESS_DENIED = 'Access is denied. Check credentials and try again.';

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ scenario, port: 0, httpPort: 0 });
});
afterAll(async () => {
	await emu?.close();
});

async function tokenRequest(form: Record<string, string>): Promise<string> {
	const res = await fetch(`${emu.info.authorityHost}/${TENANT}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(form).toString(),
	});
	const body = (await res.json()) as { access_token?: string };
	if (res.status !== 200 || !body.access_token)
		throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
	return body.access_token;
}

const appToken = (appId: string, secret: string) =>
	tokenRequest({
		grant_type: 'client_credentials',
		client_id: appId,
		client_secret: secret,
		scope: `${emu.info.graphBaseUrl}/.default`,
	});

const userToken = (username: string, password: string, clientId = apps.client.appId) =>
	tokenRequest({
		grant_type: 'password',
		client_id: clientId,
		username,
		password,
		scope: `${emu.info.graphBaseUrl}/.default`,
	});

async function imdsToken(clientId: string): Promise<string> {
	const url = new URL('/metadata/identity/oauth2/token/', emu.info.imdsEndpoint);
	url.search = new URLSearchParams({
		'api-version': '2018-02-01',
		resource: emu.info.graphBaseUrl,
		client_id: clientId,
	}).toString();
	const res = await fetch(url, { headers: { Metadata: 'true' } });
	const body = (await res.json()) as { access_token?: string };
	if (res.status !== 200 || !body.access_token) throw new Error(`IMDS failed: ${res.status} ${JSON.stringify(body)}`);
	return body.access_token;
}

interface GraphResult {
	status: number;
	body: any;
}

async function graph(token: string, method: string, path: string, body?: object): Promise<GraphResult> {
	const res = await fetch(`${emu.info.graphBaseUrl}/v1.0${path}`, {
		method,
		headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const sendAs = (token: string, mailbox: string, subject = 'Scoped send') =>
	graph(token, 'POST', `/users/${encodeURIComponent(mailbox)}/sendMail`, {
		message: {
			subject,
			body: { contentType: 'Text', content: 'hello' },
			toRecipients: [{ emailAddress: { address: MEGAN } }],
		},
		saveToSentItems: true,
	});
const listMessages = (token: string, mailbox: string) =>
	graph(token, 'GET', `/users/${encodeURIComponent(mailbox)}/messages?$top=5`);

async function adminHttp<T = any>(operation: string, body: object = {}): Promise<{ status: number; body: T }> {
	const res = await fetch(`${emu.info.adminUrl}/${operation}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json()) as T };
}

function expectDenied(result: GraphResult, message: string, code = 'ErrorAccessDenied') {
	expect(result.status).toBe(403);
	expect(result.body.error.code).toBe(code);
	expect(result.body.error.message).toBe(message);
}

describe('ApplicationAccessPolicy walkthrough (managed identity of a Logic App)', () => {
	test('the managed identity sends from the shared mailbox and is denied on every other mailbox', async () => {
		const token = await imdsToken(ids.logicApp);
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		expectDenied(await sendAs(token, FINANCE), POLICY_DENIED);
		expectDenied(await sendAs(token, ALEX), POLICY_DENIED);
		const sent = await emu.admin<any[]>('Get-SentMessages', { Mailbox: NOTIFICATIONS });
		expect(sent).toEqual([expect.objectContaining({ Subject: 'Scoped send', From: NOTIFICATIONS, To: [MEGAN] })]);
		expect(await emu.admin<any[]>('Get-SentMessages', { Mailbox: FINANCE })).toEqual([]);
		const delivered = await emu.admin<any[]>('Get-MailboxMessages', { Mailbox: MEGAN, Folder: 'inbox' });
		expect(delivered.filter((m) => m.From === NOTIFICATIONS)).toHaveLength(1);
	});

	test('Mail.Send alone does not read, even inside the policy group', async () => {
		const token = await imdsToken(ids.logicApp);
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
	});

	test('Test-ApplicationAccessPolicy answers Granted for the group member and Denied for the others', async () => {
		const granted = await adminHttp('Test-ApplicationAccessPolicy', { AppId: ids.logicApp, Identity: NOTIFICATIONS });
		expect(granted.status).toBe(200);
		expect(granted.body).toEqual({
			AppId: ids.logicApp,
			Mailbox: 'Logic App Notifications',
			MailboxId: ids.notifications,
			AccessCheckResult: 'Granted',
		});
		const denied = await adminHttp('Test-ApplicationAccessPolicy', { AppId: ids.logicApp, Identity: FINANCE });
		expect(denied.body.AccessCheckResult).toBe('Denied');
		const unknown = await adminHttp('Test-ApplicationAccessPolicy', {
			AppId: ids.logicApp,
			Identity: 'nobody@contoso.onmicrosoft.com',
		});
		expect(unknown.status).toBe(404);
		expect(unknown.body.error.message).toMatch(/couldn't be found/);
	});

	test('an app with a secret under the same policy reads and sends only the shared mailbox', async () => {
		const token = await appToken(apps.scoped.appId, 'scoped-secret-value');
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		expect((await listMessages(token, NOTIFICATIONS)).status).toBe(200);
		expectDenied(await listMessages(token, FINANCE), POLICY_DENIED);
		expectDenied(await sendAs(token, MEGAN), POLICY_DENIED);
	});

	test('adding a mailbox to the group extends the policy; removing it takes access away again', async () => {
		const token = await appToken(apps.scoped.appId, 'scoped-secret-value');
		await emu.admin('Add-DistributionGroupMember', {
			Identity: 'logicapp-mailboxes@contoso.onmicrosoft.com',
			Member: FINANCE,
		});
		try {
			expect((await listMessages(token, FINANCE)).status).toBe(200);
			expect(
				(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: apps.scoped.appId, Identity: FINANCE }))
					.AccessCheckResult,
			).toBe('Granted');
		} finally {
			await emu.admin('Remove-DistributionGroupMember', { Identity: 'Logic App Mailboxes', Member: 'Finance' });
		}
		expectDenied(await listMessages(token, FINANCE), POLICY_DENIED);
	});
});

describe('RBAC for Applications walkthrough', () => {
	test('a management scope grants the app exactly its shared mailbox', async () => {
		const token = await appToken(apps.rbac.appId, 'rbac-secret-value');
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		expect((await listMessages(token, NOTIFICATIONS)).status).toBe(200);
		expectDenied(await sendAs(token, FINANCE), ACCESS_DENIED);
		expectDenied(await listMessages(token, ALEX), ACCESS_DENIED);
	});

	test('Test-ServicePrincipalAuthorization answers InScope true for the scoped mailbox and false elsewhere', async () => {
		const inScope = await adminHttp<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: apps.rbac.appId,
			Resource: NOTIFICATIONS,
		});
		expect(inScope.status).toBe(200);
		expect(inScope.body).toEqual(
			expect.arrayContaining([
				{
					RoleName: 'Application Mail.ReadWrite',
					GrantedPermissions: 'Mail.ReadWrite',
					AllowedResourceScope: 'Notifications only',
					ScopeType: 'CustomRecipientScope',
					InScope: true,
				},
				{
					RoleName: 'Application Mail.Send',
					GrantedPermissions: 'Mail.Send',
					AllowedResourceScope: 'Notifications only',
					ScopeType: 'CustomRecipientScope',
					InScope: true,
				},
			]),
		);
		expect(inScope.body).toHaveLength(2);
		const outside = await adminHttp<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: apps.rbac.sp,
			Resource: FINANCE,
		});
		expect(outside.body.map((r) => r.InScope)).toEqual([false, false]);
	});

	test('an unscoped app reaches every mailbox', async () => {
		const token = await appToken(apps.unscoped.appId, 'unscoped-secret-value');
		for (const mailbox of [NOTIFICATIONS, FINANCE, ALEX, MEGAN]) {
			expect((await sendAs(token, mailbox)).status).toBe(202);
			expect((await listMessages(token, mailbox)).status).toBe(200);
		}
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: apps.unscoped.appId, Identity: FINANCE }))
				.AccessCheckResult,
		).toBe('Granted');
	});

	test('an RBAC grant on top of an unscoped Entra grant does not narrow it', async () => {
		const token = await appToken(apps.mixed.appId, 'mixed-secret-value');
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		expect((await sendAs(token, FINANCE)).status).toBe(202);
		expect((await sendAs(token, ALEX)).status).toBe(202);
		const check = await emu.admin<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: apps.mixed.appId,
			Resource: FINANCE,
		});
		expect(check).toEqual([expect.objectContaining({ RoleName: 'Application Mail.Send', InScope: false })]);
		// Nothing in the RBAC grant gives read access; the Entra grant has none either.
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
	});

	test('a service principal registered with the wrong ObjectId gets nothing from its role assignment', async () => {
		const registrationObjectId = '9f9f9f9f-0000-4000-8000-000000000001'; // the app registration's, not the enterprise app's
		await emu.admin('New-ServicePrincipal', {
			AppId: apps.late.appId,
			ObjectId: registrationObjectId,
			DisplayName: 'Late app',
		});
		await emu.admin('New-ManagementScope', {
			Name: 'Finance only',
			RecipientRestrictionFilter: "PrimarySmtpAddress -eq 'finance@contoso.onmicrosoft.com'",
		});
		await emu.admin('New-ManagementRoleAssignment', {
			App: apps.late.appId,
			Role: 'Application Mail.Read',
			CustomResourceScope: 'Finance only',
		});
		const check = await emu.admin<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: apps.late.appId,
			Resource: FINANCE,
		});
		expect(check[0].InScope).toBe(true);
		const token = await appToken(apps.late.appId, 'late-secret-value');
		expectDenied(await listMessages(token, FINANCE), ACCESS_DENIED);
		// Fixed the way admins fix it: recreate the reference with the enterprise application's object id.
		await emu.admin('Remove-ServicePrincipal', { Identity: apps.late.appId });
		await emu.admin('New-ServicePrincipal', { AppId: apps.late.appId, ObjectId: apps.late.sp });
		await emu.admin('New-ManagementRoleAssignment', {
			App: apps.late.appId,
			Role: 'Application Mail.Read',
			CustomResourceScope: 'Finance only',
		});
		expect((await listMessages(token, FINANCE)).status).toBe(200);
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
	});
});

describe('propagation delay', () => {
	afterEach(async () => {
		await emu.admin('Set-Settings', { PolicyPropagationSeconds: 0 });
	});

	test('a new DenyAccess policy applies only after the delay, and its removal only after the delay again', async () => {
		await emu.admin('Set-Settings', { PolicyPropagationSeconds: 600 });
		const token = await appToken(apps.unscoped.appId, 'unscoped-secret-value');
		const policy = await emu.admin<any>('New-ApplicationAccessPolicy', {
			AppId: apps.unscoped.appId,
			PolicyScopeGroupId: 'logicapp-mailboxes@contoso.onmicrosoft.com',
			AccessRight: 'DenyAccess',
			Description: 'Keep the unscoped app out of the notifications mailbox',
		});
		// The cmdlet answers from configuration at once; the Graph front end has not caught up yet.
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: apps.unscoped.appId, Identity: NOTIFICATIONS }))
				.AccessCheckResult,
		).toBe('Denied');
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		await emu.admin('Advance-Clock', { Seconds: 599 });
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		await emu.admin('Advance-Clock', { Seconds: 2 });
		expectDenied(await sendAs(token, NOTIFICATIONS), POLICY_DENIED);
		expect((await sendAs(token, FINANCE)).status).toBe(202);

		await emu.admin('Remove-ApplicationAccessPolicy', { Identity: policy.Identity });
		expect(
			(await emu.admin<any>('Test-ApplicationAccessPolicy', { AppId: apps.unscoped.appId, Identity: NOTIFICATIONS }))
				.AccessCheckResult,
		).toBe('Granted');
		expectDenied(await sendAs(token, NOTIFICATIONS), POLICY_DENIED);
		await emu.admin('Advance-Clock', { Seconds: 601 });
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
	});

	test('a role assignment and its removal take effect after the delay', async () => {
		await emu.admin('Set-Settings', { PolicyPropagationSeconds: 300 });
		const token = await appToken(apps.rbac.appId, 'rbac-secret-value');
		expectDenied(await sendAs(token, FINANCE), ACCESS_DENIED);
		const assignment = await emu.admin<any>('New-ManagementRoleAssignment', {
			App: apps.rbac.appId,
			Role: 'Application Mail.Send',
			Name: 'rbac-send-everywhere',
		});
		expect(assignment).toMatchObject({
			Name: 'rbac-send-everywhere',
			RecipientWriteScope: 'Organization',
			CustomResourceScope: null,
		});
		expectDenied(await sendAs(token, FINANCE), ACCESS_DENIED);
		await emu.admin('Advance-Clock', { Seconds: 301 });
		expect((await sendAs(token, FINANCE)).status).toBe(202);
		await emu.admin('Remove-ManagementRoleAssignment', { Identity: 'rbac-send-everywhere' });
		expect((await sendAs(token, FINANCE)).status).toBe(202);
		await emu.admin('Advance-Clock', { Seconds: 301 });
		expectDenied(await sendAs(token, FINANCE), ACCESS_DENIED);
	});
});

describe('delegated access to a shared mailbox', () => {
	afterEach(async () => {
		for (const [op, body] of [
			['Remove-MailboxPermission', { Identity: NOTIFICATIONS, User: ALEX, AccessRights: 'FullAccess' }],
			['Remove-RecipientPermission', { Identity: NOTIFICATIONS, Trustee: ALEX, AccessRights: 'SendAs' }],
		] as const) {
			await emu.admin(op, body).catch(() => undefined);
		}
	});

	test('the user reaches their own mailbox', async () => {
		const token = await userToken(ALEX, 'Alex-Pa55!');
		expect((await listMessages(token, ALEX)).status).toBe(200);
		expect((await graph(token, 'GET', '/me/messages')).status).toBe(200);
		expect((await sendAs(token, ALEX)).status).toBe(202);
		expectDenied(await listMessages(token, MEGAN), ACCESS_DENIED);
	});

	test('FullAccess opens the shared mailbox for reading but does not allow sending as it', async () => {
		const token = await userToken(ALEX, 'Alex-Pa55!');
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
		await emu.admin('Add-MailboxPermission', { Identity: NOTIFICATIONS, User: ALEX, AccessRights: 'FullAccess' });
		expect((await listMessages(token, NOTIFICATIONS)).status).toBe(200);
		const send = await sendAs(token, NOTIFICATIONS);
		expect(send.status).toBe(403);
		expect(send.body.error.code).toBe('ErrorSendAsDenied');
		await emu.admin('Add-RecipientPermission', { Identity: NOTIFICATIONS, Trustee: ALEX, AccessRights: 'SendAs' });
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
	});

	test('without the .Shared scopes the user gets nothing from FullAccess and SendAs', async () => {
		await emu.admin('Add-MailboxPermission', { Identity: NOTIFICATIONS, User: ALEX, AccessRights: 'FullAccess' });
		await emu.admin('Add-RecipientPermission', { Identity: NOTIFICATIONS, Trustee: ALEX, AccessRights: 'SendAs' });
		// Entra puts every consented permission in the token, so this is a client consented without the .Shared ones.
		const token = await userToken(ALEX, 'Alex-Pa55!', apps.plainClient.appId);
		expect((await listMessages(token, ALEX)).status).toBe(200);
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
		expectDenied(await sendAs(token, NOTIFICATIONS), ACCESS_DENIED);
	});

	test('SendAs alone allows sending but not reading', async () => {
		await emu.admin('Add-RecipientPermission', { Identity: NOTIFICATIONS, Trustee: ALEX, AccessRights: 'SendAs' });
		const token = await userToken(ALEX, 'Alex-Pa55!');
		expect((await sendAs(token, NOTIFICATIONS)).status).toBe(202);
		expectDenied(await listMessages(token, NOTIFICATIONS), ACCESS_DENIED);
	});
});
