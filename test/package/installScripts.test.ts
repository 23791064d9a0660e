/**
 * Every package in the lockfile that has an install script is named in the decision that explains why .npmrc
 * skips install scripts and why skipping that one is safe (docs/decisions.md, section i12-newcomer). A new
 * dependency that brings an install script fails here until the decision covers it.
 */
import { decisionSection, readJson, readText } from './repo';

interface Lockfile {
	packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
}

/** Package names (as installed, last node_modules segment) with an install script. */
export function packagesWithInstallScripts(lock: Lockfile): string[] {
	const names = new Set<string>();
	for (const [path, entry] of Object.entries(lock.packages)) {
		if (!path || !entry.hasInstallScript) continue;
		names.add(path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
	}
	return [...names].sort();
}

/** Those the decision does not name in backticks. */
export function uncovered(names: string[], decision: string): string[] {
	return names.filter((name) => !decision.includes(`\`${name}\``));
}

const decision = decisionSection('i12-newcomer');

test('.npmrc skips install scripts, as the decision says', () => {
	expect(readText('.npmrc')).toMatch(/^ignore-scripts=true$/m);
	expect(decision).toMatch(/ignore-scripts/);
});

test('every lockfile package with an install script is covered by the decision', () => {
	const names = packagesWithInstallScripts(readJson<Lockfile>('package-lock.json'));
	// The lockfile has some today: a parse that finds none would pass vacuously.
	expect(names).toContain('esbuild');
	expect(uncovered(names, decision)).toEqual([]);
});

test('a new package with an install script is reported', () => {
	const lock = readJson<Lockfile>('package-lock.json');
	lock.packages['node_modules/some-new-native-addon'] = { version: '1.0.0', hasInstallScript: true };
	expect(uncovered(packagesWithInstallScripts(lock), decision)).toEqual(['some-new-native-addon']);
});
