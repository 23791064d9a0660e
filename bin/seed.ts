#!/usr/bin/env node
/**
 * `npx n8n-nodes-scoped-mailbox seed ...`: obtains a delegated refresh token with the device-code flow, for the
 * "Scoped Mailbox Seeded Refresh Token" credential on headless servers. Plain Node: no n8n runtime needed.
 *
 * The token never goes to the terminal unless --print is given (then once, to stdout); prompts and messages go
 * to stderr. By default it is written to a file only its owner can read.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync, fchmodSync } from 'node:fs';
import { dirname, resolve, basename, join } from 'node:path';
import { LogLevel, PublicClientApplication } from '@azure/msal-node';
import { authorityOptions } from '../nodes/ScopedMailbox/auth/flows/clientConfiguration';
import { delegatedScopes, DEFAULT_DELEGATED_PERMISSIONS } from '../nodes/ScopedMailbox/auth/flows/refreshToken';
import { CLOUD_NAMES, CloudConfigurationError, resolveCloud, type CloudName } from '../nodes/ScopedMailbox/auth/clouds';
import { ScopedMailboxAuthError, TransportError } from '../nodes/ScopedMailbox/auth/errors';
import { toAuthError } from '../nodes/ScopedMailbox/auth/failures';
import { networkModule, sendWithFetch, type HttpSend } from '../nodes/ScopedMailbox/auth/network';
import { redact } from '../nodes/ScopedMailbox/auth/redact';

export const DEFAULT_OUT_FILE = 'scoped-mailbox-refresh-token.txt';

const USAGE = `Usage: npx n8n-nodes-scoped-mailbox seed --tenant <tenant id> --client-id <client id> [options]

Signs in with the device-code flow and saves a refresh token for the
"Scoped Mailbox Seeded Refresh Token (Delegated) API" credential.

Options:
  --tenant <id>            Directory (tenant) ID or domain (required)
  --client-id <id>         Application (client) ID of an app with "Allow public client flows" (required)
  --cloud <name>           ${CLOUD_NAMES.join(' | ')} (default: global)
  --authority-host <url>   Entra sign-in host, for --cloud custom
  --graph-base-url <url>   Microsoft Graph root, for --cloud custom
  --scopes "<scopes>"      Delegated permissions (default: "${DEFAULT_DELEGATED_PERMISSIONS}")
  --out <file>             Write the refresh token to this file, mode 0600 (default: ./${DEFAULT_OUT_FILE})
  --print                  Print the refresh token once to stdout instead of writing a file
  -h, --help               Show this help
`;

export interface SeedOptions {
	tenant: string;
	clientId: string;
	cloud: CloudName;
	authorityHost?: string;
	graphBaseUrl?: string;
	scopes?: string;
	out?: string;
	print: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): SeedOptions | 'help' {
	const args = [...argv];
	if (args[0] === 'seed') args.shift();
	const values: Record<string, string | boolean> = {};
	const flags: Record<string, string> = {
		'--tenant': 'tenant',
		'--tenant-id': 'tenant',
		'--client-id': 'clientId',
		'--cloud': 'cloud',
		'--authority-host': 'authorityHost',
		'--graph-base-url': 'graphBaseUrl',
		'--scopes': 'scopes',
		'--out': 'out',
	};
	while (args.length) {
		const arg = args.shift()!;
		if (arg === '-h' || arg === '--help' || arg === 'help') return 'help';
		if (arg === '--print') {
			values.print = true;
			continue;
		}
		const [flag, inline] = arg.includes('=')
			? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
			: [arg, undefined];
		const key = flags[flag];
		if (!key) throw new UsageError(`Unknown argument "${arg}"`);
		const value = inline ?? args.shift();
		if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
		values[key] = value;
	}
	if (!values.tenant) throw new UsageError('--tenant is required');
	if (!values.clientId) throw new UsageError('--client-id is required');
	if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(String(values.tenant)))
		throw new UsageError('--tenant must be a tenant GUID or domain');
	const cloud = (values.cloud ?? 'global') as CloudName;
	if (!CLOUD_NAMES.includes(cloud)) throw new UsageError(`--cloud must be one of ${CLOUD_NAMES.join(', ')}`);
	if (values.print && values.out) throw new UsageError('Use either --out or --print, not both');
	return {
		tenant: String(values.tenant),
		clientId: String(values.clientId),
		cloud,
		authorityHost: values.authorityHost as string | undefined,
		graphBaseUrl: values.graphBaseUrl as string | undefined,
		scopes: values.scopes as string | undefined,
		out: values.out as string | undefined,
		print: values.print === true,
	};
}

/** Writes through a 0600 temp file and a rename, so the token is never readable by others, even briefly. */
export function writeSecretFile(path: string, content: string) {
	const target = resolve(path);
	const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
	const fd = openSync(temp, 'wx', 0o600);
	try {
		fchmodSync(fd, 0o600);
		writeSync(fd, content);
	} finally {
		closeSync(fd);
	}
	try {
		renameSync(temp, target);
	} catch (error) {
		unlinkSync(temp);
		throw error;
	}
}

