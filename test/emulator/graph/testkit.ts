/** Helpers for the Graph module's own tests: a small tenant, app-only tokens, and HTTPS calls with fetch. */
import type { Scenario } from '../core/scenario';
import { startEmulator, type EmulatorHandle } from '../index';

export const TENANT = {
	id: '7d7a9a63-2f6b-4b5e-9f43-111111111111',
	domain: 'contoso.onmicrosoft.com',
	displayName: 'Contoso',
};
export const MAILER_SECRET = 'mailer-secret-value-0123456789';
export const READER_SECRET = 'reader-secret-value-0123456789';
export const BASIC_SECRET = 'basic-secret-value-0123456789';

export const SCENARIO: Scenario = {
	name: 'graph-tests',
	tenant: TENANT,
	mailboxes: [
		{
			key: 'shared',
			id: 'a1f4c3e2-0000-4000-8000-000000000001',
			upn: 'notifications@contoso.onmicrosoft.com',
			displayName: 'Logic App Notifications',
			type: 'SharedMailbox',
			folders: [{ displayName: 'Invoices', parent: 'inbox' }],
		},
		{
			key: 'alice',
			id: 'a1f4c3e2-0000-4000-8000-000000000002',
			upn: 'alice@contoso.onmicrosoft.com',
			displayName: 'Alice',
			password: 'alice-password-1',
		},
		{ key: 'bob', id: 'a1f4c3e2-0000-4000-8000-000000000003', upn: 'bob@contoso.onmicrosoft.com', displayName: 'Bob' },
	],
	groups: [
		{
			key: 'team',
			id: 'a1f4c3e2-0000-4000-8000-0000000000aa',
			displayName: 'Team',
			primarySmtpAddress: 'team@contoso.onmicrosoft.com',
			members: ['alice', 'bob'],
		},
	],
	apps: [
		{
			key: 'mailer',
			appId: 'b2e5d4f3-0000-4000-8000-000000000001',
			servicePrincipalId: 'b2e5d4f3-0000-4000-8000-0000000000f1',
			displayName: 'Mailer',
			secrets: [{ value: MAILER_SECRET }],
			applicationPermissions: ['Mail.ReadWrite', 'Mail.Send'],
		},
		{
			key: 'reader',
			appId: 'b2e5d4f3-0000-4000-8000-000000000002',
			servicePrincipalId: 'b2e5d4f3-0000-4000-8000-0000000000f2',
			displayName: 'Reader',
			secrets: [{ value: READER_SECRET }],
			applicationPermissions: ['Mail.Read'],
		},
		{
			key: 'delegate',
			appId: 'b2e5d4f3-0000-4000-8000-000000000004',
			servicePrincipalId: 'b2e5d4f3-0000-4000-8000-0000000000f4',
			displayName: 'Delegate',
			publicClient: true,
			delegatedPermissions: [
				'Mail.ReadWrite',
				'Mail.Send',
				'Mail.ReadWrite.Shared',
				'Mail.Send.Shared',
				'User.Read',
				'offline_access',
			],
		},
		{
			key: 'basic',
			appId: 'b2e5d4f3-0000-4000-8000-000000000003',
			servicePrincipalId: 'b2e5d4f3-0000-4000-8000-0000000000f3',
			displayName: 'Basic',
			secrets: [{ value: BASIC_SECRET }],
			applicationPermissions: ['Mail.ReadBasic'],
		},
	],
	exchange: {
		mailboxPermissions: [
			{
				mailbox: 'notifications@contoso.onmicrosoft.com',
				user: 'alice@contoso.onmicrosoft.com',
				accessRights: ['FullAccess', 'SendAs'],
			},
		],
	},
};

export const SHARED = 'notifications@contoso.onmicrosoft.com';
export const ALICE = 'alice@contoso.onmicrosoft.com';
export const BOB = 'bob@contoso.onmicrosoft.com';

export interface Kit {
	emu: EmulatorHandle;
	base: string;
	token(app?: 'mailer' | 'reader' | 'basic'): Promise<string>;
	/** Alice's delegated token (ROPC through the delegate public client). */
	delegatedToken(): Promise<string>;
	/** fetch against `${base}/v1.0${path}` (or an absolute URL) with the app's token. */
	call(
		method: string,
		path: string,
		opts?: { body?: unknown; headers?: Record<string, string>; app?: 'mailer' | 'reader' | 'basic' | null },
	): Promise<{ status: number; headers: Headers; json: any; text: string }>;
}

export async function startKit(opts: { latencyMs?: number; scenario?: Scenario } = {}): Promise<Kit> {
	const emu = await startEmulator({
		scenario: opts.scenario ?? SCENARIO,
		port: 0,
		httpPort: 0,
		latencyMs: opts.latencyMs,
	});
	const base = emu.info.graphBaseUrl;
	const tokens = new Map<string, string>();
	const secrets = { mailer: MAILER_SECRET, reader: READER_SECRET, basic: BASIC_SECRET };
	const appId = (key: string): string => SCENARIO.apps!.find((a) => a.key === key)!.appId;
	const appIds = { mailer: appId('mailer'), reader: appId('reader'), basic: appId('basic') };
	const token = async (app: 'mailer' | 'reader' | 'basic' = 'mailer'): Promise<string> => {
		const cached = tokens.get(app);
		if (cached) return cached;
		const res = await fetch(`${emu.info.authorityHost}/${TENANT.id}/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: appIds[app],
				client_secret: secrets[app],
				scope: `${base}/.default`,
			}),
		});
		const json = (await res.json()) as { access_token?: string };
		if (!json.access_token) throw new Error(`token request failed: ${JSON.stringify(json)}`);
		tokens.set(app, json.access_token);
		return json.access_token;
	};
	const delegatedToken = async (): Promise<string> => {
		const res = await fetch(`${emu.info.authorityHost}/${TENANT.id}/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'password',
				client_id: DELEGATE_APP_ID,
				username: ALICE,
				password: 'alice-password-1',
				scope: `${base}/Mail.ReadWrite ${base}/Mail.Send ${base}/Mail.ReadWrite.Shared ${base}/Mail.Send.Shared ${base}/User.Read`,
			}),
		});
		const json = (await res.json()) as { access_token?: string };
		if (!json.access_token) throw new Error(`token request failed: ${JSON.stringify(json)}`);
		return json.access_token;
	};
	const call: Kit['call'] = async (method, path, o = {}) => {
		const headers: Record<string, string> = { ...(o.headers ?? {}) };
		if (o.app !== null) headers.Authorization = `Bearer ${await token(o.app ?? 'mailer')}`;
		let body: string | Buffer | undefined;
		if (o.body !== undefined) {
			body =
				Buffer.isBuffer(o.body) || typeof o.body === 'string' ? (o.body as string | Buffer) : JSON.stringify(o.body);
			headers['Content-Type'] ??= 'application/json';
		}
		const res = await fetch(/^https:/.test(path) ? path : `${base}/v1.0${path}`, { method, headers, body });
		const text = await res.text();
		let json: any;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { status: res.status, headers: res.headers, json, text };
	};
	return { emu, base, token, call, delegatedToken };
}

export const enc = encodeURIComponent;
export const DELEGATE_APP_ID = 'b2e5d4f3-0000-4000-8000-000000000004';
