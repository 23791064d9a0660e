/**
 * AADSTS codes whose meaning the package had wrong, checked against Microsoft Entra's reference
 * (learn.microsoft.com/entra/identity-platform/reference-error-codes; MicrosoftDocs/entra-docs
 * docs/identity-platform/reference-error-codes.md). The token endpoint answers with Entra's error body (a
 * scripted fault on the emulator), msal-node parses it as it parses Entra's, and the Test button shows our text.
 */
import { startEmulator, type EmulatorHandle } from '../emulator';
import { customCloud } from './helpers';
import { pressTest } from './testButton';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ scenario: 'delegated' });
});
afterAll(async () => await emu.close());
afterEach(async () => await emu.admin('Clear-Faults', {}));

function entraError(error: string, code: number, text: string) {
	return {
		error,
		error_description: `AADSTS${code}: ${text}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-01-01 00:00:00Z`,
		error_codes: [code],
		timestamp: '2026-01-01 00:00:00Z',
		trace_id: '0000aaaa-11bb-cccc-dd22-eeeeee333333',
		correlation_id: 'aaaa0000-bb11-2222-33cc-444444dddddd',
		error_uri: `https://login.microsoftonline.com/error?code=${code}`,
	};
}

async function testWith(body: ReturnType<typeof entraError>) {
	await emu.admin('Add-Fault', { Method: 'POST', PathRegex: '/oauth2/v2\\.0/token$', Status: 400, Body: body });
	const scenario = emu.info.scenario;
	return await pressTest('scopedMailboxRefreshTokenApi', {
		...customCloud(emu),
		tenantId: scenario.tenant.id,
		clientId: scenario.apps.publicClient.appId,
		clientAuth: 'none',
		scopes: 'offline_access Mail.Send.Shared Mail.ReadWrite.Shared',
		refreshToken: 'seeded-refresh-token-0123456789',
	});
}

describe('AADSTS codes mean what Microsoft says they mean', () => {
	it('700003 is a device object missing from the directory, not a token of another app', async () => {
		const result = await testWith(
			entraError('invalid_grant', 700003, "Device object was not found in the tenant 'contoso' directory."),
		);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/bound to a device that no longer exists .*\(AADSTS700003\)/);
		expect(result.message).not.toMatch(/different app/);
	});

	it('50132 is a session invalidated by password expiry or change', async () => {
		const result = await testWith(
			entraError(
				'invalid_grant',
				50132,
				"The session isn't valid due to password expiration or recent password change.",
			),
		);
		expect(result.message).toMatch(/password expired or was changed .*\(AADSTS50132\)/);
	});

	it("700084 is a single-page app's refresh token at its fixed lifetime", async () => {
		const result = await testWith(
			entraError(
				'invalid_grant',
				700084,
				'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended.',
			),
		);
		expect(result.message).toMatch(/single-page app .*\(AADSTS700084\)/);
	});

	it('90013 (InvalidUserInput) is not reported as an unknown tenant', async () => {
		const result = await testWith(entraError('invalid_request', 90013, 'Invalid input received from the user.'));
		expect(result.message).not.toMatch(/was not found/);
		expect(result.message).toMatch(/AADSTS90013/);
	});

	it('90015 (QueryStringTooLong) is not reported as a temporary outage', async () => {
		const result = await testWith(entraError('invalid_request', 90015, 'Requested query string is too long.'));
		expect(result.message).not.toMatch(/temporarily unavailable/i);
		expect(result.message).toMatch(/AADSTS90015/);
	});
});
