/** The shipped `logic-app` and `rbac` scenarios reproduce the walkthroughs as admins set them up. */
import { startEmulator, type EmulatorHandle } from './index';

const POLICY_DENIED =
	'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.';
const ACCESS_DENIED = 'Access is denied. Check credentials and try again.';

function client(emu: () => EmulatorHandle) {
	const tokenRequest = async (form: Record<string, string>) => {
		const { info } = emu();
		const res = await fetch(`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams(form).toString(),
		});
		const body = (await res.json()) as { access_token?: string };
		if (!body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
		return body.access_token;
	};
	return {
		appToken: (appId: string, secret: string) =>
			tokenRequest({
				grant_type: 'client_credentials',
				client_id: appId,
				client_secret: secret,
				scope: `${emu().info.graphBaseUrl}/.default`,
			}),
		async imdsToken(clientId?: string) {
			const { info } = emu();
			const url = new URL('/metadata/identity/oauth2/token/', info.imdsEndpoint);
			url.search = new URLSearchParams({
				'api-version': '2018-02-01',
				resource: info.graphBaseUrl,
				...(clientId ? { client_id: clientId } : {}),
			}).toString();
			const res = await fetch(url, { headers: { Metadata: 'true' } });
			const body = (await res.json()) as { access_token?: string };
			if (!body.access_token) throw new Error(`IMDS failed: ${res.status} ${JSON.stringify(body)}`);
			return body.access_token;
		},
		async graph(token: string, method: string, path: string, body?: object) {
			const res = await fetch(`${emu().info.graphBaseUrl}/v1.0${path}`, {
				method,
				headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
				body: body ? JSON.stringify(body) : undefined,
			});
			const text = await res.text();
			return { status: res.status, body: text ? JSON.parse(text) : undefined };
		},
	};
}

const message = (to: string) => ({
	message: {
		subject: 'Walkthrough',
		body: { contentType: 'Text', content: 'hi' },
		toRecipients: [{ emailAddress: { address: to } }],
	},
});

describe('logic-app scenario', () => {
	let emu: EmulatorHandle;
	const c = client(() => emu);
	beforeAll(async () => {
		emu = await startEmulator({ scenario: 'logic-app', port: 0, httpPort: 0 });
	});
	afterAll(() => emu?.close());

	const upn = (key: string) => emu.info.scenario.mailboxes[key].upn;
	const send = (token: string, from: string) =>
		c.graph(token, 'POST', `/users/${encodeURIComponent(from)}/sendMail`, message(upn('adele')));
	const list = (token: string, mailbox: string) =>
		c.graph(token, 'GET', `/users/${encodeURIComponent(mailbox)}/mailFolders/inbox/messages`);

	test.each(['system', 'userAssigned'])(
		'the %s managed identity sends and reads only the shared mailbox',
		async (key) => {
			const mi = emu.info.scenario.managedIdentities[key];
			const token = await c.imdsToken(key === 'system' ? undefined : mi.clientId);
			expect((await send(token, upn('notifications'))).status).toBe(202);
			const inbox = await list(token, upn('notifications'));
			expect(inbox.status).toBe(200);
			expect(inbox.body.value).toHaveLength(5);
			for (const other of ['finance', 'adele', 'alex']) {
				const denied = await send(token, upn(other));
				expect(denied.status).toBe(403);
				expect(denied.body.error).toMatchObject({ code: 'ErrorAccessDenied', message: POLICY_DENIED });
				expect((await list(token, upn(other))).body.error.message).toBe(POLICY_DENIED);
			}
			expect(
				await emu.admin('Test-ApplicationAccessPolicy', { AppId: mi.clientId, Identity: upn('notifications') }),
			).toMatchObject({ AccessCheckResult: 'Granted' });
			expect(
				await emu.admin('Test-ApplicationAccessPolicy', { AppId: mi.clientId, Identity: upn('finance') }),
			).toMatchObject({ AccessCheckResult: 'Denied' });
		},
	);

	test('the unscoped app registration reaches every mailbox', async () => {
		const app = emu.info.scenario.apps.unscoped;
		const token = await c.appToken(app.appId, app.secret!);
		for (const key of Object.keys(emu.info.scenario.mailboxes)) {
			expect((await send(token, upn(key))).status).toBe(202);
			expect((await list(token, upn(key))).status).toBe(200);
			expect(await emu.admin('Test-ApplicationAccessPolicy', { AppId: app.appId, Identity: upn(key) })).toMatchObject({
				AccessCheckResult: 'Granted',
			});
		}
	});

	test('unknown mailboxes are 404 ErrorInvalidUser, not a policy answer', async () => {
		const token = await c.imdsToken();
		const res = await send(token, 'nobody@contoso.onmicrosoft.com');
		expect(res.status).toBe(404);
		expect(res.body.error.code).toBe('ErrorInvalidUser');
	});
});

describe('rbac scenario', () => {
	let emu: EmulatorHandle;
	const c = client(() => emu);
	beforeAll(async () => {
		emu = await startEmulator({ scenario: 'rbac', port: 0, httpPort: 0 });
	});
	afterAll(() => emu?.close());

	const upn = (key: string) => emu.info.scenario.mailboxes[key].upn;
	const send = (token: string, from: string) =>
		c.graph(token, 'POST', `/users/${encodeURIComponent(from)}/sendMail`, message(upn('adele')));

	test('the role assignments reach the support mailbox only; Test-ServicePrincipalAuthorization agrees', async () => {
		const app = emu.info.scenario.apps.rbac;
		const token = await c.appToken(app.appId, app.secret!);
		expect((await send(token, upn('support'))).status).toBe(202);
		const inbox = await c.graph(token, 'GET', `/users/${upn('support')}/mailFolders/inbox/messages`);
		expect(inbox.body.value).toHaveLength(3);
		// Application Mail.ReadWrite: writes are allowed too.
		expect(
			(
				await c.graph(
					token,
					'PATCH',
					`/users/${upn('support')}/messages/${encodeURIComponent(inbox.body.value[0].id)}`,
					{ isRead: true },
				)
			).status,
		).toBe(200);
		for (const other of ['finance', 'adele']) {
			const denied = await send(token, upn(other));
			expect(denied.status).toBe(403);
			expect(denied.body.error).toMatchObject({ code: 'ErrorAccessDenied', message: ACCESS_DENIED });
		}
		const inScope = await emu.admin<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: app.appId,
			Resource: upn('support'),
		});
		expect(inScope.map((r) => [r.RoleName, r.AllowedResourceScope, r.InScope]).sort()).toEqual([
			['Application Mail.ReadWrite', 'Support Mailbox Only', true],
			['Application Mail.Send', 'Support Mailbox Only', true],
		]);
		const outside = await emu.admin<any[]>('Test-ServicePrincipalAuthorization', {
			Identity: app.appId,
			Resource: upn('finance'),
		});
		expect(outside.map((r) => r.InScope)).toEqual([false, false]);
	});

	test('an unscoped Entra Mail.Send granted on top is not narrowed by the RBAC scope', async () => {
		const app = emu.info.scenario.apps.rbac;
		await emu.admin('Grant-AppRole', { AppId: app.appId, Permission: 'Mail.Send' });
		const token = await c.appToken(app.appId, app.secret!);
		expect((await send(token, upn('finance'))).status).toBe(202);
		expect((await send(token, upn('adele'))).status).toBe(202);
		// Reading stays scoped: Mail.ReadWrite comes from RBAC only.
		expect((await c.graph(token, 'GET', `/users/${upn('finance')}/messages`)).status).toBe(403);
		expect((await c.graph(token, 'GET', `/users/${upn('support')}/messages`)).status).toBe(200);
		await emu.admin('Revoke-AppRole', { AppId: app.appId, Permission: 'Mail.Send' });
	});
});
