/**
 * End to end in a real n8n 2.41.1 (Node 24, installed once into a cache outside the repo), with this package
 * installed from its `npm pack` tarball the way n8n installs community packages, against the emulator running
 * as its own process. One n8n server for the whole file. SCOPED_MAILBOX_SKIP_E2E=1 skips it.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectOAuth2, redeemRefreshToken, seedRefreshToken } from './identityFlows';
import {
	REPO_ROOT,
	startEmulatorProcess,
	startN8n,
	sleep,
	type EmulatorProcess,
	type ExecutionResult,
	type N8nServer,
} from './n8nServer';
import {
	ACTION_TYPE,
	CREDENTIAL_IDS,
	CREDENTIAL_TYPES,
	TRIGGER_TYPE,
	appCertificateCredential,
	appSecretCredential,
	listStep,
	managedIdentityCredential,
	manualWorkflow,
	oAuth2Credential,
	refreshTokenCredential,
	sendStep,
	testAccessStep,
	triggerWorkflow,
	type CredentialJson,
} from './templates';

const skip = process.env.SCOPED_MAILBOX_SKIP_E2E === '1';
const describeE2e = skip ? describe.skip : describe;

// n8n is installed by `npm test`'s step before jest (install-n8n.ts); the hook only starts it (seconds).
const SETUP_TIMEOUT = 5 * 60_000;
const STEP_TIMEOUT = 3 * 60_000;

const MAIN_WORKFLOW = 'e2eMainWorkflow1';
const TRIGGER_WORKFLOW = 'e2eTriggerFlow01';

describeE2e('real n8n end to end', () => {
	let emulator: EmulatorProcess;
	let n8n: N8nServer;
	let seededRefreshToken: string;
	let unscoped: CredentialJson;
	let firstRun: ExecutionResult;
	let triggerDelivery: { subject: string; deliveredAt: number };
	const mailbox = (key: string) => emulator.info.scenario.mailboxes[key].upn;
	const runId = Date.now().toString(36);

	/** Adds the tail of n8n's log to a failure, where the cause usually is. */
	const explain = async <T>(work: () => Promise<T>): Promise<T> => {
		try {
			return await work();
		} catch (error) {
			(error as Error).message += `\n--- n8n log (tail) ---\n${n8n?.logs().slice(-6000)}`;
			throw error;
		}
	};

	beforeAll(async () => {
		// Progress and n8n's own log go to a file: jest shows nothing until the file ends.
		mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
		const logFile = join(REPO_ROOT, 'test', '.tmp', 'e2e-n8n.log');
		writeFileSync(logFile, '');
		const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
		emulator = await startEmulatorProcess('all', { log });
		log(`emulator at ${emulator.info.authorityHost}`);
		n8n = await startN8n({ emulator, log });
		log(`n8n at ${n8n.url}; timings ${JSON.stringify(n8n.timings)}`);
		await explain(async () => {
			const { info } = emulator;
			seededRefreshToken = await seedRefreshToken(emulator, 'publicClient', 'megan');
			unscoped = { ...appSecretCredential(info, 'unscoped'), id: 'e2eCredUnscoped1' };
			await n8n.importCredentials([
				managedIdentityCredential(info),
				appSecretCredential(info, 'rbac'),
				appCertificateCredential(info, 'rbac'),
				refreshTokenCredential(info, seededRefreshToken),
				oAuth2Credential(info),
				unscoped,
			]);
			await connectOAuth2(n8n, emulator, CREDENTIAL_IDS.oAuth2);

			// The trigger goes first: its minute-long poll interval is the slowest part, so it runs beside the rest.
			await n8n.importWorkflow(
				triggerWorkflow(
					TRIGGER_WORKFLOW,
					'E2E: new mail in the shared mailbox',
					managedIdentityCredential(info),
					mailbox('notifications'),
				),
			);
			await n8n.importWorkflow(mainWorkflow());
			await emulator.admin('Clear-RequestLog');
			await n8n.activate(TRIGGER_WORKFLOW);
		});
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		await n8n?.stop();
		await emulator?.close();
	}, 60_000);

	function mainWorkflow() {
		const { info } = emulator;
		const mi = managedIdentityCredential(info);
		const secret = appSecretCredential(info, 'rbac');
		const certificate = appCertificateCredential(info, 'rbac');
		const refresh = refreshTokenCredential(info, 'unused');
		const oauth = oAuth2Credential(info);
		return manualWorkflow(MAIN_WORKFLOW, 'E2E: every credential', [
			sendStep('MI send from shared', mi, mailbox('notifications'), mailbox('adele'), `e2e ${runId} managed identity`),
			sendStep('MI send from outside scope', mi, mailbox('finance'), mailbox('adele'), `e2e ${runId} must be denied`, {
				continueOnFail: true,
			}),
			listStep('MI list shared', mi, mailbox('notifications'), 3),
			testAccessStep('MI test access', mi, mailbox('notifications'), mailbox('finance'), [
				'readMetadata',
				'readContent',
			]),
			listStep('Secret list scoped', secret, mailbox('support'), 10),
			sendStep(
				'Certificate send scoped',
				certificate,
				mailbox('support'),
				mailbox('adele'),
				`e2e ${runId} certificate`,
			),
			listStep('Secret list outside scope', secret, mailbox('finance'), 10, { continueOnFail: true }),
			testAccessStep('Unscoped test access', unscoped, mailbox('notifications'), mailbox('finance'), ['readMetadata']),
			listStep('Refresh token list shared', refresh, mailbox('notifications'), 2),
			sendStep(
				'Refresh token send as shared',
				refresh,
				mailbox('notifications'),
				mailbox('alex'),
				`e2e ${runId} delegated`,
			),
			listStep('OAuth2 list own', oauth, mailbox('megan'), 10),
		]);
	}

	const SUCCEEDING_STEPS = [
		'MI send from shared',
		'MI list shared',
		'MI test access',
		'Secret list scoped',
		'Certificate send scoped',
		'Unscoped test access',
		'Refresh token list shared',
		'Refresh token send as shared',
		'OAuth2 list own',
	];
	/** Every step that should succeed produced items and none of them is an error item. */
	function expectSucceeded(run: ExecutionResult) {
		expect(run.errors).toEqual({});
		const failures = SUCCEEDING_STEPS.map((step) => ({
			step,
			items: run.outputs[step]?.length ?? 0,
			error: run.outputs[step]?.find((item) => item.error)?.error,
		})).filter((result) => result.items === 0 || result.error);
		expect(failures).toEqual([]);
	}

	test('n8n loads both nodes and all four credential types of the package', async () => {
		const nodes = (await (await n8n.fetchAsOwner('/types/nodes.json')).json()) as Array<{ name: string }>;
		const credentials = (await (await n8n.fetchAsOwner('/types/credentials.json')).json()) as Array<{ name: string }>;
		const nodeNames = nodes.map((n) => n.name);
		expect(nodeNames).toEqual(expect.arrayContaining([ACTION_TYPE, TRIGGER_TYPE]));
		expect(credentials.map((c) => c.name)).toEqual(expect.arrayContaining(Object.values(CREDENTIAL_TYPES)));
		expect(n8n.logs()).not.toMatch(/Failed to load package "n8n-nodes-scoped-mailbox"/);
	});

	test(
		'a trigger poll has set its baseline; mail delivered now must start the workflow',
		async () => {
			// The activation poll runs at once: wait until it reached the mailbox, then deliver.
			const deadline = Date.now() + 60_000;
			for (;;) {
				const log = await emulator.admin<Array<{ kind: string; path: string }>>('Get-RequestLog');
				if (log.some((entry) => entry.kind === 'graph' && /delta/i.test(entry.path))) break;
				if (Date.now() > deadline)
					throw new Error(`the activated trigger made no delta request within 60 s\n${n8n.logs().slice(-4000)}`);
				await sleep(500);
			}
			await sleep(1000);
			const subject = `e2e ${runId} trigger delivery`;
			triggerDelivery = { subject, deliveredAt: Date.now() };
			const delivered = await emulator.admin<{ Ids: string[] }>('Deliver-Message', {
				To: mailbox('notifications'),
				From: mailbox('adele'),
				Subject: subject,
				Body: 'for the trigger',
			});
			expect(delivered.Ids).toHaveLength(1);
		},
		STEP_TIMEOUT,
	);

	test(
		'one workflow runs every credential type through `n8n execute`',
		async () => {
			firstRun = await explain(() => n8n.execute(MAIN_WORKFLOW));
			expectSucceeded(firstRun);
		},
		STEP_TIMEOUT,
	);

	test('managed identity (App Service env of the n8n process) sends from the shared mailbox', async () => {
		const subject = `e2e ${runId} managed identity`;
		const sent = await emulator.admin<Array<{ Subject: string; From: string }>>('Get-SentMessages', {
			Mailbox: mailbox('notifications'),
		});
		expect(sent.find((m) => m.Subject === subject)).toMatchObject({ From: mailbox('notifications') });
		const received = await emulator.admin<Array<{ Subject: string }>>('Get-MailboxMessages', {
			Mailbox: mailbox('adele'),
			Folder: 'inbox',
		});
		expect(received.map((m) => m.Subject)).toContain(subject);
		const log = await emulator.admin<Array<{ kind: string }>>('Get-RequestLog');
		expect(log.some((entry) => entry.kind === 'mi')).toBe(true);
	});

	test('the certificate app and the delegated user send as their scoped mailboxes', async () => {
		const fromSupport = await emulator.admin<Array<{ Subject: string; From: string }>>('Get-SentMessages', {
			Mailbox: mailbox('support'),
		});
		expect(fromSupport.find((m) => m.Subject === `e2e ${runId} certificate`)).toMatchObject({
			From: mailbox('support'),
		});
		const fromShared = await emulator.admin<Array<{ Subject: string; From: string }>>('Get-SentMessages', {
			Mailbox: mailbox('notifications'),
		});
		expect(fromShared.find((m) => m.Subject === `e2e ${runId} delegated`)).toMatchObject({
			From: mailbox('notifications'),
		});
		const alex = await emulator.admin<Array<{ Subject: string }>>('Get-MailboxMessages', {
			Mailbox: mailbox('alex'),
			Folder: 'inbox',
		});
		expect(alex.map((m) => m.Subject)).toContain(`e2e ${runId} delegated`);
	});

	test('the same identity on a mailbox outside its scope fails with the clear error', async () => {
		const [item] = firstRun.outputs['MI send from outside scope'];
		expect(item.error).toEqual(expect.stringContaining(`not allowed to use mailbox ${mailbox('finance')}`));
		const received = await emulator.admin<Array<{ Subject: string }>>('Get-MailboxMessages', {
			Mailbox: mailbox('adele'),
			Folder: 'inbox',
		});
		expect(received.map((m) => m.Subject)).toContain(`e2e ${runId} managed identity`);
		expect(received.map((m) => m.Subject)).not.toContain(`e2e ${runId} must be denied`);
		const [outside] = firstRun.outputs['Secret list outside scope'];
		expect(outside.error).toEqual(expect.stringContaining(`not allowed to use mailbox ${mailbox('finance')}`));
	});

	test('list outputs messages of the named mailbox', () => {
		const shared = firstRun.outputs['MI list shared'];
		expect(shared).toHaveLength(3);
		for (const message of shared) expect(message.id ?? message.messageId).toEqual(expect.any(String));
		expect(firstRun.outputs['Secret list scoped'].length).toBeGreaterThan(0);
		expect(firstRun.outputs['OAuth2 list own'].length).toBeGreaterThan(0);
	});

	test('Test Access: scoped correctly for the scoped identity, scope leak for the unscoped app', () => {
		const scoped = firstRun.outputs['MI test access'];
		expect(scoped.map((row) => [row.mailbox, row.role, row.finding])).toEqual([
			[mailbox('notifications'), 'target', 'scoped correctly'],
			[mailbox('finance'), 'control', 'scoped correctly'],
		]);
		expect(scoped[0].verdicts).toMatchObject({ readMetadata: 'Granted', readContent: 'Granted' });
		expect(scoped[1].verdicts).toMatchObject({ readMetadata: 'Denied' });
		const leak = firstRun.outputs['Unscoped test access'];
		expect(leak.every((row) => row.finding === 'scope leak')).toBe(true);
		expect(JSON.stringify(leak)).toMatch(/New-ManagementRoleAssignment|New-ApplicationAccessPolicy/);
	});

	test(
		"the seeded refresh token was rotated and the new one is in n8n's database",
		async () => {
			const saved = await n8n.exportCredentials();
			const credential = saved.find((c) => c.id === CREDENTIAL_IDS.refreshToken)!;
			expect(credential.data.refreshToken).toEqual(expect.any(String));
			expect(credential.data.refreshToken).not.toBe(seededRefreshToken);
			expect(credential.data.accessToken).toEqual(expect.any(String));
			// The rotated token is a live one.
			const redeemed = await redeemRefreshToken(emulator, 'publicClient', credential.data.refreshToken);
			expect(redeemed.status).toBe(200);
			const oauth = saved.find((c) => c.id === CREDENTIAL_IDS.oAuth2)!;
			expect(oauth.data.oauthTokenData).toMatchObject({
				access_token: expect.any(String),
				refresh_token: expect.any(String),
			});
		},
		STEP_TIMEOUT,
	);

	test(
		"no secret or token shows up in n8n's log or in any run output",
		async () => {
			const { info } = emulator;
			const saved = await n8n.exportCredentials();
			const secrets = [
				info.scenario.apps.rbac.secret!,
				info.scenario.apps.unscoped.secret!,
				info.scenario.apps.webApp.secret!,
				seededRefreshToken,
				// A distinctive line from inside the PEM private key body.
				info.scenario.apps.rbac.certificate!.privateKeyPem!.split('\n')[5],
				...saved.flatMap((c) => [
					c.data.accessToken,
					c.data.refreshToken,
					c.data.oauthTokenData?.access_token,
					c.data.oauthTokenData?.refresh_token,
				]),
			].filter((value): value is string => typeof value === 'string' && value.length > 16);
			expect(secrets.length).toBeGreaterThanOrEqual(8);
			const produced = n8n.logs() + JSON.stringify(firstRun.run);
			expect(secrets.filter((secret) => produced.includes(secret))).toEqual([]);
		},
		STEP_TIMEOUT,
	);

	test(
		'after the access tokens expire every credential recovers (one 401, new token, saved)',
		async () => {
			const before = await n8n.exportCredentials();
			await emulator.admin('Advance-Clock', { Seconds: 2 * 3600 });
			await emulator.admin('Clear-RequestLog');
			const second = await explain(() => n8n.execute(MAIN_WORKFLOW));
			expectSucceeded(second);
			expect(second.outputs['OAuth2 list own'].length).toBeGreaterThan(0);
			expect(second.outputs['Refresh token list shared'].length).toBeGreaterThan(0);
			expect(second.outputs['MI list shared'].length).toBe(3);
			const after = await n8n.exportCredentials();
			const token = (list: typeof before, id: string) => list.find((c) => c.id === id)!.data;
			expect(token(after, CREDENTIAL_IDS.oAuth2).oauthTokenData.access_token).not.toBe(
				token(before, CREDENTIAL_IDS.oAuth2).oauthTokenData.access_token,
			);
			expect(token(after, CREDENTIAL_IDS.managedIdentity).accessToken).not.toBe(
				token(before, CREDENTIAL_IDS.managedIdentity).accessToken,
			);
			expect(token(after, CREDENTIAL_IDS.refreshToken).refreshToken).not.toBe(
				token(before, CREDENTIAL_IDS.refreshToken).refreshToken,
			);
		},
		STEP_TIMEOUT,
	);

	test('the active trigger workflow picked up the delivered message', async () => {
		expect(triggerDelivery).toBeDefined();
		const subjectsOf = (execution: any): string[] =>
			(execution?.data?.resultData?.runData?.['New Mail']?.[0]?.data?.main?.[0] ?? []).map(
				(item: any) => item.json.subject,
			);
		// Polls run every minute; the first one after the delivery brings it.
		const execution = await explain(() =>
			n8n.waitForExecution(TRIGGER_WORKFLOW, {
				after: triggerDelivery.deliveredAt - 5000,
				timeoutMs: 150_000,
				match: (e) => subjectsOf(e).includes(triggerDelivery.subject),
			}),
		);
		expect(execution.status).toBe('success');
		expect(subjectsOf(execution).filter((s) => s === triggerDelivery.subject)).toHaveLength(1);
		// Exactly once: no other execution of the trigger carries it.
		const others = [];
		for (const summary of await n8n.executions(TRIGGER_WORKFLOW)) {
			if (String(summary.id) === String(execution.id)) continue;
			if (subjectsOf(await n8n.execution(String(summary.id))).includes(triggerDelivery.subject))
				others.push(summary.id);
		}
		expect(others).toEqual([]);
	}, 200_000);
});
