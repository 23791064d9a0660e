/**
 * `npm run demo [-- --once] [-- --port 5678]`: the Logic App scenario in a real n8n.
 *
 * Builds the package, installs n8n 2.41.1 (with Node 24) into a cache outside the repo if it is not there
 * yet, starts the emulator with the logic-app scenario and n8n with the package installed as a community
 * package, imports a managed-identity credential and two workflows, runs the scenario, prints a report and
 * keeps n8n open with an owner login until Ctrl-C. `--once` runs it and exits (non-zero if a check failed).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, sleep, startEmulatorProcess, startN8n, type EmulatorProcess, type N8nServer } from './n8nServer';
import { FIRST_INSTALL_ESTIMATE, installTimeoutMinutes, isN8nInstalled, n8nCacheDir, N8N_VERSION } from './install-n8n';
import { DEMO_STEPS, DEMO_WORKFLOW_IDS, demoWorkflows, managedIdentityCredential } from './templates';

const args = process.argv.slice(2);
const once = args.includes('--once');
const portArg = args.indexOf('--port');
const requestedPort = portArg >= 0 ? Number(args[portArg + 1]) : undefined;

/** n8n's usual port when it is free, so the printed URL is the familiar one; else any free port. */
function portIsFree(candidate: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(candidate, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

const SCENARIO_WORKFLOW = DEMO_WORKFLOW_IDS.scenario;
const TRIGGER_WORKFLOW = DEMO_WORKFLOW_IDS.trigger;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const logFile = join(REPO_ROOT, 'test', '.tmp', 'demo-n8n.log');

interface Check {
	label: string;
	ok: boolean;
	detail: string;
}

async function main(): Promise<number> {
	mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
	writeFileSync(logFile, '');
	const log = (line: string) => appendFileSync(logFile, `${line}\n`);

	say('Scoped Mailbox demo: the "scope Graph permissions to a shared mailbox" Logic App scenario in a real n8n');
	if (!isN8nInstalled()) {
		say(`n8n ${N8N_VERSION} is not installed yet: installing it with Node 24 into ${n8nCacheDir()}`);
		say(
			`  (first run only: ${FIRST_INSTALL_ESTIMATE}, progress every 30 s, limit ${installTimeoutMinutes()} min; later runs start in under a minute)`,
		);
	}

	let emulator: EmulatorProcess | undefined;
	let n8n: N8nServer | undefined;
	const shutdown = async () => {
		await n8n?.stop();
		await emulator?.close();
	};
	process.once('SIGINT', () => {
		say('\nStopping n8n and the emulator...');
		void shutdown().then(() => process.exit(0));
	});

	try {
		const port = requestedPort ?? ((await portIsFree(5678)) ? 5678 : undefined);
		emulator = await startEmulatorProcess('logic-app', { log });
		const { info } = emulator;
		n8n = await startN8n({
			emulator,
			log: (line) => {
				log(line);
				// Install and build progress on screen; n8n's own log only in the file.
				if (!line.startsWith('n8n | ')) say(`  ${line}`);
			},
			port,
			owner: { email: 'demo@example.com', password: 'Scoped-Mailbox-Demo-1' },
			keepUserFolder: false,
		});
		const t = n8n.timings;
		say(
			`Ready after ${elapsed()}: install ${t.installN8n} s, build ${t.build ?? 0} s, pack ${t.pack} s, package install ${t.installPackage} s, n8n start ${t.startN8n} s`,
		);

		const credential = managedIdentityCredential(info, 'Logic App managed identity (system-assigned)');
		const workflows = demoWorkflows(info, credential);
		const { shared, other } = workflows;
		await n8n.importCredentials([credential]);
		await n8n.importWorkflow(workflows.scenario);
		await n8n.importWorkflow(workflows.trigger);
		await emulator.admin('Clear-RequestLog');
		await n8n.activate(TRIGGER_WORKFLOW);

		say(`Running the scenario workflow (n8n execute)...`);
		const run = await n8n.execute(SCENARIO_WORKFLOW);
		const out = run.outputs;
		const checks: Check[] = [];
		const sendShared = out[DEMO_STEPS.send]?.[0] ?? {};
		checks.push({
			label: `Send as ${shared}`,
			ok: !sendShared.error,
			detail: sendShared.error ? String(sendShared.error) : 'sent (Graph 202)',
		});
		// The denial travels the step's error output into the "Denied as expected" branch; nothing on its normal output.
		const denied = out[DEMO_STEPS.deniedBranch]?.[0] ?? {};
		checks.push({
			label: `Send as ${other}`,
			ok: Boolean(denied.error) && !(out[DEMO_STEPS.denied]?.length ?? 0),
			detail: denied.error ? `denied: ${firstSentence(String(denied.error))}` : 'SENT: the identity is not scoped!',
		});
		const listed = out[DEMO_STEPS.list] ?? [];
		checks.push({
			label: `List ${shared}`,
			ok: listed.length > 0 && !listed[0].error,
			detail: listed[0]?.error
				? String(listed[0].error)
				: `${listed.length} messages, newest: "${listed[0]?.subject ?? ''}"`,
		});
		const access = out[DEMO_STEPS.testAccess] ?? [];
		const finding = access[0]?.finding;
		checks.push({
			label: 'Test Access',
			ok: finding === 'scoped correctly',
			detail:
				access
					.map(
						(row: any) =>
							`${row.mailbox} (${row.role}): ${Object.entries(row.verdicts ?? {})
								.map(([k, v]) => `${k} ${v}`)
								.join(', ')}`,
					)
					.join('; ') + ` => ${finding}`,
		});

		say(`Trigger: waiting for the first poll, then delivering a message to ${shared}...`);
		const triggerCheck = await runTrigger(emulator, n8n, shared);
		checks.push(triggerCheck);

		say('');
		say('Report');
		for (const check of checks) say(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.label}: ${check.detail}`);
		const sent = await emulator.admin<Array<{ Subject: string }>>('Get-SentMessages', { Mailbox: shared });
		const sentByOther = await emulator.admin<Array<{ Subject: string }>>('Get-SentMessages', { Mailbox: other });
		say(
			`  Emulator: Sent Items of ${shared}: ${sent.map((m) => `"${m.Subject}"`).join(', ') || 'none'}; of ${other}: ${sentByOther.length} message(s).`,
		);
		const failed = checks.filter((c) => !c.ok).length;
		say(`  ${checks.length - failed} of ${checks.length} checks passed in ${elapsed()}.`);

		if (once) {
			await shutdown();
			return failed ? 1 : 0;
		}
		say('');
		say(`n8n is open at ${n8n.url}`);
		say(`  Sign in as ${n8n.owner.email} / ${n8n.owner.password}`);
		say(`  Workflows: "Logic App scenario ..." (run it again with "Execute workflow"), and the active trigger.`);
		say(
			`  Deliver more mail: curl --cacert ${info.caCertPath} -X POST ${info.adminUrl}/Deliver-Message -H 'content-type: application/json' -d '{"To":"${shared}","Subject":"Hello"}'`,
		);
		say(`  n8n's log: ${logFile}`);
		say('Press Ctrl-C to stop.');
		await new Promise(() => undefined);
		return 0;
	} catch (error) {
		say(`Demo failed after ${elapsed()}: ${(error as Error).stack ?? error}`);
		say(`n8n's log: ${logFile}`);
		await shutdown();
		return 1;
	}
}

function firstSentence(text: string): string {
	const end = text.search(/\.\s/);
	return end > 0 && end < 400 ? text.slice(0, end + 1) : text.slice(0, 400);
}

async function runTrigger(emulator: EmulatorProcess, n8n: N8nServer, shared: string): Promise<Check> {
	const label = `Trigger on ${shared}`;
	const deadline = Date.now() + 60_000;
	for (;;) {
		const log = await emulator.admin<Array<{ kind: string; path: string }>>('Get-RequestLog');
		if (log.some((entry) => entry.kind === 'graph' && /delta/i.test(entry.path))) break;
		if (Date.now() > deadline) return { label, ok: false, detail: 'the activated trigger made no request within 60 s' };
		await sleep(500);
	}
	const subject = `Invoice ${Math.floor(Math.random() * 9000) + 1000} received`;
	const deliveredAt = Date.now();
	await emulator.admin('Deliver-Message', {
		To: shared,
		From: 'vendor@fabrikam.com',
		Subject: subject,
		Body: 'Please find the invoice attached.',
	});
	say(`  delivered "${subject}"; the trigger polls every minute...`);
	try {
		const execution = await n8n.waitForExecution(TRIGGER_WORKFLOW, {
			after: deliveredAt - 5000,
			timeoutMs: 150_000,
			match: (e) => JSON.stringify(e.data?.resultData?.runData?.['New Mail'] ?? '').includes(subject),
		});
		return {
			label,
			ok: execution.status === 'success',
			detail: `execution ${execution.id} started by "${subject}" after ${((Date.parse(execution.startedAt) - deliveredAt) / 1000).toFixed(0)} s`,
		};
	} catch (error) {
		return { label, ok: false, detail: (error as Error).message };
	}
}

main().then(
	(code) => process.exit(code),
	(error) => {
		process.stderr.write(`${error?.stack ?? error}\n`);
		process.exit(1);
	},
);
