/**
 * The managed-identity credential against one msal source. msal-node picks its source from the environment once
 * per process and keeps it, so each source runs in its own jest file (jest isolates modules and process.env per
 * file); the file sets the environment before the first token request.
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
import { pressTest } from './testButton';

const TYPE = 'scopedMailboxManagedIdentityApi';

export function managedIdentitySuite(source: 'imds' | 'appService') {
	let emu: EmulatorHandle;

	beforeAll(async () => {
		emu = await startEmulator({ scenario: 'logic-app' });
		for (const name of [
			'IDENTITY_ENDPOINT',
			'IDENTITY_HEADER',
			'IMDS_ENDPOINT',
			'MSI_ENDPOINT',
			'MSI_SECRET',
			'IDENTITY_SERVER_THUMBPRINT',
		]) {
			delete process.env[name];
		}
		if (source === 'imds') {
			process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = emu.info.imdsEndpoint;
		} else {
			process.env.IDENTITY_ENDPOINT = emu.info.appServiceEndpoint;
			process.env.IDENTITY_HEADER = emu.info.identityHeader;
		}
	});

	afterAll(async () => {
		await emu.close();
	});

	beforeEach(async () => {
		await emu.admin('Clear-TokenOutage', {});
		await emu.admin('Clear-RequestLog', {});
	});

	const scenario = () => emu.info.scenario;
	const mailbox = () => scenario().mailboxes.notifications.upn;
	const credential = (overrides: Record<string, unknown> = {}) =>
		({
			cloud: 'custom',
			graphBaseUrl: customCloud(emu).graphBaseUrl,
			identityType: 'system',
			...overrides,
		}) as ICredentialDataDecryptedObject;

	it('system-assigned: one token per lifetime across simulated hours, at most one 401 each, no failed item', async () => {
		const store = newStore().add({ id: 'm1', name: 'm1', type: TYPE, data: credential() });
		const first = await readInbox(store, TYPE, 'm1', mailbox(), { items: 3 });
		expect(first.error).toBeUndefined();
		const inbox = await inboxId(emu, mailbox());
		expect(first.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox, inbox]);
		expect(await counts(emu)).toMatchObject({ mi: 1, token: 0, graph: 3 });
		await emu.admin('Clear-RequestLog', {});
		const hours = 5;
		for (let hour = 0; hour < hours; hour++) {
			await emu.admin('Advance-Clock', { Seconds: 3700 });
			for (let run = 0; run < 2; run++) {
				const result = await readInbox(store, TYPE, 'm1', mailbox(), { items: 2 });
				expect(result.error).toBeUndefined();
				expect(result.items).toHaveLength(2);
			}
		}
		const c = await counts(emu);
		expect(c.mi).toBe(hours);
		expect(c.graph401).toBe(hours);
		expect(store.stats('m1')).toMatchObject({ preAuthentication: 1 + hours, preAuthenticationForced: hours });
	});

	it.each([
		['userClientId', () => scenario().managedIdentities.userAssigned.clientId],
		['userObjectId', () => scenario().managedIdentities.userAssigned.objectId],
		['userResourceId', () => scenario().managedIdentities.userAssigned.resourceId],
	] as const)('user-assigned by %s', async (identityType, id) => {
		const store = newStore().add({
			id: 'u1',
			name: 'u1',
			type: TYPE,
			data: credential({ identityType, identityId: id() }),
		});
		const run = await readInbox(store, TYPE, 'u1', mailbox());
		expect(run.error).toBeUndefined();
		const test = await pressTest(TYPE, credential({ identityType, identityId: id() }));
		expect(test.status).toBe('OK');
		expect(test.message).toContain(`app ID ${scenario().managedIdentities.userAssigned.clientId}`);
		expect(test.message).toMatch(/Application permissions: .*Mail\.Send/);
		expect(test.message).toContain(`Managed identity source: ${source === 'imds' ? 'DefaultToImds' : 'AppService'}`);
	});

	it('the Test button names the system-assigned identity and its source', async () => {
		const test = await pressTest(TYPE, credential());
		expect(test.status).toBe('OK');
		expect(test.message).toContain(`app ID ${scenario().managedIdentities.system.clientId}`);
		expect(test.message).toContain(scenario().tenant.id);
		expect(test.message).toMatch(/Token expires/);
	});

	it.each([
		[
			'an identity not assigned to this host',
			{ identityType: 'userClientId', identityId: '0d2c4f8e-1111-4222-8333-944455556666' },
			/is not assigned to this host/,
		],
		['a malformed identity id', { identityType: 'userObjectId', identityId: 'not-a-guid' }, /must be a GUID/],
		[
			'a malformed resource id',
			{ identityType: 'userResourceId', identityId: '/subscriptions/x' },
			/resource ID must look like/,
		],
	] as const)('%s gives an actionable error', async (_name, overrides, message) => {
		const store = newStore().add({ id: 'e1', name: 'e1', type: TYPE, data: credential(overrides) });
		const run = await readInbox(store, TYPE, 'e1', mailbox());
		expect(run.error?.message).toMatch(message);
		const continued = await readInbox(store, TYPE, 'e1', mailbox(), { continueOnFail: true });
		expect(continued.items[0].json.error).toMatch(message);
		const test = await pressTest(TYPE, credential(overrides));
		expect(test.status).toBe('Error');
		expect(test.message).toMatch(message);
		expect([run.errorText, everythingAbout(run.error), run.logText, test.message].join('\n')).not.toMatch(
			/eyJ[A-Za-z0-9_-]{10,}\./,
		);
	});

	it('an endpoint outage fails the item with a retry hint and leaks no token', async () => {
		const store = newStore().add({ id: 'o1', name: 'o1', type: TYPE, data: credential() });
		expect((await readInbox(store, TYPE, 'o1', mailbox())).error).toBeUndefined();
		const token = String(store.data('o1').accessToken);
		await emu.admin('Set-TokenOutage', { Status: 500 });
		await emu.admin('Advance-Clock', { Seconds: 3700 });
		const run = await readInbox(store, TYPE, 'o1', mailbox());
		expect(run.error?.message).toMatch(/HTTP 500|temporarily unavailable/);
		expectNoSecrets(
			[
				everythingAbout(thrownByPreAuthentication.splice(0)),
				run.errorText,
				everythingAbout(run.error),
				run.logText,
			].join('\n'),
			[token],
		);
		await emu.admin('Clear-TokenOutage', {});
		const after = await readInbox(store, TYPE, 'o1', mailbox());
		expect(after.error).toBeUndefined();
	}, 120_000);
}
