/**
 * scopedMailboxRefreshTokenApi through n8n-core's engine: the rotated refresh token is persisted on every refresh,
 * so a credential seeded once outlives its first refresh token; invalid_grant says how to seed again.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { startEmulator, type EmulatorHandle } from '../emulator';
import {
	counts,
	customCloud,
	everythingAbout,
	expectNoSecrets,
	inboxId,
	newStore,
	readInbox,
	thrownByPreAuthentication,
} from './helpers';
import { seedRefreshToken } from './seedToken';
import { pressTest } from './testButton';

const TYPE = 'scopedMailboxRefreshTokenApi';
let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated' });
});

afterAll(async () => {
	await emu.close();
});

beforeEach(async () => {
	await emu.admin('Set-Settings', {
		AccessTokenLifetimeSeconds: 3600,
		RefreshTokenLifetimeSeconds: 90 * 86400,
		RefreshTokenMaxAgeSeconds: 0,
	});
	await emu.admin('Clear-TokenOutage', {});
	await emu.admin('Clear-RequestLog', {});
});

const scenario = () => emu.info.scenario;
const shared = () => scenario().mailboxes.notifications.upn;

function credential(refreshToken: string, overrides: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	return {
		...customCloud(emu),
		tenantId: scenario().tenant.id,
		clientId: scenario().apps.publicClient.appId,
		clientAuth: 'none',
		scopes: 'offline_access Mail.Send.Shared Mail.ReadWrite.Shared',
		refreshToken,
		...overrides,
	} as ICredentialDataDecryptedObject;
}

async function directRefresh(refreshToken: string): Promise<{ status: number; body: { error_codes?: number[] } }> {
	const response = await fetch(`${emu.info.authorityHost}/${scenario().tenant.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'refresh_token',
			client_id: scenario().apps.publicClient.appId,
			refresh_token: refreshToken,
		}).toString(),
	});
	return { status: response.status, body: (await response.json()) as { error_codes?: number[] } };
}

describe('seeded refresh token', () => {
	it('gets a delegated token, reads the shared mailbox and persists the rotated refresh token', async () => {
		const seeded = await seedRefreshToken(emu, { clientId: scenario().apps.publicClient.appId });
		await emu.admin('Clear-RequestLog', {});
		const store = newStore().add({ id: 'r1', name: 'r1', type: TYPE, data: credential(seeded) });
		const run = await readInbox(store, TYPE, 'r1', shared(), { items: 3 });
		expect(run.error).toBeUndefined();
		const inbox = await inboxId(emu, shared());
		expect(run.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox, inbox]);
		const saved = store.data('r1');
		expect(saved.refreshToken).toEqual(expect.any(String));
		expect(saved.refreshToken).not.toBe(seeded);
		expect(store.stats('r1')).toMatchObject({ preAuthentication: 1, updates: 1 });
		expect(await counts(emu)).toMatchObject({ token: 1, graph: 3, discovery: 0 });
		expectNoSecrets(run.logText + JSON.stringify(run.items), [
			seeded,
			String(saved.refreshToken),
			String(saved.accessToken),
		]);
	});

	it('keeps working across simulated hours past the first refresh token lifetime, one token request per lifetime', async () => {
		// Refresh tokens expire after 2 h unused; the access token lives 1 h; we run for 12 simulated hours.
		await emu.admin('Set-Settings', { RefreshTokenLifetimeSeconds: 7200 });
		const seeded = await seedRefreshToken(emu, { clientId: scenario().apps.publicClient.appId });
		const store = newStore().add({ id: 'r2', name: 'r2', type: TYPE, data: credential(seeded) });
		expect((await readInbox(store, TYPE, 'r2', shared())).error).toBeUndefined();
		const inbox = await inboxId(emu, shared());
		await emu.admin('Clear-RequestLog', {});
		const hours = 12;
		const seen = new Set<string>([seeded, String(store.data('r2').refreshToken)]);
		for (let hour = 0; hour < hours; hour++) {
			await emu.admin('Advance-Clock', { Seconds: 3650 });
			for (let run = 0; run < 2; run++) {
				const result = await readInbox(store, TYPE, 'r2', shared(), { items: 2 });
				expect(result.error).toBeUndefined();
				expect(result.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox]);
			}
			const current = String(store.data('r2').refreshToken);
			expect(seen.has(current)).toBe(false); // rotated and saved after this lifetime's refresh
			seen.add(current);
		}
		const c = await counts(emu);
		expect(c.token).toBe(hours);
		expect(c.graph401).toBe(hours);
		// Every save carried the new refresh token next to the new access token.
		const history = store.history('r2');
		expect(history).toHaveLength(1 + 1 + hours);
		// The first refresh token itself is long dead: the credential outlived it.
		const stale = await directRefresh(seeded);
		expect(stale.status).toBe(400);
		expect(stale.body.error_codes).toEqual([700082]);
	});

	it('works as a confidential client (client secret) and the Test button names the user and scopes', async () => {
		const web = scenario().apps.webApp;
		const seeded = await seedRefreshToken(emu, { clientId: web.appId, clientSecret: web.secret });
		const data = credential(seeded, { clientId: web.appId, clientAuth: 'secret', clientSecret: web.secret });
		const store = newStore().add({ id: 'r3', name: 'r3', type: TYPE, data });
		expect((await readInbox(store, TYPE, 'r3', shared())).error).toBeUndefined();
		const test = await pressTest(TYPE, store.data('r3'));
		expect(test.status).toBe('OK');
		expect(test.message).toContain(`Signed in as user ${scenario().mailboxes.megan.upn}`);
		expect(test.message).toMatch(/Delegated permissions: .*Mail\.Send\.Shared/);
		expect(test.message).toMatch(/Token expires/);
		expectNoSecrets(test.message, [seeded, web.secret!, String(store.data('r3').refreshToken)]);
	});
});

describe('invalid_grant and other failures say how to seed again, without leaking the token', () => {
	const cases: Array<{
		name: string;
		settings?: object;
		prepare: (rt: string) => Promise<string>;
		code: RegExp;
		seedHint: boolean;
	}> = [
		{
			name: 'revoked (Revoke-MgUserSignInSession)',
			prepare: async (rt) => {
				await emu.admin('Advance-Clock', { Seconds: 5 });
				await emu.admin('Revoke-MgUserSignInSession', { UserId: scenario().mailboxes.megan.upn });
				return rt;
			},
			code: /was revoked .*\(AADSTS50173\)/,
			seedHint: true,
		},
		{
			name: 'expired after inactivity',
			settings: { RefreshTokenLifetimeSeconds: 3600 },
			prepare: async (rt) => {
				await emu.admin('Advance-Clock', { Seconds: 7200 });
				return rt;
			},
			code: /has expired after being unused .*\(AADSTS700082\)/,
			seedHint: true,
		},
		{
			name: 'past the session maximum age',
			prepare: async (rt) => {
				await emu.admin('Set-Settings', { RefreshTokenMaxAgeSeconds: 3600 });
				await emu.admin('Advance-Clock', { Seconds: 7200 });
				return rt;
			},
			code: /has expired \(AADSTS70008\)/,
			seedHint: true,
		},
		{
			name: 'garbage token',
			prepare: async () => 'not-a-refresh-token-0123456789',
			code: /is not valid \(AADSTS9002313\)/,
			seedHint: true,
		},
		{
			name: 'consent missing',
			prepare: async (rt) => {
				await emu.admin('Revoke-DelegatedPermission', {
					AppId: scenario().apps.publicClient.appId,
					Permission: 'Mail.ReadWrite.Shared',
				});
				return rt;
			},
			code: /Consent is missing .*\(AADSTS65001\)/,
			seedHint: false,
		},
		{
			name: 'token endpoint outage',
			prepare: async (rt) => {
				await emu.admin('Set-TokenOutage', { Status: 503 });
				return rt;
			},
			code: /temporarily unavailable|HTTP 503/,
			seedHint: false,
		},
	];

	it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		if (c.settings) await emu.admin('Set-Settings', c.settings);
		const seeded = await seedRefreshToken(emu, { clientId: scenario().apps.publicClient.appId });
		const refreshToken = await c.prepare(seeded);
		try {
			const store = newStore().add({ id: 'f1', name: 'f1', type: TYPE, data: credential(refreshToken) });
			const run = await readInbox(store, TYPE, 'f1', shared());
			expect(run.error?.message).toMatch(c.code);
			if (c.seedHint) expect(run.error?.description).toContain('npx n8n-nodes-scoped-mailbox seed');
			expect(store.data('f1').refreshToken).toBe(refreshToken); // nothing saved on failure
			const continued = await readInbox(store, TYPE, 'f1', shared(), { continueOnFail: true, items: 2 });
			expect(continued.items.map((i) => i.json.error)).toEqual([
				expect.stringMatching(c.code),
				expect.stringMatching(c.code),
			]);
			const test = await pressTest(TYPE, credential(refreshToken));
			expect(test.status).toBe('Error');
			expect(test.message).toMatch(c.code);
			expect(thrownByPreAuthentication.length).toBeGreaterThan(0);
			const haystack = [
				everythingAbout(thrownByPreAuthentication.splice(0)),
				run.errorText,
				everythingAbout(run.error),
				run.logText,
				JSON.stringify(continued.items),
				continued.logText,
				test.message,
			].join('\n');
			expectNoSecrets(haystack, [refreshToken, seeded]);
			expect(haystack).not.toMatch(/refresh_token=|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
		} finally {
			await emu.admin('Clear-TokenOutage', {});
			await emu.admin('Grant-DelegatedPermission', {
				AppId: scenario().apps.publicClient.appId,
				Permission: 'Mail.ReadWrite.Shared',
			});
		}
	});
});
