/**
 * Executions that start together in one process, each with the credential as n8n's database holds it (empty or
 * expired token): n8n calls preAuthentication in every one of them. They share one token acquisition, and with
 * the refresh-token credential one refresh grant, so every execution saves the same rotated refresh token.
 * (Across processes nothing is shared: each queue-mode worker acquires its own; README "Tokens".)
 */
import { startEmulator, type EmulatorHandle } from '../emulator';
import { forgetSharedAcquisitions } from '../../nodes/ScopedMailbox/auth/preAuthentication';
import { counts, customCloud, newStore, readInbox, requestLog } from './helpers';
import { seedRefreshToken } from './seedToken';

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'all' });
});
afterAll(async () => {
	await emu.close();
});
beforeEach(async () => {
	forgetSharedAcquisitions();
	await emu.admin('Set-Settings', { TokenLatencyMs: 200 });
	await emu.admin('Clear-RequestLog', {});
});

const scenario = () => emu.info.scenario;
const CONCURRENT = 6;

it(`app credential: ${CONCURRENT} concurrent executions, one token request; after expiry, one more`, async () => {
	const TYPE = 'scopedMailboxAppApi';
	const store = newStore().add({
		id: 'a1',
		name: 'a1',
		type: TYPE,
		data: {
			...customCloud(emu),
			tenantId: scenario().tenant.id,
			clientId: scenario().apps.unscoped.appId,
			authMethod: 'secret',
			clientSecret: scenario().apps.unscoped.secret!,
		},
	});
	const mailbox = scenario().mailboxes.notifications.upn;
	const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => readInbox(store, TYPE, 'a1', mailbox)));
	for (const run of runs) expect(run.error).toBeUndefined();
	expect((await counts(emu)).token).toBe(1);

	// An hour later on the emulator clock: the saved token is refused (401) and n8n re-authenticates in every
	// execution; they share one new token.
	await emu.admin('Advance-Clock', { Seconds: 3700 });
	await emu.admin('Clear-RequestLog', {});
	const later = await Promise.all(Array.from({ length: CONCURRENT }, () => readInbox(store, TYPE, 'a1', mailbox)));
	for (const run of later) expect(run.error).toBeUndefined();
	expect((await counts(emu)).token).toBe(1);
});

it(`refresh-token credential: ${CONCURRENT} concurrent executions redeem the refresh token once and all save the rotated one`, async () => {
	const TYPE = 'scopedMailboxRefreshTokenApi';
	const clientId = scenario().apps.publicClient.appId;
	const seeded = await seedRefreshToken(emu, { clientId });
	await emu.admin('Clear-RequestLog', {});
	const store = newStore().add({
		id: 'r1',
		name: 'r1',
		type: TYPE,
		data: {
			...customCloud(emu),
			tenantId: scenario().tenant.id,
			clientId,
			clientAuth: 'none',
			scopes: 'offline_access Mail.Send.Shared Mail.ReadWrite.Shared',
			refreshToken: seeded,
		},
	});
	const mailbox = scenario().mailboxes.notifications.upn;
	const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => readInbox(store, TYPE, 'r1', mailbox)));
	for (const run of runs) expect(run.error).toBeUndefined();
	const grants = (await requestLog(emu)).filter((e) => e.kind === 'token' && e.grantType === 'refresh_token');
	expect(grants).toHaveLength(1);
	const rotated = String(store.data('r1').refreshToken);
	expect(rotated).not.toBe(seeded);
	// Every save carried that one rotated token.
	for (const saved of store.history('r1').slice(1)) expect(saved.refreshToken).toBe(rotated);

	// The rotation holds: after the access token's lifetime, the saved refresh token is redeemed, once.
	await emu.admin('Advance-Clock', { Seconds: 3700 });
	await emu.admin('Clear-RequestLog', {});
	const later = await Promise.all(Array.from({ length: CONCURRENT }, () => readInbox(store, TYPE, 'r1', mailbox)));
	for (const run of later) expect(run.error).toBeUndefined();
	const again = (await requestLog(emu)).filter((e) => e.kind === 'token' && e.grantType === 'refresh_token');
	expect(again).toHaveLength(1);
	expect(String(store.data('r1').refreshToken)).not.toBe(rotated);
});
