/**
 * The README's promises about running the project hold in the files that do the running: its two commands are
 * what .ci/run runs, `npm test` installs the real n8n as its own step before jest, the first-run time it states is
 * the one the demo and the install step print, and it names the n8n version the end-to-end tests use.
 */
import { FIRST_INSTALL_ESTIMATE, N8N_VERSION } from '../e2e/install-n8n';
import { packageJson, readText } from './repo';

/** One `## heading` section of the README. */
function section(heading: string): string {
	const readme = readText('README.md');
	const start = readme.indexOf(`\n## ${heading}\n`);
	if (start < 0) throw new Error(`README has no "## ${heading}" section`);
	const end = readme.indexOf('\n## ', start + 1);
	return readme.slice(start, end < 0 ? undefined : end);
}

test("the README's two commands are npm install && npm run demo / npm test", () => {
	const block = /```bash\n([\s\S]*?)```/.exec(section('Two commands'))?.[1] ?? '';
	const commands = block
		.split('\n')
		.map((line) => line.replace(/#.*$/, '').trim())
		.filter(Boolean);
	expect(commands).toEqual(['npm install && npm run demo', 'npm install && npm test']);
});

test('npm test: build, CA, system packages and the n8n install as their own steps, then jest', () => {
	const steps = packageJson()
		.scripts.test.split('&&')
		.map((step) => step.trim());
	const install = steps.findIndex((step) => step === 'tsx test/e2e/install-n8n.ts');
	const jest = steps.findIndex((step) => /\bjest\b/.test(step));
	const system = steps.findIndex((step) => step === 'tsx test/e2e/ensure-system-packages.ts');
	expect(install).toBeGreaterThan(-1);
	expect(install).toBeLessThan(jest);
	// The Debian packages of the queue-mode and browser tests are a step of npm test too, not a CI-only extra.
	expect(system).toBeGreaterThan(-1);
	expect(system).toBeLessThan(jest);
	expect(packageJson().scripts['test:fast']).not.toMatch(/install-n8n/);
});

test('README, demo and install step state the same first-run time and the tested n8n version', () => {
	const twoCommands = section('Two commands');
	expect(twoCommands).toContain(FIRST_INSTALL_ESTIMATE);
	expect(readText('test/e2e/demo.ts')).toContain('FIRST_INSTALL_ESTIMATE');
	expect(section('Install into n8n')).toContain(`n8n ${N8N_VERSION}`);
});
