/** Obtains a delegated refresh token from the emulator the way a user would: device code, then sign-in. */
import type { EmulatorHandle } from '../emulator';

const form = (values: Record<string, string>) => new URLSearchParams(values).toString();

export async function seedRefreshToken(
	emu: EmulatorHandle,
	options: { clientId: string; clientSecret?: string; user?: string; scope?: string },
): Promise<string> {
	const { authorityHost, graphBaseUrl, scenario } = emu.info;
	const base = `${authorityHost}/${scenario.tenant.id}/oauth2/v2.0`;
	const scope =
		options.scope ?? `offline_access ${graphBaseUrl}/Mail.Send.Shared ${graphBaseUrl}/Mail.ReadWrite.Shared`;
	const headers = { 'content-type': 'application/x-www-form-urlencoded' };
	const code = (await (
		await fetch(`${base}/devicecode`, { method: 'POST', headers, body: form({ client_id: options.clientId, scope }) })
	).json()) as {
		user_code: string;
		device_code: string;
	};
	await emu.admin('Approve-DeviceCode', { UserCode: code.user_code, ...(options.user ? { User: options.user } : {}) });
	const body: Record<string, string> = {
		grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
		client_id: options.clientId,
		device_code: code.device_code,
	};
	if (options.clientSecret) body.client_secret = options.clientSecret;
	const token = (await (await fetch(`${base}/token`, { method: 'POST', headers, body: form(body) })).json()) as {
		refresh_token?: string;
	};
	if (!token.refresh_token) throw new Error(`seeding failed: ${JSON.stringify(token).slice(0, 300)}`);
	return token.refresh_token;
}
