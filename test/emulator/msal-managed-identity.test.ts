/**
 * Fidelity: msal-node 7.2.1 ManagedIdentityApplication through IMDS and through App Service. msal's managed-identity
 * source and cache are static per process, so every case runs fixtures/managed-identity-token.js in its own process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startEmulator, type EmulatorHandle } from './index';
import { claimsOf } from './fixtures/msal';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario: 'logic-app' });
});
afterAll(() => emu?.close());

interface ChildResult {
	source: string;
	results: { ok: boolean; accessToken?: string; fromCache?: boolean; errorCode?: string; errorMessage?: string }[];
}

const CLEAN_ENV = Object.fromEntries(
	Object.entries(process.env).filter(([k]) => !/^(IDENTITY_|MSI_|IMDS_|AZURE_POD_IDENTITY_AUTHORITY_HOST)/.test(k)),
);

function runChild(env: Record<string, string>, input: object): Promise<ChildResult> {
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			[join(__dirname, 'fixtures', 'managed-identity-token.js'), JSON.stringify(input)],
			{ env: { ...CLEAN_ENV, ...env }, timeout: 30_000 },
			(err, stdout, stderr) => {
				const line = stdout.split('\n').find((l) => l.startsWith('{'));
				if (!line) return reject(new Error(`child failed: ${err?.message}\n${stderr}`));
				const parsed = JSON.parse(line);
				if (parsed.fatal) return reject(new Error(parsed.fatal));
				resolve(parsed);
			},
		);
	});
}

const imdsEnv = () => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: emu.info.imdsEndpoint });
const appServiceEnv = () => ({
	IDENTITY_ENDPOINT: emu.info.appServiceEndpoint,
	IDENTITY_HEADER: emu.info.identityHeader,
});
const mis = () => emu.info.scenario.managedIdentities;

describe.each([
	// msal names IMDS 'DefaultToImds': it is the source when no other environment matches.
	['IMDS', 'DefaultToImds', imdsEnv],
	['App Service', 'AppService', appServiceEnv],
])('managed identity through %s', (_name, source, env) => {
	it('gets a system-assigned token (then from msal cache)', async () => {
		await emu.admin('Clear-RequestLog');
		const out = await runChild(env(), { resource: emu.info.graphBaseUrl, calls: 2 });
		expect(out.source).toBe(source);
		const log = await emu.admin<any[]>('Get-RequestLog');
		expect(log.map((e) => [e.kind, e.status, e.grantType])).toEqual([
			['mi', 200, source === 'AppService' ? 'app_service' : 'imds'],
		]);
		expect(out.results.map((r) => r.ok)).toEqual([true, true]);
		expect(out.results[1].fromCache).toBe(true);
		const claims = claimsOf(out.results[0].accessToken!);
		expect(claims).toMatchObject({
			appid: mis().system.clientId,
			oid: mis().system.objectId,
			idtyp: 'app',
			roles: ['Mail.Send', 'Mail.Read'],
			aud: emu.info.graphBaseUrl,
			xms_mirid: mis().system.resourceId,
		});
		expect(emu.context.verifyGraphToken(`Bearer ${out.results[0].accessToken}`).ok).toBe(true);
	});

	it.each([
		['client id', () => ({ userAssignedClientId: mis().userAssigned.clientId })],
		['object id', () => ({ userAssignedObjectId: mis().userAssigned.objectId })],
		['resource id', () => ({ userAssignedResourceId: mis().userAssigned.resourceId })],
	])('gets a user-assigned token by %s', async (_by, id) => {
		const out = await runChild(env(), { resource: 'https://graph.microsoft.com', id: id() });
		expect(out.results[0]).toMatchObject({ ok: true });
		const claims = claimsOf(out.results[0].accessToken!);
		expect(claims).toMatchObject({
			appid: mis().userAssigned.clientId,
			oid: mis().userAssigned.objectId,
			aud: 'https://graph.microsoft.com',
		});
	});

	it('fails for an identity that is not assigned', async () => {
		const out = await runChild(env(), {
			resource: emu.info.graphBaseUrl,
			id: { userAssignedClientId: '99999999-9999-4999-8999-999999999999' },
		});
		expect(out.results[0].ok).toBe(false);
		expect(out.results[0].errorMessage).toMatch(/Identity not found|Unable to load the proper Managed Identity/);
	});
});

describe('managed identity endpoints on the wire', () => {
	it('IMDS answers numbers as strings and needs the Metadata header', async () => {
		const url = `${emu.info.imdsEndpoint}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=${encodeURIComponent(emu.info.graphBaseUrl)}`;
		const ok = await fetch(url, { headers: { Metadata: 'true' } });
		const body = await ok.json();
		expect(ok.status).toBe(200);
		for (const k of ['expires_in', 'expires_on', 'ext_expires_in', 'not_before']) expect(typeof body[k]).toBe('string');
		expect(body).toMatchObject({
			token_type: 'Bearer',
			resource: emu.info.graphBaseUrl,
			client_id: mis().system.clientId,
		});
		const noHeader = await fetch(url);
		expect(noHeader.status).toBe(400);
		expect(await noHeader.json()).toEqual({
			error: 'invalid_request',
			error_description: 'Required metadata header not specified',
		});
	});

	it('App Service needs X-IDENTITY-HEADER and api-version 2019-08-01', async () => {
		const url = `${emu.info.appServiceEndpoint}?resource=${encodeURIComponent(emu.info.graphBaseUrl)}&api-version=2019-08-01`;
		const ok = await fetch(`${url}&mi_res_id=${encodeURIComponent(mis().userAssigned.resourceId)}`, {
			headers: { 'X-IDENTITY-HEADER': emu.info.identityHeader },
		});
		const body = await ok.json();
		expect(ok.status).toBe(200);
		expect(typeof body.expires_on).toBe('string');
		expect(body.client_id).toBe(mis().userAssigned.clientId);
		expect((await fetch(url, { headers: { 'X-IDENTITY-HEADER': 'wrong' } })).status).toBe(401);
	});

	it('counts managed-identity requests in the log and honours a token outage', async () => {
		await emu.admin('Clear-RequestLog');
		await emu.admin('Set-TokenOutage', { Status: 500, Count: 1 });
		const out = await runChild(imdsEnv(), { resource: emu.info.graphBaseUrl });
		expect(out.results[0].ok).toBe(false);
		const log = await emu.admin<any[]>('Get-RequestLog');
		expect(log.map((e) => [e.kind, e.status, e.grantType])).toEqual([['mi', 500, 'imds']]);
		const retry = await runChild(imdsEnv(), { resource: emu.info.graphBaseUrl });
		expect(retry.results[0].ok).toBe(true);
	});
});
