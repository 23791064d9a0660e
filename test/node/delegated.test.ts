/**
 * Delegated identities (refresh-token credential seeded by device code, n8n's OAuth2 credential): the user
 * (Megan) has FullAccess + SendAs on the shared notifications mailbox and nothing on finance.
 */
import { CredentialStore, runNode } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { seedRefreshToken } from '../credentials/seedToken';
import { ScopedMailboxOAuth2Api } from '../../credentials/ScopedMailboxOAuth2Api.credentials';
import { ScopedMailboxRefreshTokenApi } from '../../credentials/ScopedMailboxRefreshTokenApi.credentials';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import type { INodeParameters } from 'n8n-workflow';

const NOTIFICATIONS = 'notifications@contoso.onmicrosoft.com';
const FINANCE = 'finance@contoso.onmicrosoft.com';
const MEGAN = 'megan@contoso.onmicrosoft.com';

let emu: EmulatorHandle;
let store: CredentialStore;
const secrets: string[] = [];

async function passwordGrant(clientId: string, secret: string) {
	const { info } = emu;
	const response = await fetch(`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: clientId,
			client_secret: secret,
			username: MEGAN,
			password: info.scenario.mailboxes.megan.password!,
			scope: `openid offline_access ${info.graphBaseUrl}/Mail.ReadWrite.Shared ${info.graphBaseUrl}/Mail.Send.Shared`,
		}).toString(),
	});
	return (await response.json()) as { access_token: string; refresh_token: string };
}

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated' });
	const { info } = emu;
	const custom = {
		cloud: 'custom',
		authorityHost: info.authorityHost,
		graphBaseUrl: info.graphBaseUrl,
		tenantId: info.scenario.tenant.id,
	};
	const cli = info.scenario.apps.publicClient;
	const web = info.scenario.apps.webApp;
	const refreshToken = await seedRefreshToken(emu, { clientId: cli.appId, user: MEGAN });
	const oauth = await passwordGrant(web.appId, web.secret!);
	secrets.push(refreshToken, oauth.refresh_token, oauth.access_token, web.secret!);
	store = new CredentialStore()
		.add(
			{
				id: 'rt',
				name: 'Megan (device code)',
				type: 'scopedMailboxRefreshTokenApi',
				data: { ...custom, clientId: cli.appId, clientAuth: 'none', refreshToken },
			},
			new ScopedMailboxRefreshTokenApi(),
		)
		.add(
			{
				id: 'o1',
				name: 'Megan (OAuth2)',
				type: 'scopedMailboxOAuth2Api',
				data: {
					...custom,
					clientId: web.appId,
					clientSecret: web.secret!,
					oauthTokenData: {
						token_type: 'Bearer',
						access_token: oauth.access_token,
						refresh_token: oauth.refresh_token,
					},
				},
			},
			new ScopedMailboxOAuth2Api(),
		);
});
afterAll(async () => {
	await emu?.close();
});

const TYPES = { rt: 'scopedMailboxRefreshTokenApi', o1: 'scopedMailboxOAuth2Api' } as const;

async function run(credential: keyof typeof TYPES, parameters: INodeParameters, continueOnFail = false) {
	const type = TYPES[credential];
	const result = await runNode({
		nodeType: new ScopedMailbox(),
		parameters: { authentication: type, ...parameters },
		credentials: { [type]: { id: credential, name: credential } },
		store,
		continueOnFail,
	});
	const data = store.data(credential);
	const current = [
		data.accessToken,
		data.refreshToken,
		(data.oauthTokenData as { access_token?: string } | undefined)?.access_token,
	];
	const text =
		JSON.stringify({
			items: result.items,
			error: result.error && { m: result.error.message, d: (result.error as { description?: string }).description },
		}) + result.logText;
	for (const secret of [...secrets, ...current])
		if (typeof secret === 'string' && secret) expect(text.includes(secret)).toBe(false);
	return result;
}

describe.each(['rt', 'o1'] as const)('delegated credential %s', (credential) => {
	it('sends as the shared mailbox the user may send as, and is denied elsewhere', async () => {
		const subject = `delegated send ${credential}`;
		const ok = await run(credential, {
			resource: 'message',
			operation: 'send',
			mailbox: NOTIFICATIONS,
			toRecipients: 'someone@fabrikam.example',
			subject,
			bodyContent: 'hi',
		});
		expect(ok.error).toBeUndefined();
		const sent = await emu.admin<Array<{ Subject: string; From: string }>>('Get-SentMessages', {
			Mailbox: NOTIFICATIONS,
		});
		expect(sent.find((m) => m.Subject === subject)?.From).toBe(NOTIFICATIONS);

		const denied = await run(
			credential,
			{
				resource: 'message',
				operation: 'send',
				mailbox: FINANCE,
				toRecipients: 'someone@fabrikam.example',
				subject,
				bodyContent: 'hi',
			},
			true,
		);
		expect(denied.items[0].json.error).toMatch(/not allowed to use mailbox finance@contoso\.onmicrosoft\.com/);
	});

	it('lists the shared mailbox', async () => {
		await emu.admin('Deliver-Message', { To: NOTIFICATIONS, Subject: `for ${credential}` });
		const listed = await run(credential, {
			resource: 'message',
			operation: 'list',
			mailbox: NOTIFICATIONS,
			folder: { __rl: true, mode: 'id', value: 'inbox' },
			filters: { subjectContains: `for ${credential}` },
		});
		expect(listed.error).toBeUndefined();
		expect(listed.items.map((i) => i.json.subject)).toEqual([`for ${credential}`]);
	});

	it('Test Access: scoped correctly, with the delegated identity and Exchange mailbox-permission advice', async () => {
		const result = await run(credential, {
			resource: 'mailbox',
			operation: 'testAccess',
			mailbox: NOTIFICATIONS,
			controlMailbox: FINANCE,
			expectedCapabilities: ['readMetadata', 'readContent'],
		});
		expect(result.error).toBeUndefined();
		const [target, control] = result.items.map((i) => i.json);
		expect(target).toMatchObject({ finding: 'scoped correctly', identity: { kind: 'delegated', upn: MEGAN } });
		expect(control).toMatchObject({ mailboxFinding: 'out of scope as expected' });

		const missing = await run(credential, {
			resource: 'mailbox',
			operation: 'testAccess',
			mailbox: FINANCE,
			controlMailbox: '',
		});
		const row = missing.items[0].json;
		expect(row.finding).toBe('missing access');
		expect((row.fix as { powershell: string }).powershell).toContain(
			`Add-MailboxPermission -Identity '${FINANCE}' -User '${MEGAN}' -AccessRights FullAccess`,
		);
	});
});
