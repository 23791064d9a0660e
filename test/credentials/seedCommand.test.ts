/**
 * The seed command (`npx n8n-nodes-scoped-mailbox seed`) as a separate process against the emulator's device-code
 * flow: the user code is read from stderr, the sign-in approved through the admin API, and the refresh token must
 * end up only in a 0600 file (or once on stdout with --print). It runs the compiled file package.json's `bin`
 * names (what `npx` runs after an install; `npm test` builds first), so a wrong `bin` path fails here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type EmulatorHandle } from '../emulator';

const ROOT = resolve(__dirname, '..', '..');
const SEED = join(
	ROOT,
	(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[
		'n8n-nodes-scoped-mailbox'
	],
);
let emu: EmulatorHandle;
let dir: string;

beforeAll(async () => {
	if (!existsSync(SEED)) throw new Error(`${SEED} is missing: build first (npm run build)`);
	emu = await startEmulator({ scenario: 'delegated' });
	await emu.admin('Set-Settings', { DeviceCodeIntervalSeconds: 1 });
	dir = mkdtempSync(join(tmpdir(), 'scoped-mailbox-seed-'));
});

afterAll(async () => {
	await emu.close();
	rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs the command; `onCode` plays the user once the code is shown. */
function runSeed(args: string[], onCode?: (userCode: string) => Promise<void>): Promise<Outcome> {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, [SEED, 'seed', ...args], {
			cwd: dir,
			env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.info.caCertPath },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		let handled = false;
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			const match = /\(code (\S+) at /.exec(stderr);
			if (match && onCode && !handled) {
				handled = true;
				onCode(match[1]).catch(reject);
			}
		});
		const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolvePromise({ code, stdout, stderr });
		});
	});
}

const baseArgs = () => [
	'--tenant',
	emu.info.scenario.tenant.id,
	'--client-id',
	emu.info.scenario.apps.publicClient.appId,
	'--cloud',
	'custom',
	'--authority-host',
	emu.info.authorityHost,
	'--graph-base-url',
	emu.info.graphBaseUrl,
];

async function refreshWorks(refreshToken: string): Promise<boolean> {
	const response = await fetch(`${emu.info.authorityHost}/${emu.info.scenario.tenant.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'refresh_token',
			client_id: emu.info.scenario.apps.publicClient.appId,
			refresh_token: refreshToken,
		}).toString(),
	});
	return response.status === 200;
}

it('writes the refresh token to a 0600 file and never to the terminal', async () => {
	const out = join(dir, 'token.txt');
	const outcome = await runSeed([...baseArgs(), '--out', out], async (userCode) => {
		await emu.admin('Approve-DeviceCode', { UserCode: userCode });
	});
	expect(outcome.code).toBe(0);
	expect(outcome.stderr).toMatch(/enter the code/i);
	expect(outcome.stderr).toContain(`Signed in as ${emu.info.scenario.mailboxes.megan.upn}`);
	expect(statSync(out).mode & 0o777).toBe(0o600);
	const token = readFileSync(out, 'utf8').trim();
	expect(token.length).toBeGreaterThan(20);
	expect(outcome.stdout).toBe('');
	expect(outcome.stderr).not.toContain(token);
	expect(await refreshWorks(token)).toBe(true);
}, 60_000);

it('uses ./scoped-mailbox-refresh-token.txt by default, and --print prints the token once on stdout only', async () => {
	const defaultOutcome = await runSeed(baseArgs(), async (userCode) => {
		await emu.admin('Approve-DeviceCode', { UserCode: userCode });
	});
	expect(defaultOutcome.code).toBe(0);
	const defaultFile = join(dir, 'scoped-mailbox-refresh-token.txt');
	expect(statSync(defaultFile).mode & 0o777).toBe(0o600);

	const printed = await runSeed([...baseArgs(), '--print'], async (userCode) => {
		await emu.admin('Approve-DeviceCode', { UserCode: userCode });
	});
	expect(printed.code).toBe(0);
	const lines = printed.stdout.split('\n').filter(Boolean);
	expect(lines).toHaveLength(1);
	expect(printed.stderr).not.toContain(lines[0]);
	expect(await refreshWorks(lines[0])).toBe(true);
}, 90_000);

it('reports a declined sign-in and writes nothing', async () => {
	const out = join(dir, 'declined.txt');
	const outcome = await runSeed([...baseArgs(), '--out', out], async (userCode) => {
		await emu.admin('Deny-DeviceCode', { UserCode: userCode });
	});
	expect(outcome.code).toBe(1);
	expect(outcome.stderr).toMatch(/declined/);
	expect(existsSync(out)).toBe(false);
}, 60_000);

it('explains usage errors and an unknown app', async () => {
	const missing = await runSeed(['--client-id', 'x']);
	expect(missing.code).toBe(2);
	expect(missing.stderr).toMatch(/--tenant is required/);
	expect(missing.stderr).toMatch(/Usage: npx n8n-nodes-scoped-mailbox seed/);

	const unknownApp = await runSeed([
		...baseArgs().slice(0, 2),
		'--client-id',
		'0d2c4f8e-aaaa-4bbb-8ccc-9dddeeeeffff',
		...baseArgs().slice(4),
	]);
	expect(unknownApp.code).toBe(1);
	expect(unknownApp.stderr).toMatch(/AADSTS700016/);
}, 60_000);