function refreshTokenFromCache(serialized: string): string | undefined {
	const cache = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
	return Object.values(cache.RefreshToken ?? {}).find((entry) => entry.secret)?.secret;
}

export async function seed(
	options: SeedOptions,
	io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
	const say = (line: string) => io.stderr.write(`${line}\n`);
	let endpoints;
	try {
		endpoints = resolveCloud(options);
	} catch (error) {
		if (error instanceof CloudConfigurationError) {
			say(
				`Error: ${error.message.replace('Authority Host', '--authority-host').replace('Graph Base URL', '--graph-base-url')}`,
			);
			return 2;
		}
		throw error;
	}
	if (!endpoints.authorityHost) {
		say('Error: --authority-host is required with --cloud custom');
		return 2;
	}
	const scopes = delegatedScopes(options.scopes, endpoints.graphBaseUrl);
	// msal reports a failed /devicecode request only vaguely: keep the identity platform's own answer.
	let lastFailure: { errorCode?: string; errorMessage?: string; errorNo?: number } | undefined;
	let transportFailure: TransportError | undefined;
	const send: HttpSend = async (request) => {
		let response;
		try {
			response = await sendWithFetch(request);
		} catch (error) {
			if (error instanceof TransportError) transportFailure = error;
			throw error;
		}
		if (response.status >= 400) {
			try {
				const body = JSON.parse(response.text) as {
					error?: string;
					error_description?: string;
					error_codes?: number[];
				};
				if (body.error !== 'authorization_pending') {
					lastFailure = { errorCode: body.error, errorMessage: body.error_description, errorNo: body.error_codes?.[0] };
				}
			} catch {
				lastFailure = { errorMessage: `HTTP ${response.status}` };
			}
		}
		return response;
	};
	const app = new PublicClientApplication({
		auth: { clientId: options.clientId, ...authorityOptions(endpoints, options.tenant, options.cloud) },
		system: {
			networkClient: networkModule(send),
			loggerOptions: { loggerCallback: () => {}, piiLoggingEnabled: false, logLevel: LogLevel.Error },
		},
	});
	let secrets: string[] = [];
	try {
		const result = await app.acquireTokenByDeviceCode({
			scopes,
			deviceCodeCallback: (response) => {
				if (!response.userCode) throw new ScopedMailboxAuthError('No device code was issued', { reason: 'unknown' });
				say(response.message);
				say(`(code ${response.userCode} at ${response.verificationUri}; waiting for sign-in...)`);
			},
		});
		if (!result) throw new ScopedMailboxAuthError('Sign-in returned no token', { reason: 'unknown' });
		const refreshToken = refreshTokenFromCache(app.getTokenCache().serialize());
		if (!refreshToken) {
			say(
				'Error: the identity platform returned no refresh token. Check that offline_access is among the scopes and consented.',
			);
			return 1;
		}
		secrets = [refreshToken, result.accessToken];
		const who = result.account?.username ?? 'the user';
		if (options.print) {
			say(`Signed in as ${who}. The refresh token follows on stdout (shown once; it is not stored anywhere).`);
			io.stdout.write(`${refreshToken}\n`);
		} else {
			const out = resolve(options.out ?? DEFAULT_OUT_FILE);
			writeSecretFile(out, `${refreshToken}\n`);
			say(`Signed in as ${who}. Refresh token written to ${out} (readable by you only).`);
			say(
				'Paste its content into the credential\'s "Refresh Token" field (same tenant, client ID, cloud and scopes), then delete the file.',
			);
		}
		say(`Granted scopes: ${result.scopes.join(' ')}`);
		return 0;
	} catch (error) {
		const text = `${(error as { errorCode?: string })?.errorCode ?? ''} ${(error as Error)?.message ?? ''}`;
		if (/authorization_declined/.test(text)) say('Error: the sign-in was declined.');
		else if (/expired_token|code_expired/.test(text))
			say('Error: the code expired before sign-in completed. Run the command again.');
		else {
			const failure = toAuthError(
				lastFailure && !(error instanceof ScopedMailboxAuthError && error.aadstsCode) ? lastFailure : error,
				{
					kind: 'refreshToken',
					secrets,
					tenantId: options.tenant,
					clientId: options.clientId,
					authorityHost: endpoints.authorityHost,
					transportFailure,
				},
			);
			const seedHint = failure.reason === 'refreshTokenInvalid' ? '' : ` ${failure.description ?? ''}`;
			say(redact(`Error: ${failure.message}.${seedHint}`, secrets));
		}
		return 1;
	}
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
	let options: SeedOptions | 'help';
	try {
		options = parseArgs(argv);
	} catch (error) {
		if (error instanceof UsageError) {
			process.stderr.write(`Error: ${error.message}\n\n${USAGE}`);
			return 2;
		}
		throw error;
	}
	if (options === 'help') {
		process.stderr.write(USAGE);
		return 0;
	}
	return await seed(options, { stdout: process.stdout, stderr: process.stderr });
}

if (require.main === module) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		() => {
			process.stderr.write('Error: unexpected failure\n');
			process.exitCode = 1;
		},
	);
}
