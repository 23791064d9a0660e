/**
 * The GitHub Actions workflows cannot run here, so they are checked: against GitHub's workflow schema
 * (@action-validator/core), parsed with `yaml`, and for what they must do — CI runs .ci/run (the README's
 * commands) on pushes and pull requests with the Debian packages the tests use; a version tag publishes with
 * an npm provenance statement through trusted publishing.
 */
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { readText } from './repo';

interface Step {
	uses?: string;
	run?: string;
	with?: Record<string, unknown>;
	env?: Record<string, string>;
}
interface Workflow {
	on: Record<string, any>;
	permissions?: Record<string, string>;
	jobs: Record<string, { permissions?: Record<string, string>; steps: Step[]; 'timeout-minutes'?: number }>;
}

const load = (file: string) => {
	const text = readText(`.github/workflows/${file}`);
	return { text, workflow: parse(text) as Workflow };
};
const steps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps);
const runs = (workflow: Workflow) => steps(workflow).map((step) => step.run ?? '');

test.each(['ci.yml', 'publish.yml'])('%s is a valid workflow', (file) => {
	expect(validateWorkflow(load(file).text).errors).toEqual([]);
});

test('the validator does reject a broken workflow', () => {
	const broken = load('ci.yml').text.replace('runs-on:', 'runs_on:');
	expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
});

test('CI runs .ci/run on every push and pull request, with Redis and Chromium', () => {
	const { workflow } = load('ci.yml');
	expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
	expect(runs(workflow)).toContain('bash .ci/run');
	const apt = runs(workflow).find((run) => run.includes('apt-get install')) ?? '';
	expect(apt).toMatch(/\bredis-server\b/);
	expect(apt).toMatch(/\bchromium\b/);
	for (const job of Object.values(workflow.jobs)) expect(job['timeout-minutes']).toBeLessThanOrEqual(45);
});

test('.ci/run is the README commands: npm install, then npm test', () => {
	const script = readText('.ci/run');
	const commands = script
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => /^npm\b/.test(line));
	expect(commands).toEqual(['npm install', 'npm test']);
});

test('a version tag publishes with provenance through trusted publishing', () => {
	const { workflow } = load('publish.yml');
	expect(workflow.on.push.tags).toEqual(['v*']);
	expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
	const all = runs(workflow);
	const publish = all.findIndex((run) => /^npm publish\b.*--provenance/.test(run));
	expect(publish).toBeGreaterThan(-1);
	// .npmrc's ignore-scripts means npm publish skips prepack: the build must be its own step before it.
	const build = all.findIndex((run) => /\bnpm run build\b/.test(run));
	expect(build).toBeGreaterThan(-1);
	expect(build).toBeLessThan(publish);
	// Trusted publishing needs npm >= 11.5.1 (Node 24 ships it): the Node set up last before publishing.
	const nodes = steps(workflow)
		.slice(
			0,
			steps(workflow).findIndex((step) => step.run === all[publish]),
		)
		.filter((step) => step.uses?.startsWith('actions/setup-node'));
	expect(Number(nodes.at(-1)?.with?.['node-version'])).toBeGreaterThanOrEqual(24);
});
