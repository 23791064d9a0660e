/** Fidelity: msal-node 7.2.1 PublicClientApplication (device code, refresh token, ROPC) against the emulator. */
import { startEmulator, type EmulatorHandle } from './index';
import { claimsOf, confidentialClient, publicClient } from './fixtures/msal';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated' });
	await emu.admin('Set-Settings', { DeviceCodeIntervalSeconds: 1 });
});
afterAll(() => emu?.close());

const graphScopes = () => [
	`${emu.info.graphBaseUrl}/Mail.Send.Shared`,
	`${emu.info.graphBaseUrl}/Mail.ReadWrite.Shared`,
	'offline_access',
];
const aadCode = (err: any): number | undefined => {
	const m = /AADSTS(\d+)/.exec(`${err?.errorMessage ?? ''} ${err?.message ?? ''}`);
	return m ? Number(m[1]) : undefined;
};
const cachedRefreshTokens = (app: { getTokenCache(): { serialize(): string } }): string[] =>
	Object.values(JSON.parse(app.getTokenCache().serialize()).RefreshToken ?? {}).map((e: any) => e.secret);

async function signInWithDeviceCode(user?: string) {
	const app = emu.info.scenario.apps.publicClient;
	const pca = publicClient(emu.info, app.appId);
	const approvals: Promise<unknown>[] = [];
	const result = await pca.acquireTokenByDeviceCode({
		scopes: graphScopes(),
		deviceCodeCallback: (response) => {
			expect(response.message).toContain(response.userCode);
			approvals.push(emu.admin('Approve-DeviceCode', { UserCode: response.userCode, ...(user ? { User: user } : {}) }));
		},
	});
	await Promise.all(approvals);
	return { pca, result: result! };
}

describe('device code', () => {
	it('signs the user in after approval, with delegated claims and a refresh token', async () => {
		const { pca, result } = await signInWithDeviceCode();
		const megan = emu.info.scenario.mailboxes.megan;
		const claims = claimsOf(result.accessToken);
		expect(claims).toMatchObject({
			idtyp: 'user',
			upn: megan.upn,
			name: 'Megan Bowen',
			oid: megan.id,
			appid: emu.info.scenario.apps.publicClient.appId,
			aud: emu.info.graphBaseUrl,
			appidacr: '0',
		});
		expect(claims.scp.split(' ')).toEqual(
			expect.arrayContaining(['Mail.Send.Shared', 'Mail.ReadWrite.Shared', 'User.Read']),
		);
		expect(claims.roles).toBeUndefined();
		expect(result.account?.username).toBe(megan.upn);
		expect(result.idTokenClaims).toMatchObject({ preferred_username: megan.upn, tid: emu.info.scenario.tenant.id });
		expect(cachedRefreshTokens(pca)).toHaveLength(1);
		const polls = (await emu.admin<any[]>('Get-RequestLog')).filter((e) => e.grantType === 'device_code');
		expect(polls.at(-1).status).toBe(200);
	});

	it('stops polling with the error when the user declines', async () => {
		const pca = publicClient(emu.info, emu.info.scenario.apps.publicClient.appId);
		const err = await pca
			.acquireTokenByDeviceCode({
				scopes: graphScopes(),
				deviceCodeCallback: (response) => void emu.admin('Deny-DeviceCode', { UserCode: response.userCode }),
			})
			.catch((e) => e);
		expect(String(err.errorMessage ?? err.message)).toMatch(/authorization_declined/);
	});

	it('is refused for a confidential app without its credential (AADSTS7000218)', async () => {
		const res = await fetch(`${emu.info.authorityHost}/${emu.info.scenario.tenant.id}/oauth2/v2.0/devicecode`, {
			method: 'POST',
			body: new URLSearchParams({ client_id: emu.info.scenario.apps.webApp.appId, scope: graphScopes().join(' ') }),
		});
		const started = await res.json();
		await emu.admin('Approve-DeviceCode', { UserCode: started.user_code });
		const poll = await fetch(`${emu.info.authorityHost}/${emu.info.scenario.tenant.id}/oauth2/v2.0/token`, {
			method: 'POST',
			body: new URLSearchParams({
				grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
				client_id: emu.info.scenario.apps.webApp.appId,
				device_code: started.device_code,
			}),
		});
		expect(poll.status).toBe(401);
		expect((await poll.json()).error_codes).toEqual([7000218]);
	});
});

