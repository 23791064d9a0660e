/**
 * The tree is formatted as `npm run format` leaves it (`npm run format:check` is clean), so a contributor's
 * `npm run format` changes only what they touched.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, packageJson } from './repo';

test('format:check is prettier --check over the tree', () => {
	expect(packageJson().scripts['format:check']).toBe('prettier --check .');
});

test('every file prettier covers is formatted', () => {
	const prettier = join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
	const run = spawnSync(process.execPath, [prettier, '--list-different', '.'], {
		cwd: ROOT,
		encoding: 'utf8',
		maxBuffer: 16 * 1024 * 1024,
	});
	// --list-different prints the unformatted files, one per line, and exits 1 when there are any.
	expect({ unformatted: run.stdout.split('\n').filter(Boolean), stderr: run.stderr }).toEqual({
		unformatted: [],
		stderr: '',
	});
	expect(run.status).toBe(0);
}, 120_000);
