/**
 * `npm run lint` (n8n's official ruleset for self-hosted community packages) is clean: no errors, no warnings.
 * ESLint runs as its own process: its flat config is an ES module, which jest's module sandbox cannot import.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, packageJson } from './repo';

test('the lint script covers nodes, credentials, bin and package.json', () => {
	expect(packageJson().scripts.lint).toBe('eslint nodes credentials bin package.json');
});

test('lint is clean', () => {
	const eslint = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');
	const run = spawnSync(
		process.execPath,
		[eslint, '--format', 'json', '--max-warnings', '0', 'nodes', 'credentials', 'bin', 'package.json'],
		// Without jest's NODE_ENV=test, under which eslint-plugin-n8n-nodes-base checks file names differently.
		{ cwd: ROOT, env: { ...process.env, NODE_ENV: undefined }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
	);
	const results = JSON.parse(run.stdout || '[]') as {
		filePath: string;
		messages: { line: number; ruleId: string | null; message: string }[];
	}[];
	const problems = results.flatMap((result) =>
		result.messages.map((m) => `${result.filePath.slice(ROOT.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`),
	);
	expect({ problems, stderr: run.stderr }).toEqual({ problems: [], stderr: '' });
	expect(results.length).toBeGreaterThan(20);
	expect(run.status).toBe(0);
}, 180_000);
