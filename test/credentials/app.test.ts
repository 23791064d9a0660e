/**
 * scopedMailboxAppApi through n8n-core's engine against the emulator: secret and certificate, one token per
 * lifetime across simulated hours, the Test button, every failure path, and the secret-leak search.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { generateAppCertificate } from '../emulator/core/certificates';
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
import { forgetSharedAcquisitions } from '../../nodes/ScopedMailbox/auth/preAuthentication';

const TYPE = 'scopedMailboxAppApi';
let emu: EmulatorHandle;
let certDir: string;

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'all' });
	certDir = mkdtempSync(join(tmpdir(), 'scoped-mailbox-certs-'));
});

afterAll(async () => {
	await emu.close();
	rmSync(certDir, { recursive: true, force: true });
});

beforeEach(async () => {
	await emu.admin('Clear-RequestLog', {});
	await emu.admin('Clear-TokenOutage', {});
});

const scenario = () => emu.info.scenario;
const unscoped = () => scenario().apps.unscoped;
const rbac = () => scenario().apps.rbac;
const notifications = () => scenario().mailboxes.notifications.upn;
const support = () => scenario().mailboxes.support.upn;

function secretCredential(overrides: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	return {
		...customCloud(emu),
		tenantId: scenario().tenant.id,
		clientId: unscoped().appId,
		authMethod: 'secret',
		clientSecret: unscoped().secret,
		...overrides,
	} as ICredentialDataDecryptedObject;
}

function certificateCredential(overrides: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	const cert = rbac().certificate!;
	return {
		...customCloud(emu),
		tenantId: scenario().tenant.id,
		clientId: rbac().appId,
		authMethod: 'certificate',
		privateKey: cert.privateKeyPem,
		certificate: cert.certificatePem,
		...overrides,
	} as ICredentialDataDecryptedObject;
}

describe('client secret', () => {
	it('acquires one token for many items and executions, without discovery calls', async () => {
		const store = newStore().add({ id: 's1', name: 's1', type: TYPE, data: secretCredential() });
		const first = await readInbox(store, TYPE, 's1', notifications(), { items: 3 });
		expect(first.error).toBeUndefined();
		const inbox = await inboxId(emu, notifications());
		expect(first.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox, inbox]);
		expect(first.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const second = await readInbox(store, TYPE, 's1', notifications(), { items: 2 });
		expect(second.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox]);
		expect(await counts(emu)).toMatchObject({ token: 1, graph: 5, graph401: 0, discovery: 0 });
		expect(store.stats('s1')).toMatchObject({ preAuthentication: 1, updates: 1 });
		expect(typeof store.data('s1').accessToken).toBe('string');
	});

	it('renews once per token lifetime across simulated hours: one token request, at most one 401, no failed item', async () => {
		const store = newStore().add({ id: 's2', name: 's2', type: TYPE, data: secretCredential() });
		await readInbox(store, TYPE, 's2', notifications());
		await emu.admin('Clear-RequestLog', {});
		const hours = 6;
		for (let hour = 0; hour < hours; hour++) {
			await emu.admin('Advance-Clock', { Seconds: 3700 });
			// several executions within the same lifetime
			for (let run = 0; run < 3; run++) {
				const result = await readInbox(store, TYPE, 's2', notifications(), { items: 2 });
				expect(result.error).toBeUndefined();
				expect(result.items).toHaveLength(2);
				await emu.admin('Advance-Clock', { Seconds: 600 });
			}
		}
		const c = await counts(emu);
		expect(c.token).toBe(hours);
		expect(c.graph401).toBe(hours);
		expect(store.stats('s2')).toMatchObject({ preAuthentication: 1 + hours, preAuthenticationForced: hours });
	});

	it('the Test button reports identity, permissions and expiry', async () => {
		const result = await pressTest(TYPE, secretCredential());
		expect(result.status).toBe('OK');
		expect(result.message).toContain(unscoped().appId);
		expect(result.message).toContain('Unscoped Mailer');
		expect(result.message).toContain(scenario().tenant.id);
		expect(result.message).toMatch(/Application permissions: .*Mail\.Send/);
		expect(result.message).toMatch(/Token expires \d{4}-.* \(in \d+ min\)/);
		expectNoSecrets(result.message, [unscoped().secret!]);
	});
});

describe('certificate', () => {
	it('signs with SHA-256 (PS256, x5t#S256) by default and reaches the RBAC-scoped mailbox', async () => {
		const store = newStore().add({ id: 'c1', name: 'c1', type: TYPE, data: certificateCredential() });
		const run = await readInbox(store, TYPE, 'c1', support());
		expect(run.error).toBeUndefined();
		expect(run.items.map((i) => i.json.parentFolderId)).toEqual([await inboxId(emu, support())]);
		const log = await emu.admin<Array<{ kind: string; clientAuth?: string }>>('Get-RequestLog', {});
		expect(log.filter((e) => e.kind === 'token')).toHaveLength(1);
	});

	it('supports SHA-1 thumbprints, a chain in x5c, encrypted PKCS#8 and encrypted traditional keys', async () => {
		const cert = rbac().certificate!;
		const key = createPrivateKey(cert.privateKeyPem!);
		const passphrase = `pass-${randomBytes(6).toString('hex')}`;
		const pkcs8 = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
		const pkcs1 = key.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
		expect(pkcs8).toContain('ENCRYPTED PRIVATE KEY');
		expect(pkcs1).toContain('Proc-Type: 4,ENCRYPTED');
		const variants = [
			{ thumbprintAlgorithm: 'sha1' },
			{ sendCertificateChain: true, certificate: cert.certificatePem + scenarioCaPem() },
			{ privateKey: pkcs8, passphrase },
			{ privateKey: pkcs1, passphrase, thumbprintAlgorithm: 'sha1' },
			// pasted with literal \n and CRLF
			{
				privateKey: cert.privateKeyPem!.replace(/\n/g, '\\n'),
				certificate: cert.certificatePem.replace(/\n/g, '\r\n'),
			},
		];
		for (const [n, variant] of variants.entries()) {
			const result = await pressTest(TYPE, certificateCredential(variant));
			expect({ n, status: result.status, message: result.message }).toMatchObject({ n, status: 'OK' });
			expect(result.message).toMatch(/Certificate [0-9A-F]{40} expires \d{4}-\d\d-\d\d \(\d+ days left\)/);
			expect(result.message).toContain('Application permissions in the token: none');
		}
	});

	it('warns when the certificate has less than 30 days left', async () => {
		const shortLived = generateAppCertificate('CN=short-lived', certDir, 'short', 10);
		emu.state.apps.find((a) => a.appId === rbac().appId)!.certificates.push(shortLived);
		const result = await pressTest(
			TYPE,
			certificateCredential({ privateKey: shortLived.privateKeyPem, certificate: shortLived.certificatePem }),
		);
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/WARNING: Certificate [0-9A-F]{40} expires .* \((9|10) days left\)\. Renew it/);
	});
});

function scenarioCaPem(): string {
	// Any second certificate stands in for an intermediate in the chain.
	return generateAppCertificate('CN=intermediate', certDir, `inter-${randomBytes(3).toString('hex')}`).certificatePem;
}

describe('failure paths', () => {
	const secretValue = () => `Leak8Q~${randomBytes(18).toString('base64url')}`;

	interface Case {
		name: string;
		data: () => ICredentialDataDecryptedObject;
		before?: () => Promise<void>;
		message: RegExp;
		field?: string;
	}

	const cases: Case[] = [
		{
			name: 'wrong secret',
			data: () => secretCredential({ clientSecret: secretValue() }),
			message: /client secret is wrong \(AADSTS7000215\)/,
		},
		{
			name: 'expired secret',
			data: () => secretCredential({ clientSecret: expiredSecret }),
			before: async () => {
				const added = await emu.admin<{ Value: string }>('Add-AppSecret', {
					AppId: unscoped().appId,
					Value: expiredSecret,
					ExpiresInSeconds: 60,
				});
				expect(added.Value).toBe(expiredSecret);
				await emu.admin('Advance-Clock', { Seconds: 120 });
			},
			message: /client secret has expired \(AADSTS7000222\)/,
		},
		{
			name: 'certificate not registered',
			data: () => {
				const stranger = generateAppCertificate('CN=stranger', certDir, `stranger-${randomBytes(3).toString('hex')}`);
				return certificateCredential({ privateKey: stranger.privateKeyPem, certificate: stranger.certificatePem });
			},
			message: /certificate is not registered on the app \(AADSTS700027\)/,
		},
		{
			name: 'unknown tenant',
			data: () => secretCredential({ tenantId: '0d2c4f8e-1111-4222-8333-944455556666' }),
			message: /Tenant "0d2c4f8e-1111-4222-8333-944455556666" was not found \(AADSTS90002\)/,
		},
		{
			name: 'unknown app',
			data: () => secretCredential({ clientId: '0d2c4f8e-aaaa-4bbb-8ccc-9dddeeeeffff' }),
			message: /App "0d2c4f8e-aaaa-4bbb-8ccc-9dddeeeeffff" was not found in tenant .* \(AADSTS700016\)/,
		},
		{
			name: 'token endpoint outage',
			data: () => secretCredential({ clientSecret: unscoped().secret }),
			before: async () => {
				// As in a process that holds no token for this app yet: earlier cases acquired one, which would be
				// shared (auth/preAuthentication.ts) and the outage never reached.
				forgetSharedAcquisitions();
				await emu.admin('Set-TokenOutage', { Status: 503 });
			},
			message: /temporarily unavailable \(AADSTS90033\)|answered HTTP 503/,
		},
		{
			name: 'authority host unreachable',
			data: () => secretCredential({ authorityHost: 'https://127.0.0.1:1' }),
			message: /Could not reach the identity platform: connection refused/,
		},
		{
			name: 'bad passphrase',
			data: () => certificateCredential({ privateKey: encryptedKey(), passphrase: 'not-the-passphrase' }),
			message: /Passphrase does not decrypt/,
		},
		{
			name: 'key and certificate mismatch',
			data: () =>
				certificateCredential({
					certificate: generateAppCertificate('CN=other', certDir, `other-${randomBytes(3).toString('hex')}`)
						.certificatePem,
				}),
			message: /do not belong together/,
		},
		{
			name: 'hostile tenant',
			data: () => secretCredential({ tenantId: '../../evil?x=' }),
			message: /Tenant ID must be a GUID or a domain/,
		},
		{
			name: 'custom cloud without authority host',
			data: () => secretCredential({ authorityHost: '' }),
			message: /Authority Host is required/,
		},
	];
	const expiredSecret = `Exp8Q~${randomBytes(18).toString('base64url')}`;
	const passphraseForEncrypted = `pp-${randomBytes(8).toString('hex')}`;
	function encryptedKey() {
		return createPrivateKey(rbac().certificate!.privateKeyPem!)
			.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: passphraseForEncrypted })
			.toString();
	}

	it.each(cases.map((c) => [c.name, c] as const))(
		'%s: actionable error in the node and the Test button, no secret anywhere',
		async (_name, c) => {
			if (c.before) await c.before();
			const data = c.data();
			const secrets = [
				data.clientSecret,
				data.privateKey,
				data.passphrase,
				passphraseForEncrypted,
				unscoped().secret,
				rbac().certificate!.privateKeyPem,
			]
				.filter((s): s is string => typeof s === 'string' && s.length > 0)
				.flatMap((s) => [s, ...s.split('\n').filter((line) => line.length > 40)]);
			const store = newStore().add({ id: 'f1', name: 'f1', type: TYPE, data });

			const run = await readInbox(store, TYPE, 'f1', notifications());
			expect(run.error).toBeDefined();
			expect(run.error!.message).toMatch(c.message);
			expect(run.items).toEqual([]);

			const continued = await readInbox(store, TYPE, 'f1', notifications(), { continueOnFail: true, items: 2 });
			expect(continued.error).toBeUndefined();
			expect(continued.items.map((i) => i.json.error)).toEqual([
				expect.stringMatching(c.message),
				expect.stringMatching(c.message),
			]);

			const test = await pressTest(TYPE, data);
			expect(test.status).toBe('Error');
			expect(test.message).toMatch(c.message);

			expect(thrownByPreAuthentication.length).toBeGreaterThan(0);
			const haystack = [
				everythingAbout(thrownByPreAuthentication.splice(0)),
				run.errorText,
				everythingAbout(run.error),
				run.logText,
				JSON.stringify(continued.items),
				continued.logText,
				everythingAbout(test),
			].join('\n');
			expectNoSecrets(haystack, secrets);
			expect(haystack).not.toMatch(/client_assertion=|client_secret=|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
			await emu.admin('Clear-TokenOutage', {});
		},
	);
});
