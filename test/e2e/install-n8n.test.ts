/**
 * The real-n8n install step's own guarantees, on a throwaway cache folder (the real cache is never touched):
 * it stops at its time limit with a message naming the limit and releases its lock; inside jest `ensureN8n()`
 * never starts an install, it names the command that does.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureN8n } from './install-n8n';

const ROOT = resolve(__dirname, '..', '..');
let scratch: string;

beforeAll(() => {
	scratch = mkdtempSync(join(tmpdir(), 'scoped-mailbox-install-step-'));
});

afterAll(() => {
	rmSync(scratch, { recursive: true, force: true });
});

test('the install step stops at its own time limit and releases its lock', async () => {
	const cache = join(scratch, 'n8n');
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env))
		if (!/^npm_/i.test(key) && !key.startsWith('JEST_')) env[key] = value;
	env.SCOPED_MAILBOX_N8N_CACHE = cache;
	env.SCOPED_MAILBOX_N8N_INSTALL_TIMEOUT_MINUTES = '0.05';
	const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'e2e', 'install-n8n.ts')], {
		cwd: ROOT,
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.on('data', (chunk) => (stderr += chunk));
	const code = await new Promise<number | null>((done) => child.on('close', done));
	expect(code).toBe(1);
	expect(stderr).toMatch(/not in .* yet: installing it/);
	expect(stderr).toContain('took longer than its 0.05-minute limit');
	expect(existsSync(`${cache}.lock`)).toBe(false);
	expect(existsSync(join(cache, 'installed.json'))).toBe(false);
}, 120_000);

test('inside jest ensureN8n() does not install; it names the install step', async () => {
	const previous = process.env.SCOPED_MAILBOX_N8N_CACHE;
	process.env.SCOPED_MAILBOX_N8N_CACHE = join(scratch, 'never-installed');
	try {
		await expect(ensureN8n({ log: () => undefined })).rejects.toThrow(/npx tsx test\/e2e\/install-n8n\.ts/);
		expect(existsSync(join(scratch, 'never-installed'))).toBe(false);
	} finally {
		if (previous === undefined) delete process.env.SCOPED_MAILBOX_N8N_CACHE;
		else process.env.SCOPED_MAILBOX_N8N_CACHE = previous;
	}
});
