/** Fidelity: msal-node 7.2.1 ConfidentialClientApplication against the emulator (secret, certificate both ways). */
import { createHash } from 'node:crypto';
import { startEmulator, type EmulatorHandle } from './index';
import { claimsOf, confidentialClient } from './fixtures/msal';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario: 'all' });
});
afterAll(() => emu?.close());

const scope = () => [`${emu.info.graphBaseUrl}/.default`];
const aadCode = (err: any): number | undefined => {
	const m = /AADSTS(\d+)/.exec(`${err?.errorMessage ?? ''} ${err?.message ?? ''}`);
	return m ? Number(m[1]) : undefined;
};

describe('client credentials with a client secret', () => {
	it('gets an app-only token with Microsoft claims that Graph accepts', async () => {
		const app = emu.info.scenario.apps.unscoped;
		const cca = confidentialClient(emu.info, app.appId, { clientSecret: app.secret });
		const result = await cca.acquireTokenByClientCredential({ scopes: scope() });
		expect(result).not.toBeNull();
		const claims = claimsOf(result!.accessToken);
		expect(claims).toMatchObject({
			aud: emu.info.graphBaseUrl,
			appid: app.appId,
			tid: emu.info.scenario.tenant.id,
			oid: app.servicePrincipalId,
			idtyp: 'app',
			app_displayname: 'Unscoped Mailer',
			roles: ['Mail.Send', 'Mail.Read'],
			appidacr: '1',
		});
		expect(claims.iss).toBe(`https://sts.windows.net/${emu.info.scenario.tenant.id}/`);
		expect(claims.exp - claims.iat).toBe(3600);
		expect(emu.context.verifyGraphToken(`Bearer ${result!.accessToken}`).ok).toBe(true);
		// Second call is served from msal's cache: no second token request.
		const before = (await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.kind === 'token').length;
		const again = await cca.acquireTokenByClientCredential({ scopes: scope() });
		expect(again!.fromCache).toBe(true);
		expect((await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.kind === 'token').length).toBe(before);
	});

	it('accepts the Global Graph scope too (audience https://graph.microsoft.com)', async () => {
		const app = emu.info.scenario.apps.unscoped;
		const cca = confidentialClient(emu.info, app.appId, { clientSecret: app.secret });
		const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
		expect(claimsOf(result!.accessToken).aud).toBe('https://graph.microsoft.com');
	});

	it('rejects a wrong secret with AADSTS7000215 and an expired one with AADSTS7000222', async () => {
		const app = emu.info.scenario.apps.rbac;
		const wrong = confidentialClient(emu.info, app.appId, { clientSecret: 'not-the-secret' });
		const err1 = await wrong.acquireTokenByClientCredential({ scopes: scope() }).catch((e) => e);
		expect(err1.errorCode).toBe('invalid_client');
		expect(aadCode(err1)).toBe(7000215);

		const added = await emu.admin<{ Value: string }>('Add-AppSecret', { AppId: app.appId });
		const fresh = confidentialClient(emu.info, app.appId, { clientSecret: added.Value });
		await expect(fresh.acquireTokenByClientCredential({ scopes: scope() })).resolves.toBeTruthy();
		await emu.admin('Expire-AppSecrets', { AppId: app.appId });
		const expired = confidentialClient(emu.info, app.appId, { clientSecret: added.Value });
		const err2 = await expired.acquireTokenByClientCredential({ scopes: scope() }).catch((e) => e);
		expect(aadCode(err2)).toBe(7000222);
	});

	it('answers unknown app 700016, unknown tenant 90002 and a scope without /.default invalid_scope', async () => {
		const app = emu.info.scenario.apps.unscoped;
		const unknown = confidentialClient(emu.info, '00000000-1111-2222-3333-444444444444', { clientSecret: 'x' });
		expect(aadCode(await unknown.acquireTokenByClientCredential({ scopes: scope() }).catch((e) => e))).toBe(700016);

		const res = await fetch(`${emu.info.authorityHost}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: app.appId,
				client_secret: app.secret!,
				scope: scope()[0],
			}),
		});
		expect(res.status).toBe(400);
		const body = await res.json();
		expect(body.error_codes).toEqual([90002]);
		expect(body.error_description).toMatch(/^AADSTS90002: Tenant '11111111-2222-3333-4444-555555555555' not found/);
		expect(body).toHaveProperty('trace_id');
		expect(body).toHaveProperty('correlation_id');

		const cca = confidentialClient(emu.info, app.appId, { clientSecret: app.secret });
		const err = await cca
			.acquireTokenByClientCredential({ scopes: [`${emu.info.graphBaseUrl}/Mail.Send`] })
			.catch((e) => e);
		expect(err.errorCode).toBe('invalid_scope');
	});

	it('answers a token-endpoint outage with the status asked for, then recovers', async () => {
		const app = emu.info.scenario.apps.unscoped;
		await emu.admin('Set-TokenOutage', { Status: 503, Count: 1 });
		const cca = confidentialClient(emu.info, app.appId, { clientSecret: app.secret });
		const err = await cca.acquireTokenByClientCredential({ scopes: scope(), skipCache: true }).catch((e) => e);
		expect(err).toBeInstanceOf(Error);
		const other = confidentialClient(emu.info, app.appId, { clientSecret: app.secret });
		await expect(other.acquireTokenByClientCredential({ scopes: scope() })).resolves.toBeTruthy();
		const log = await emu.admin<any[]>('Get-RequestLog');
		expect(log.filter((e) => e.kind === 'token' && e.status === 503)).toHaveLength(1);
	});
});

describe('client credentials with a certificate', () => {
	const cert = () => emu.info.scenario.apps.rbac.certificate!;

	it('signs RS256 with x5t (SHA-1 thumbprint) and gets a token', async () => {
		const app = emu.info.scenario.apps.rbac;
		const cca = confidentialClient(emu.info, app.appId, {
			clientCertificate: { thumbprint: cert().thumbprintSha1, privateKey: cert().privateKeyPem! },
		});
		await emu.admin('Clear-RequestLog');
		const result = await cca.acquireTokenByClientCredential({ scopes: scope() });
		const claims = claimsOf(result!.accessToken);
		expect(claims).toMatchObject({ appid: app.appId, idtyp: 'app', appidacr: '2', oid: app.servicePrincipalId });
		const tokens = (await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.kind === 'token');
		expect(tokens.map((e) => [e.status, e.clientAuth])).toEqual([[200, 'certificate:RS256']]);
		expect(claims.roles).toBeUndefined(); // RBAC for Applications: no Entra Mail.* roles
	});

	it('signs PS256 with x5t#S256 (SHA-256 thumbprint) and x5c and gets a token', async () => {
		const app = emu.info.scenario.apps.rbac;
		const cca = confidentialClient(emu.info, app.appId, {
			clientCertificate: {
				thumbprintSha256: cert().thumbprintSha256,
				privateKey: cert().privateKeyPem!,
				x5c: cert().certificatePem,
			},
		});
		await emu.admin('Clear-RequestLog');
		const result = await cca.acquireTokenByClientCredential({ scopes: scope() });
		expect(claimsOf(result!.accessToken).appid).toBe(app.appId);
		const tokens = (await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.kind === 'token');
		expect(tokens.map((e) => [e.status, e.clientAuth])).toEqual([[200, 'certificate:PS256']]);
	});

	it('checks the assertion signature against the registered certificate (AADSTS700027)', async () => {
		const app = emu.info.scenario.apps.rbac;
		const { generateKeyPairSync } = await import('node:crypto');
		const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
			.privateKey.export({ type: 'pkcs8', format: 'pem' })
			.toString();
		// Right thumbprint, wrong key: the signature cannot verify.
		const forged = confidentialClient(emu.info, app.appId, {
			clientCertificate: { thumbprint: cert().thumbprintSha1, privateKey: otherKey },
		});
		const err1 = await forged.acquireTokenByClientCredential({ scopes: scope() }).catch((e) => e);
		expect(err1.errorCode).toBe('invalid_client');
		expect(aadCode(err1)).toBe(700027);
		expect(err1.errorMessage).toMatch(/signature/i);
		// A certificate that is not registered on the app.
		const unknownThumb = createHash('sha1').update('other').digest('hex').toUpperCase();
		const unregistered = confidentialClient(emu.info, app.appId, {
			clientCertificate: { thumbprint: unknownThumb, privateKey: otherKey },
		});
		const err2 = await unregistered.acquireTokenByClientCredential({ scopes: scope() }).catch((e) => e);
		expect(aadCode(err2)).toBe(700027);
		expect(err2.errorMessage).toMatch(/not registered on application/);
	});

	it('accepts the same assertion twice (msal reuses it until it expires)', async () => {
		const app = emu.info.scenario.apps.rbac;
		const cca = confidentialClient(emu.info, app.appId, {
			clientCertificate: { thumbprint: cert().thumbprintSha1, privateKey: cert().privateKeyPem! },
		});
		await emu.admin('Clear-RequestLog');
		await cca.acquireTokenByClientCredential({ scopes: scope() });
		await cca.acquireTokenByClientCredential({ scopes: scope(), skipCache: true });
		const tokens = (await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.kind === 'token');
		expect(tokens.map((e) => e.status)).toEqual([200, 200]);
	});
});
