/** The auth library's pure parts: clouds, scopes, redaction, seed arguments. */
import { delegatedScopes } from '../../nodes/ScopedMailbox/auth/flows/refreshToken';
import { CloudConfigurationError, resolveCloud } from '../../nodes/ScopedMailbox/auth/clouds';
import { redact, secretValuesOf } from '../../nodes/ScopedMailbox/auth/redact';
import { parseArgs } from '../../bin/seed';

describe('resolveCloud', () => {
	it.each([
		['global', 'https://login.microsoftonline.com', 'https://graph.microsoft.com'],
		['usGov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us'],
		['usGovDod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us'],
		['china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
	])('%s', (cloud, authorityHost, graphBaseUrl) => {
		expect(resolveCloud({ cloud })).toEqual({
			authorityHost,
			graphBaseUrl,
			graphScope: `${graphBaseUrl}/.default`,
			graphResource: graphBaseUrl,
		});
	});

	it('defaults to global and normalises custom URLs', () => {
		expect(resolveCloud({}).graphBaseUrl).toBe('https://graph.microsoft.com');
		expect(
			resolveCloud({
				cloud: 'custom',
				authorityHost: ' https://login.example.gov/ ',
				graphBaseUrl: 'https://graph.example.gov/v1.0/',
			}),
		).toEqual({
			authorityHost: 'https://login.example.gov',
			graphBaseUrl: 'https://graph.example.gov',
			graphScope: 'https://graph.example.gov/.default',
			graphResource: 'https://graph.example.gov',
		});
		// Managed identity has no authority host: allowed empty, the token code for Entra flows insists.
		expect(resolveCloud({ cloud: 'custom', graphBaseUrl: 'https://graph.example.gov' }).authorityHost).toBe('');
	});

	it.each([
		[
			{ cloud: 'custom', authorityHost: 'http://login.example.gov', graphBaseUrl: 'https://g' },
			'authorityHost',
			/https/,
		],
		[{ cloud: 'custom', authorityHost: 'https://l', graphBaseUrl: '' }, 'graphBaseUrl', /required/],
		[{ cloud: 'custom', authorityHost: 'https://l', graphBaseUrl: 'not a url' }, 'graphBaseUrl', /not a URL/],
		[{ cloud: 'custom', authorityHost: 'https://l?x=1', graphBaseUrl: 'https://g' }, 'authorityHost', /query/],
		[{ cloud: 'mars' }, 'cloud', /Unknown cloud/],
	])('rejects %j naming the field', (credentials, field, message) => {
		let thrown: unknown;
		try {
			resolveCloud(credentials);
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(CloudConfigurationError);
		expect((thrown as CloudConfigurationError).field).toBe(field);
		expect((thrown as Error).message).toMatch(message);
	});
});

describe('delegatedScopes', () => {
	it('qualifies bare permissions with the cloud Graph and always asks for offline_access', () => {
		expect(
			delegatedScopes('Mail.Send.Shared, openid https://graph.microsoft.us/User.Read', 'https://graph.microsoft.us'),
		).toEqual([
			'offline_access',
			'https://graph.microsoft.us/Mail.Send.Shared',
			'openid',
			'https://graph.microsoft.us/User.Read',
		]);
		expect(delegatedScopes('', 'https://g')).toEqual([
			'offline_access',
			'https://g/Mail.Send.Shared',
			'https://g/Mail.ReadWrite.Shared',
		]);
	});
});

describe('redaction', () => {
	const secret = 'Abc8Q~very.secret+value/with=chars';
	const key =
		'-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nline2line2line2line2line2\n-----END PRIVATE KEY-----';
	const secrets = secretValuesOf({
		clientSecret: secret,
		privateKey: key,
		refreshToken: 'rt-0123456789',
		tenantId: 'not-a-secret-tenant',
	});

	it('lists secret fields (and their encoded forms), not identifiers', () => {
		expect(secrets).toEqual(expect.arrayContaining([secret, encodeURIComponent(secret), key, 'rt-0123456789']));
		expect(secrets).not.toContain('not-a-secret-tenant');
	});

	it('removes secrets, encoded secrets, key lines, JWTs and secret-bearing parameters', () => {
		const text = [
			`secret ${secret}`,
			`form client_secret=${encodeURIComponent(secret)}&x=1`,
			'a line of the key MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
			'jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl',
			'client_assertion=abc.def.ghi refresh_token=zzz "access_token":"tok" Authorization: Bearer abcdefghijkl',
			'-----BEGIN RSA PRIVATE KEY-----\nQUJD\n',
		].join('\n');
		const out = redact(text, secrets);
		for (const leaked of [
			secret,
			encodeURIComponent(secret),
			'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
			'eyJhbGciOiJSUzI1NiJ9',
			'abc.def.ghi',
			'zzz',
			'"tok"',
			'abcdefghijkl',
			'QUJD',
		]) {
			expect(out).not.toContain(leaked);
		}
		expect(out).toContain('client_secret=[redacted]');
		expect(out).toContain('x=1');
	});
});

describe('seed arguments', () => {
	it('parses flags and rejects unsafe or conflicting ones', () => {
		expect(parseArgs(['seed', '--tenant', 'contoso.onmicrosoft.com', '--client-id=c', '--print'])).toMatchObject({
			tenant: 'contoso.onmicrosoft.com',
			clientId: 'c',
			cloud: 'global',
			print: true,
		});
		expect(parseArgs(['--help'])).toBe('help');
		expect(() => parseArgs(['--tenant', '../x', '--client-id', 'c'])).toThrow(/tenant GUID or domain/);
		expect(() => parseArgs(['--tenant', 't', '--client-id', 'c', '--print', '--out', 'f'])).toThrow(
			/either --out or --print/,
		);
		expect(() => parseArgs(['--tenant', 't', '--client-id', 'c', '--cloud', 'mars'])).toThrow(/--cloud must be one of/);
		expect(() => parseArgs(['--tenant', 't', '--client-id', 'c', '--refresh-token', 'x'])).toThrow(/Unknown argument/);
	});
});
