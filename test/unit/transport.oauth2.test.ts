/**
 * Delegated OAuth2 credential (extends oAuth2Api): n8n-core's own requestOAuth2 runs inside the transport's
 * last link, refreshes on 401 against the emulator's token endpoint and saves the rotated token data.
 */
import type { IDataObject, IExecuteFunctions, INodeType } from 'n8n-workflow';

import { ScopedMailboxOAuth2Api } from '../../credentials/ScopedMailboxOAuth2Api.credentials';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { CredentialStore, runNode } from '../harness';
import { folderPath, graphRequest, runForItems, userPath } from '../../nodes/ScopedMailbox/transport';

const NOTIFICATIONS = 'notifications@contoso.onmicrosoft.com';
const FINANCE = 'finance@contoso.onmicrosoft.com';

let emu: EmulatorHandle;

const probe: INodeType = {
	description: {
		displayName: 'OAuth Probe',
		name: 'oauthProbe',
		group: ['transform'],
		version: 1,
		description: 'Calls the transport with the OAuth2 credential',
		defaults: { name: 'OAuth Probe' },
		inputs: ['main' as never],
		outputs: ['main' as never],
		credentials: [{ name: 'scopedMailboxOAuth2Api', required: true }],
		properties: [
			{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'scopedMailboxOAuth2Api' },
			{ displayName: 'Mailbox', name: 'mailbox', type: 'string', default: NOTIFICATIONS },
		],
	},
	async execute(this: IExecuteFunctions) {
		const items = this.getInputData();
		const out = await runForItems(
			items,
			(i) => this.getNodeParameter('mailbox', i) as string,
			async (i) => {
				const mailbox = this.getNodeParameter('mailbox', i) as string;
				const folder = (await graphRequest.call(this, {
					method: 'GET',
					path: `${userPath.call(this, mailbox)}${folderPath('inbox')}`,
					mailbox,
					itemIndex: i,
				})) as IDataObject;
				return { json: { name: folder.displayName } };
			},
		);
		return [out];
	},
};

async function passwordGrant(clientId: string, secret: string) {
	const { info } = emu;
	const response = await fetch(`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'password',
			client_id: clientId,
			client_secret: secret,
			username: 'megan@contoso.onmicrosoft.com',
			password: info.scenario.mailboxes.megan.password!,
			scope: `openid offline_access ${info.graphBaseUrl}/Mail.ReadWrite.Shared ${info.graphBaseUrl}/Mail.Send.Shared`,
		}).toString(),
	});
	expect(response.status).toBe(200);
	return (await response.json()) as {
		access_token: string;
		refresh_token: string;
		token_type: string;
		expires_in: number;
	};
}

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated', port: 0, httpPort: 0 });
});

afterAll(async () => {
	await emu?.close();
});

async function storeWithStaleToken() {
	const web = emu.info.scenario.apps.webApp;
	const tokens = await passwordGrant(web.appId, web.secret!);
	const store = new CredentialStore().add(
		{
			id: 'o1',
			name: 'Megan',
			type: 'scopedMailboxOAuth2Api',
			data: {
				cloud: 'custom',
				authorityHost: emu.info.authorityHost,
				graphBaseUrl: emu.info.graphBaseUrl,
				tenantId: emu.info.scenario.tenant.id,
				clientId: web.appId,
				clientSecret: web.secret!,
				oauthTokenData: {
					token_type: 'Bearer',
					access_token: 'stale-access-token',
					refresh_token: tokens.refresh_token,
				},
			},
		},
		new ScopedMailboxOAuth2Api(),
	);
	return { store, firstRefreshToken: tokens.refresh_token };
}

describe('transport with the delegated OAuth2 credential', () => {
	it('refreshes once on 401 through n8n-core and saves the rotated refresh token', async () => {
		const { store, firstRefreshToken } = await storeWithStaleToken();
		await emu.admin('Clear-RequestLog');
		const run = await runNode({
			nodeType: probe,
			parameters: {},
			credentials: { scopedMailboxOAuth2Api: { id: 'o1', name: 'Megan' } },
			items: Array.from({ length: 6 }, () => ({})),
			store,
		});
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(6);
		expect(store.stats('o1').oauthTokenUpdates).toBe(1);
		const saved = store.data('o1').oauthTokenData as IDataObject;
		expect(saved.access_token).not.toBe('stale-access-token');
		expect(saved.refresh_token).toBeTruthy();
		expect(saved.refresh_token).not.toBe(firstRefreshToken);
		const log = await emu.admin<Array<{ kind: string; status: number; grantType?: string }>>('Get-RequestLog');
		expect(log.filter((e) => e.kind === 'token')).toHaveLength(1);
		expect(log.filter((e) => e.kind === 'graph' && e.status === 401)).toHaveLength(1);
		for (const secret of [saved.access_token as string, saved.refresh_token as string, firstRefreshToken]) {
			expect(run.logText).not.toContain(secret);
			expect(JSON.stringify(run.items)).not.toContain(secret);
		}
	});

	it('names the signed-in user and the app when Exchange denies a mailbox', async () => {
		const { store } = await storeWithStaleToken();
		const run = await runNode({
			nodeType: probe,
			parameters: { mailbox: FINANCE },
			credentials: { scopedMailboxOAuth2Api: { id: 'o1', name: 'Megan' } },
			store,
		});
		expect(run.error?.message).toContain('user megan@contoso.onmicrosoft.com');
		expect(run.error?.message).toContain(`mailbox ${FINANCE}`);
		const saved = store.data('o1').oauthTokenData as IDataObject;
		expect(run.errorText).not.toContain(saved.access_token as string);
		expect(run.errorText).not.toContain(saved.refresh_token as string);
	});
});