describe('refresh token', () => {
	it('rotates: every use returns a new refresh token (read from the cache) that works again', async () => {
		const { pca } = await signInWithDeviceCode();
		const [first] = cachedRefreshTokens(pca);
		const app2 = publicClient(emu.info, emu.info.scenario.apps.publicClient.appId);
		const r1 = await app2.acquireTokenByRefreshToken({ refreshToken: first, scopes: graphScopes(), forceCache: true });
		expect(claimsOf(r1!.accessToken).upn).toBe(emu.info.scenario.mailboxes.megan.upn);
		const [second] = cachedRefreshTokens(app2);
		expect(second).toBeTruthy();
		expect(second).not.toBe(first);
		const app3 = publicClient(emu.info, emu.info.scenario.apps.publicClient.appId);
		await app3.acquireTokenByRefreshToken({ refreshToken: second, scopes: graphScopes(), forceCache: true });
		const [third] = cachedRefreshTokens(app3);
		expect(new Set([first, second, third]).size).toBe(3);
	});

	it('expires after the configured inactivity (700082), on the emulator clock', async () => {
		const { pca } = await signInWithDeviceCode();
		const [rt] = cachedRefreshTokens(pca);
		await emu.admin('Set-Settings', { RefreshTokenLifetimeSeconds: 3600 });
		try {
			// Tokens issued before the change keep their lifetime; sign in again under the short one.
			const { pca: short } = await signInWithDeviceCode();
			const [shortRt] = cachedRefreshTokens(short);
			await emu.admin('Advance-Clock', { Seconds: 3601 });
			const err = await publicClient(emu.info, emu.info.scenario.apps.publicClient.appId)
				.acquireTokenByRefreshToken({ refreshToken: shortRt, scopes: graphScopes(), forceCache: true })
				.catch((e) => e);
			expect(err.errorCode).toBe('invalid_grant');
			expect(aadCode(err)).toBe(700082);
			// The 90-day token is still fine.
			await expect(
				publicClient(emu.info, emu.info.scenario.apps.publicClient.appId).acquireTokenByRefreshToken({
					refreshToken: rt,
					scopes: graphScopes(),
				}),
			).resolves.toBeTruthy();
		} finally {
			await emu.admin('Set-Settings', { RefreshTokenLifetimeSeconds: 90 * 86400 });
		}
	});

	it('stops at the session max age (70008) and after Revoke-MgUserSignInSession (50173)', async () => {
		const { pca } = await signInWithDeviceCode();
		const [rt] = cachedRefreshTokens(pca);
		await emu.admin('Set-Settings', { RefreshTokenMaxAgeSeconds: 600 });
		try {
			await emu.admin('Advance-Clock', { Seconds: 601 });
			const err = await publicClient(emu.info, emu.info.scenario.apps.publicClient.appId)
				.acquireTokenByRefreshToken({ refreshToken: rt, scopes: graphScopes() })
				.catch((e) => e);
			expect(aadCode(err)).toBe(70008);
		} finally {
			await emu.admin('Set-Settings', { RefreshTokenMaxAgeSeconds: 0 });
		}
		const { pca: again } = await signInWithDeviceCode();
		const [fresh] = cachedRefreshTokens(again);
		await emu.admin('Advance-Clock', { Seconds: 1 });
		expect(await emu.admin('Revoke-MgUserSignInSession', { UserId: emu.info.scenario.mailboxes.megan.upn })).toEqual({
			value: true,
		});
		const err = await publicClient(emu.info, emu.info.scenario.apps.publicClient.appId)
			.acquireTokenByRefreshToken({ refreshToken: fresh, scopes: graphScopes() })
			.catch((e) => e);
		expect(aadCode(err)).toBe(50173);
		// A sign-in after the revocation works.
		await emu.admin('Advance-Clock', { Seconds: 1 });
		const { result } = await signInWithDeviceCode();
		expect(result.accessToken).toBeTruthy();
	});

	it('needs the client secret for a confidential app and rejects a garbage token', async () => {
		const web = emu.info.scenario.apps.webApp;
		const cca = confidentialClient(emu.info, web.appId, { clientSecret: web.secret });
		const ropc = await cca.acquireTokenByUsernamePassword({
			username: emu.info.scenario.mailboxes.megan.upn,
			password: emu.info.scenario.mailboxes.megan.password!,
			scopes: graphScopes(),
		});
		expect(claimsOf(ropc!.accessToken)).toMatchObject({ idtyp: 'user', appidacr: '1' });
		const [rt] = cachedRefreshTokens(cca);
		const noSecret = await fetch(`${emu.info.authorityHost}/${emu.info.scenario.tenant.id}/oauth2/v2.0/token`, {
			method: 'POST',
			body: new URLSearchParams({ grant_type: 'refresh_token', client_id: web.appId, refresh_token: rt }),
		});
		expect((await noSecret.json()).error_codes).toEqual([7000218]);
		const garbage = await cca
			.acquireTokenByRefreshToken({ refreshToken: 'not-a-refresh-token', scopes: graphScopes() })
			.catch((e) => e);
		expect(garbage.errorCode).toBe('invalid_grant');
	});
});

describe('password (ROPC) and consent', () => {
	it('signs in with a password; a wrong password is AADSTS50126', async () => {
		const pca = publicClient(emu.info, emu.info.scenario.apps.publicClient.appId);
		const alex = emu.info.scenario.mailboxes.alex;
		const ok = await pca.acquireTokenByUsernamePassword({
			username: alex.upn,
			password: alex.password!,
			scopes: graphScopes(),
		});
		expect(claimsOf(ok!.accessToken).upn).toBe(alex.upn);
		const err = await pca
			.acquireTokenByUsernamePassword({ username: alex.upn, password: 'wrong', scopes: graphScopes() })
			.catch((e) => e);
		expect(aadCode(err)).toBe(50126);
	});

	it('asks for consent (AADSTS65001) for a permission nobody consented to', async () => {
		const pca = publicClient(emu.info, emu.info.scenario.apps.publicClient.appId);
		const alex = emu.info.scenario.mailboxes.alex;
		const err = await pca
			.acquireTokenByUsernamePassword({
				username: alex.upn,
				password: alex.password!,
				scopes: [`${emu.info.graphBaseUrl}/Calendars.Read`],
			})
			.catch((e) => e);
		expect(err.errorCode).toBe('invalid_grant');
		expect(aadCode(err)).toBe(65001);
	});
});
