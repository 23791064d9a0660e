/** The identity platform and the emulator core on the wire: authorize + PKCE, discovery, faults, clock, admin, log. */
import { createHash, createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { startEmulator, type EmulatorHandle } from './index';
import { claimsOf } from './fixtures/msal';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario: 'all' });
});
afterAll(() => emu?.close());

const tenant = () => emu.info.scenario.tenant.id;
const tokenUrl = () => `${emu.info.authorityHost}/${tenant()}/oauth2/v2.0/token`;
const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
	fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });

function pkce() {
	const verifier = randomBytes(32).toString('base64url');
	return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(params: Record<string, string>): Promise<Response> {
	const url = new URL(`${emu.info.authorityHost}/${tenant()}/oauth2/v2.0/authorize`);
	for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
	return fetch(url, { redirect: 'manual' });
}

describe('authorization code with PKCE (n8n OAuth2 Connect)', () => {
	const redirectUri = 'http://localhost:5678/rest/oauth2-credential/callback';
	const scope = () =>
		`openid offline_access ${emu.info.graphBaseUrl}/Mail.Send.Shared ${emu.info.graphBaseUrl}/Mail.ReadWrite.Shared`;

	it('redirects with code and state, and the code redeems once with the verifier and Basic client auth', async () => {
		const web = emu.info.scenario.apps.webApp;
		const { verifier, challenge } = pkce();
		const res = await authorize({
			client_id: web.appId,
			response_type: 'code',
			redirect_uri: redirectUri,
			scope: scope(),
			state: 'n8n-state-123',
			code_challenge: challenge,
			code_challenge_method: 'S256',
		});
		expect(res.status).toBe(302);
		const location = new URL(res.headers.get('location')!);
		expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
		expect(location.searchParams.get('state')).toBe('n8n-state-123');
		const code = location.searchParams.get('code')!;
		expect(code).toBeTruthy();

		const basic = `Basic ${Buffer.from(`${encodeURIComponent(web.appId)}:${encodeURIComponent(web.secret!)}`).toString('base64')}`;
		const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
		const token = await post(tokenUrl(), form, { Authorization: basic });
		const body = await token.json();
		expect(token.status).toBe(200);
		expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
		expect(body.refresh_token).toBeTruthy();
		expect(body.id_token).toBeTruthy();
		expect(claimsOf(body.access_token)).toMatchObject({
			upn: emu.info.scenario.mailboxes.megan.upn,
			idtyp: 'user',
			appidacr: '1',
		});

		const again = await post(tokenUrl(), form, { Authorization: basic });
		expect((await again.json()).error_codes).toEqual([54005]);
	});

	it('checks the verifier (501481), the redirect URI (50011 page) and the client secret in the body', async () => {
		const web = emu.info.scenario.apps.webApp;
		const { challenge } = pkce();
		const res = await authorize({
			client_id: web.appId,
			response_type: 'code',
			redirect_uri: 'http://127.0.0.1:41234/cb',
			scope: scope(),
			code_challenge: challenge,
			code_challenge_method: 'S256',
		});
		const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
		const bad = await post(tokenUrl(), {
			grant_type: 'authorization_code',
			client_id: web.appId,
			client_secret: web.secret!,
			code,
			redirect_uri: 'http://127.0.0.1:41234/cb',
			code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier',
		});
		expect((await bad.json()).error_codes).toEqual([501481]);

		const evil = await authorize({
			client_id: web.appId,
			response_type: 'code',
			redirect_uri: 'https://evil.example/cb',
			scope: scope(),
		});
		expect(evil.status).toBe(400);
		expect(await evil.text()).toContain('AADSTS50011');
	});

	it('accepts a Basic secret that was not urlencoded (as n8n sends it) and refreshes with it', async () => {
		const web = emu.info.scenario.apps.webApp;
		const { Value } = await emu.admin<{ Value: string }>('Add-AppSecret', {
			AppId: web.appId,
			Value: 'raw+secret%2F/with:colon',
		});
		const res = await authorize({
			client_id: web.appId,
			response_type: 'code',
			redirect_uri: redirectUri,
			scope: scope(),
		});
		const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
		const basic = `Basic ${Buffer.from(`${web.appId}:${Value}`).toString('base64')}`;
		const token = await post(
			tokenUrl(),
			{ grant_type: 'authorization_code', code, redirect_uri: redirectUri },
			{ Authorization: basic },
		);
		const body = await token.json();
		expect(token.status).toBe(200);
		const refreshed = await post(
			tokenUrl(),
			{ grant_type: 'refresh_token', refresh_token: body.refresh_token },
			{ Authorization: basic },
		);
		const next = await refreshed.json();
		expect(refreshed.status).toBe(200);
		expect(next.refresh_token).not.toBe(body.refresh_token);
	});

	it('signs in as the configured interactive user, or answers access_denied', async () => {
		const web = emu.info.scenario.apps.webApp;
		const alex = emu.info.scenario.mailboxes.alex;
		await emu.admin('Set-InteractiveUser', { User: alex.upn });
		try {
			const res = await authorize({
				client_id: web.appId,
				response_type: 'code',
				redirect_uri: redirectUri,
				scope: scope(),
			});
			const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
			const token = await post(tokenUrl(), {
				grant_type: 'authorization_code',
				client_id: web.appId,
				client_secret: web.secret!,
				code,
				redirect_uri: redirectUri,
			});
			expect(claimsOf((await token.json()).access_token).upn).toBe(alex.upn);

			await emu.admin('Set-InteractiveUser', { Deny: true });
			const denied = await authorize({
				client_id: web.appId,
				response_type: 'code',
				redirect_uri: redirectUri,
				scope: scope(),
				state: 's',
			});
			const loc = new URL(denied.headers.get('location')!);
			expect(loc.searchParams.get('error')).toBe('access_denied');
			expect(loc.searchParams.get('state')).toBe('s');
		} finally {
			await emu.admin('Set-InteractiveUser', { User: emu.info.scenario.mailboxes.megan.upn, Deny: false });
		}
	});
});

describe('discovery and token signatures', () => {
	it('publishes OpenID configuration, instance discovery and JWKS that verifies issued tokens', async () => {
		const config = await (
			await fetch(`${emu.info.authorityHost}/${tenant()}/v2.0/.well-known/openid-configuration`)
		).json();
		expect(config.token_endpoint).toBe(tokenUrl());
		expect(config.issuer).toBe(`${emu.info.authorityHost}/${tenant()}/v2.0`);
		expect(config.device_authorization_endpoint).toBe(`${emu.info.authorityHost}/${tenant()}/oauth2/v2.0/devicecode`);
		const byDomain = await (
			await fetch(`${emu.info.authorityHost}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`)
		).json();
		expect(byDomain.token_endpoint).toBe(tokenUrl());
		const unknown = await fetch(`${emu.info.authorityHost}/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
		expect(unknown.status).toBe(400);

		const discovery = await (
			await fetch(`${emu.info.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=x`)
		).json();
		expect(discovery.metadata[0].aliases).toEqual([new URL(emu.info.authorityHost).host]);

		const app = emu.info.scenario.apps.unscoped;
		const token = (
			await (
				await post(tokenUrl(), {
					grant_type: 'client_credentials',
					client_id: app.appId,
					client_secret: app.secret!,
					scope: `${emu.info.graphBaseUrl}/.default`,
				})
			).json()
		).access_token;
		const jwks = await (await fetch(config.jwks_uri)).json();
		const [h, p, s] = token.split('.');
		const header = JSON.parse(Buffer.from(h, 'base64url').toString());
		const jwk = jwks.keys.find((k: any) => k.kid === header.kid);
		const ok = createVerify('RSA-SHA256')
			.update(`${h}.${p}`)
			.verify(createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
		expect(ok).toBe(true);
	});

	it('rejects expired, foreign-audience and forged tokens as Graph would (401 InvalidAuthenticationToken)', async () => {
		const app = emu.info.scenario.apps.unscoped;
		const token = (
			await (
				await post(tokenUrl(), {
					grant_type: 'client_credentials',
					client_id: app.appId,
					client_secret: app.secret!,
					scope: `${emu.info.graphBaseUrl}/.default`,
				})
			).json()
		).access_token;
		expect(emu.context.verifyGraphToken(`Bearer ${token}`).ok).toBe(true);
		const [h, , s] = token.split('.');
		const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(token), roles: ['Mail.ReadWrite'] })).toString('base64url')}.${s}`;
		const check = emu.context.verifyGraphToken(`Bearer ${forged}`);
		expect(check.ok).toBe(false);
		if (!check.ok) expect((check.response.body as any).error.code).toBe('InvalidAuthenticationToken');
		expect(emu.context.verifyGraphToken(undefined).ok).toBe(false);
		await emu.admin('Advance-Clock', { Seconds: 3601 });
		const expired = emu.context.verifyGraphToken(`Bearer ${token}`);
		expect(expired.ok).toBe(false);
		if (!expired.ok) expect((expired.response.body as any).error.message).toMatch(/expired/);
	});
});

describe('core: faults, clock, settings, admin, log', () => {
	const appToken = () => {
		const app = emu.info.scenario.apps.unscoped;
		return post(tokenUrl(), {
			grant_type: 'client_credentials',
			client_id: app.appId,
			client_secret: app.secret!,
			scope: `${emu.info.graphBaseUrl}/.default`,
		});
	};

	it('applies a scripted status fault for its count, then lets requests through', async () => {
		const { Id } = await emu.admin<{ Id: string }>('Add-Fault', {
			PathRegex: '/oauth2/v2\\.0/token$',
			Status: 429,
			Headers: { 'Retry-After': '2' },
			Count: 2,
		});
		expect(Id).toBeTruthy();
		const a = await appToken();
		expect(a.status).toBe(429);
		expect(a.headers.get('retry-after')).toBe('2');
		expect((await appToken()).status).toBe(429);
		expect((await appToken()).status).toBe(200);
	});

	it('resets the connection and delays responses when told to', async () => {
		await emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'oauth2/v2.0/token', Reset: true, Count: 1 });
		await expect(appToken()).rejects.toThrow();
		await emu.admin('Add-Fault', { PathRegex: 'oauth2/v2.0/token', DelayMs: 300, Count: 1 });
		const start = Date.now();
		expect((await appToken()).status).toBe(200);
		expect(Date.now() - start).toBeGreaterThanOrEqual(290);
		await emu.admin('Clear-Faults');
	});

	it('moves the clock and changes settings; refuses unknown settings and operations', async () => {
		const { epochMs } = await emu.admin<{ epochMs: number }>('Get-Clock');
		const moved = await emu.admin<{ epochMs: number }>('Advance-Clock', { Seconds: 600 });
		expect(moved.epochMs - epochMs).toBeGreaterThanOrEqual(600_000);
		const target = new Date(Date.now() + 30 * 86400_000);
		target.setUTCMilliseconds(0);
		const set = await emu.admin<{ epochMs: number }>('Set-Clock', { Iso: target.toISOString() });
		expect(Math.abs(set.epochMs - target.getTime())).toBeLessThan(1000);
		const settings = await emu.admin<any>('Set-Settings', { AccessTokenLifetimeSeconds: 120 });
		expect(settings.accessTokenLifetimeSeconds).toBe(120);
		const claims = claimsOf((await (await appToken()).json()).access_token);
		expect(claims.exp - claims.iat).toBe(120);
		expect(Math.abs(claims.iat * 1000 - target.getTime())).toBeLessThan(5000);
		await emu.admin('Set-Settings', { AccessTokenLifetimeSeconds: 3600 });
		await emu.admin('Set-Clock', { Iso: new Date().toISOString() });
		await expect(emu.admin('Set-Settings', { Bogus: 1 })).rejects.toThrow(/Unknown setting Bogus/);
		await expect(emu.admin('No-Such-Operation')).rejects.toThrow(/Unknown admin operation/);
	});

	it('serves the admin API over HTTPS with the same answers', async () => {
		const res = await fetch(`${emu.info.adminUrl}/Get-Clock`, { method: 'POST', body: '{}' });
		expect(res.status).toBe(200);
		expect(await res.json()).toHaveProperty('now');
		const bad = await fetch(`${emu.info.adminUrl}/No-Such-Operation`, { method: 'POST', body: '{}' });
		expect(bad.status).toBe(404);
		expect((await bad.json()).error.code).toBe('UnknownOperation');
		const granted = await (
			await fetch(`${emu.info.adminUrl}/Grant-AppRole`, {
				method: 'POST',
				body: JSON.stringify({ AppId: emu.info.scenario.apps.rbac.appId, Permission: 'Mail.ReadBasic' }),
			})
		).json();
		expect(granted.Permissions).toEqual(['Mail.ReadBasic']);
		await emu.admin('Revoke-AppRole', { AppId: emu.info.scenario.apps.rbac.appId, Permission: 'Mail.ReadBasic' });
		expect(emu.state.apps.find((a) => a.appId === emu.info.scenario.apps.rbac.appId)!.applicationPermissions).toEqual(
			[],
		);
	});

	it('logs every request with kind, app and grant, and filters by sequence', async () => {
		await emu.admin('Clear-RequestLog');
		await appToken();
		const [first] = await emu.admin<any[]>('Get-RequestLog');
		expect(first).toMatchObject({
			seq: expect.any(Number),
			method: 'POST',
			status: 200,
			kind: 'token',
			appId: emu.info.scenario.apps.unscoped.appId,
			grantType: 'client_credentials',
			clientAuth: 'secret',
		});
		expect(first.bytesIn).toBeGreaterThan(0);
		expect(first.bytesOut).toBeGreaterThan(0);
		await appToken();
		expect(await emu.admin<any[]>('Get-RequestLog', { Since: first.seq })).toHaveLength(1);
	});

	it('keeps secrets out of the request log', async () => {
		const app = emu.info.scenario.apps.unscoped;
		await emu.admin('Clear-RequestLog');
		await post(`${tokenUrl()}?client_secret=${encodeURIComponent('not-logged?')}`, {
			grant_type: 'client_credentials',
			client_id: app.appId,
			client_secret: app.secret!,
			scope: `${emu.info.graphBaseUrl}/.default`,
		});
		expect(JSON.stringify(await emu.admin('Get-RequestLog'))).not.toContain(app.secret!);
	});
});

describe('scenario loading', () => {
	it('loads every identity of the all scenario with fixed ids, certificate files and mail stores', () => {
		const s = emu.info.scenario;
		expect(Object.keys(s.apps).sort()).toEqual(['publicClient', 'rbac', 'unscoped', 'webApp']);
		expect(Object.keys(s.managedIdentities).sort()).toEqual(['system', 'userAssigned']);
		expect(s.mailboxes.notifications).toMatchObject({
			id: '5b0e3c1a-1f2e-4d3c-8b4a-000000000101',
			upn: 'notifications@contoso.onmicrosoft.com',
			type: 'SharedMailbox',
		});
		expect(s.interactiveUser).toBe('megan@contoso.onmicrosoft.com');
		const cert = s.apps.rbac.certificate!;
		expect(cert.thumbprintSha1).toMatch(/^[0-9A-F]{40}$/);
		expect(cert.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
		expect(readFileSync(cert.privateKeyPath!, 'utf8')).toBe(cert.privateKeyPem);
		expect(existsSync(cert.certificatePath!)).toBe(true);
		expect(emu.state.applicationAccessPolicies).toHaveLength(2);
		expect(emu.state.applicationAccessPolicies[0]).toMatchObject({
			appId: s.managedIdentities.system.clientId,
			policyScopeGroupId: s.groups.logicAppSenders.id,
			accessRight: 'RestrictAccess',
		});
		expect(emu.state.roleAssignments.map((r) => r.role).sort()).toEqual([
			'Application Mail.ReadWrite',
			'Application Mail.Send',
		]);
		expect(emu.state.mailboxPermissions.map((p) => p.right).sort()).toEqual(['FullAccess', 'SendAs']);
		const store = emu.state.stores.get(s.mailboxes.notifications.id)!;
		const names = store.folders.map((f) => f.wellKnownName ?? f.displayName);
		expect(names).toEqual(
			expect.arrayContaining([
				'msgfolderroot',
				'inbox',
				'sentitems',
				'drafts',
				'deleteditems',
				'junkemail',
				'archive',
				'outbox',
				'Invoices',
			]),
		);
		const inbox = store.folders.find((f) => f.wellKnownName === 'inbox')!;
		expect(store.folders.find((f) => f.displayName === 'Invoices')!.parentFolderId).toBe(inbox.id);
		expect(emu.state.stores.size).toBe(Object.keys(s.mailboxes).length);
	});

	it('starts from a scenario object and removes generated certificate files on close', async () => {
		const other = await startEmulator({
			scenario: {
				name: 'inline',
				tenant: {
					id: '11111111-2222-4333-8444-555555555555',
					domain: 'fabrikam.onmicrosoft.com',
					displayName: 'Fabrikam',
				},
				mailboxes: [
					{ key: 'm', id: '11111111-2222-4333-8444-000000000001', upn: 'm@fabrikam.onmicrosoft.com', displayName: 'M' },
				],
				apps: [
					{
						key: 'a',
						appId: '11111111-2222-4333-8444-000000000002',
						servicePrincipalId: '11111111-2222-4333-8444-000000000003',
						displayName: 'A',
						certificates: [{ generate: true }],
					},
				],
			},
		});
		const keyPath = other.info.scenario.apps.a.certificate!.privateKeyPath!;
		expect(existsSync(keyPath)).toBe(true);
		await other.close();
		expect(existsSync(keyPath)).toBe(false);
	});

	it('prints the info JSON as the first line of the CLI', async () => {
		const { spawn } = await import('node:child_process');
		const child = spawn(
			process.execPath,
			[require.resolve('tsx/cli'), `${__dirname}/cli.ts`, '--scenario', 'rbac', '--port', '0'],
			{ stdio: ['ignore', 'pipe', 'pipe'] },
		);
		const line = await new Promise<string>((resolve, reject) => {
			let buf = '';
			child.stdout.on('data', (d) => {
				buf += d;
				if (buf.includes('\n')) resolve(buf.split('\n')[0]);
			});
			child.on('exit', (code) => reject(new Error(`cli exited ${code}`)));
		});
		const info = JSON.parse(line);
		expect(info.scenario.name).toBe('rbac');
		const ping = await new Promise<number>((resolve, reject) => {
			const req = httpsRequest(`${info.adminUrl}/Get-Clock`, { method: 'POST' }, (res) => resolve(res.statusCode!));
			req.on('error', reject);
			req.end('{}');
		});
		expect(ping).toBe(200);
		const exited = new Promise((resolve) => child.on('exit', resolve));
		child.kill('SIGTERM');
		expect(await exited).toBe(0);
	}, 30_000);
});
