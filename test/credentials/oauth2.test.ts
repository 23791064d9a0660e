/**
 * scopedMailboxOAuth2Api: n8n's own OAuth2 (authorization code + PKCE). The Connect step is played here the way
 * n8n's server does it, with the URLs and scope n8n resolves from the credential's hidden expression properties;
 * then n8n-core's requestOAuth2 uses and refreshes the token, and the rotated refresh token is saved.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IWorkflowExecuteAdditionalData } from 'n8n-workflow';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { HarnessCredentialsHelper } from '../harness';
import { counts, customCloud, inboxId, newStore, readInbox } from './helpers';
import { pressTest } from './testButton';

const TYPE = 'scopedMailboxOAuth2Api';
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';
let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated' });
});

afterAll(async () => {
	await emu.close();
});

const scenario = () => emu.info.scenario;

async function resolved(data: ICredentialDataDecryptedObject): Promise<ICredentialDataDecryptedObject> {
	const store = newStore().add({ id: 'x', name: 'x', type: TYPE, data });
	return await new HarnessCredentialsHelper(store).getDecrypted(
		{} as IWorkflowExecuteAdditionalData,
		{ id: 'x', name: 'x' },
		TYPE,
		'manual',
	);
}

/** What n8n's OAuth2 credential controller does on Connect and on the callback. */
async function connect(data: ICredentialDataDecryptedObject): Promise<ICredentialDataDecryptedObject> {
	const c = await resolved(data);
	expect(c.grantType).toBe('pkce');
	const verifier = randomBytes(32).toString('base64url');
	const challenge = createHash('sha256').update(verifier).digest('base64url');
	const url = new URL(String(c.authUrl));
	url.search = new URLSearchParams({
		client_id: String(c.clientId),
		redirect_uri: REDIRECT,
		response_type: 'code',
		scope: String(c.scope),
		state: 'n8n-state',
		code_challenge: challenge,
		code_challenge_method: 'S256',
		...Object.fromEntries(new URLSearchParams(String(c.authQueryParameters ?? ''))),
	}).toString();
	const authorize = await fetch(url, { redirect: 'manual' });
	expect(authorize.status).toBe(302);
	const callback = new URL(authorize.headers.get('location')!);
	expect(callback.searchParams.get('state')).toBe('n8n-state');
	const body = new URLSearchParams({
		grant_type: 'authorization_code',
		code: callback.searchParams.get('code')!,
		redirect_uri: REDIRECT,
		code_verifier: verifier,
		client_id: String(c.clientId),
		client_secret: String(c.clientSecret),
	});
	const token = await fetch(String(c.accessTokenUrl), {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body,
	});
	expect(token.status).toBe(200);
	const tokenData = (await token.json()) as Record<string, unknown>;
	expect(tokenData.refresh_token).toEqual(expect.any(String));
	return { ...data, oauthTokenData: tokenData as never };
}

function credential(overrides: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	return {
		...customCloud(emu),
		tenantId: scenario().tenant.id,
		clientId: scenario().apps.webApp.appId,
		clientSecret: scenario().apps.webApp.secret,
		...overrides,
	} as ICredentialDataDecryptedObject;
}

describe('hidden properties n8n resolves', () => {
	it.each([
		['global', 'https://login.microsoftonline.com', 'https://graph.microsoft.com'],
		['usGov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us'],
		['usGovDod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us'],
		['china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
	])('%s cloud', async (cloud, login, graph) => {
		const c = await resolved({
			cloud,
			tenantId: 'contoso.onmicrosoft.com',
			clientId: 'c',
			permissions: 'Mail.Send.Shared, offline_access User.Read',
		} as ICredentialDataDecryptedObject);
		expect(c.authUrl).toBe(`${login}/contoso.onmicrosoft.com/oauth2/v2.0/authorize`);
		expect(c.accessTokenUrl).toBe(`${login}/contoso.onmicrosoft.com/oauth2/v2.0/token`);
		expect(c.scope).toBe(`openid offline_access ${graph}/Mail.Send.Shared ${graph}/User.Read`);
		expect(c.authentication).toBe('body');
		expect(c.authQueryParameters).toBe('prompt=select_account');
	});

	it('custom cloud trims trailing slashes and a pasted /v1.0', async () => {
		const c = await resolved({
			cloud: 'custom',
			authorityHost: 'https://login.example.gov/',
			graphBaseUrl: 'https://graph.example.gov/v1.0',
			tenantId: 't1',
			selectAccount: false,
		} as ICredentialDataDecryptedObject);
		expect(c.authUrl).toBe('https://login.example.gov/t1/oauth2/v2.0/authorize');
		expect(c.scope).toBe(
			'openid offline_access https://graph.example.gov/Mail.Send.Shared https://graph.example.gov/Mail.ReadWrite.Shared',
		);
		expect(c.authQueryParameters).toBe('');
	});
});

describe('through n8n-core requestOAuth2', () => {
	it('reads the shared mailbox, refreshes on 401 once per lifetime and saves the rotated refresh token', async () => {
		const connected = await connect(credential());
		const store = newStore().add({ id: 'o1', name: 'o1', type: TYPE, data: connected });
		await emu.admin('Clear-RequestLog', {});
		const run = await readInbox(store, TYPE, 'o1', scenario().mailboxes.notifications.upn, { items: 2 });
		expect(run.error).toBeUndefined();
		const inbox = await inboxId(emu, scenario().mailboxes.notifications.upn);
		expect(run.items.map((i) => i.json.parentFolderId)).toEqual([inbox, inbox]);
		expect(await counts(emu)).toMatchObject({ token: 0, graph: 2 });

		const hours = 4;
		let previous = (store.data('o1').oauthTokenData as { refresh_token: string }).refresh_token;
		for (let hour = 0; hour < hours; hour++) {
			await emu.admin('Advance-Clock', { Seconds: 3700 });
			const again = await readInbox(store, TYPE, 'o1', scenario().mailboxes.notifications.upn, { items: 2 });
			expect(again.error).toBeUndefined();
			expect(again.items).toHaveLength(2);
			const current = (store.data('o1').oauthTokenData as { refresh_token: string }).refresh_token;
			expect(current).not.toBe(previous);
			previous = current;
		}
		const c = await counts(emu);
		expect(c.token).toBe(hours);
		expect(c.graph401).toBe(hours);
		expect(store.stats('o1').oauthTokenUpdates).toBe(hours);
	});

	it('the Test button function describes the saved token and checks it with Graph', async () => {
		const connected = await connect(credential());
		const ok = await pressTest(TYPE, connected);
		expect(ok.status).toBe('OK');
		expect(ok.message).toContain(`Signed in as user ${scenario().mailboxes.megan.upn}`);
		expect(ok.message).toMatch(/Delegated permissions: .*Mail\.ReadWrite\.Shared/);
		expect(ok.message).toMatch(/Microsoft Graph accepted the token \(HTTP \d+\)/);
		const notConnected = await pressTest(TYPE, credential());
		expect(notConnected).toMatchObject({ status: 'Error', message: expect.stringMatching(/Not connected yet/) });
	});
});
