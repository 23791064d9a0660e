/**
 * The interactive parts of delegated sign-in, done headlessly against the emulator: a refresh token for the
 * seeded-refresh-token credential, and n8n's own OAuth2 "Connect" flow for the delegated OAuth2 credential.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { EmulatorProcess, N8nServer } from './n8nServer';
import { delegatedScopes } from './templates';

function httpsForm(url: string, form: Record<string, string>, ca: Buffer): Promise<{ status: number; body: any }> {
	return new Promise((resolve, reject) => {
		const payload = new URLSearchParams(form).toString();
		const req = httpsRequest(
			url,
			{
				method: 'POST',
				ca,
				headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) },
			},
			(res) => {
				let text = '';
				res.on('data', (c) => (text += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
			},
		);
		req.on('error', reject);
		req.end(payload);
	});
}

function httpsGetNoFollow(url: string, ca: Buffer): Promise<{ status: number; location?: string; text: string }> {
	return new Promise((resolve, reject) => {
		const req = httpsRequest(url, { method: 'GET', ca }, (res) => {
			let text = '';
			res.on('data', (c) => (text += c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
		});
		req.on('error', reject);
		req.end();
	});
}

/**
 * A user's refresh token, as the device-code seeding would hand it over. The emulator's password grant (ROPC)
 * stands in for the interactive part, which the seeding command's own tests cover.
 */
export async function seedRefreshToken(
	emulator: EmulatorProcess,
	appKey: string,
	userKey: string,
	scope = delegatedScopes(emulator.info),
): Promise<string> {
	const { info } = emulator;
	const app = info.scenario.apps[appKey];
	const user = info.scenario.mailboxes[userKey];
	if (!app || !user?.password) throw new Error(`scenario has no app ${appKey} or user ${userKey} with a password`);
	const res = await httpsForm(
		`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`,
		{ grant_type: 'password', client_id: app.appId, username: user.upn, password: user.password, scope },
		readFileSync(info.caCertPath),
	);
	if (res.status !== 200 || !res.body?.refresh_token)
		throw new Error(`password grant failed: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body.refresh_token as string;
}

/** Whether the identity platform still accepts a refresh token (it rotates; the old one stays valid, as in Entra). */
export async function redeemRefreshToken(
	emulator: EmulatorProcess,
	appKey: string,
	refreshToken: string,
	scope = delegatedScopes(emulator.info),
): Promise<{ status: number; body: any }> {
	const { info } = emulator;
	return httpsForm(
		`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`,
		{ grant_type: 'refresh_token', client_id: info.scenario.apps[appKey].appId, refresh_token: refreshToken, scope },
		readFileSync(info.caCertPath),
	);
}

/**
 * n8n's OAuth2 Connect, as the owner's browser would do it: ask n8n for the authorization URL, open it at the
 * emulator (which signs the scenario's interactive user in and consents at once), and follow the redirect back
 * to n8n's callback, which exchanges the code and stores oauthTokenData in the credential.
 */
export async function connectOAuth2(n8n: N8nServer, emulator: EmulatorProcess, credentialId: string): Promise<void> {
	const authUrl = await n8n.rest<string>('GET', `/oauth2-credential/auth?id=${encodeURIComponent(credentialId)}`);
	const authorize = await httpsGetNoFollow(authUrl, readFileSync(emulator.info.caCertPath));
	if (authorize.status !== 302 || !authorize.location)
		throw new Error(`authorize answered ${authorize.status}: ${authorize.text.slice(0, 500)}`);
	const callback = new URL(authorize.location);
	if (callback.searchParams.get('error'))
		throw new Error(`authorize refused: ${callback.searchParams.get('error_description')}`);
	const res = await n8n.fetchAsOwner(callback.toString());
	const page = await res.text();
	if (res.status !== 200 || (/error/i.test(page.replace(/<script[\s\S]*?<\/script>/g, '')) && !/success/i.test(page))) {
		throw new Error(`n8n's OAuth2 callback answered ${res.status}: ${page.slice(0, 800)}`);
	}
}
