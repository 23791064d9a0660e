/**
 * The instant trigger in a real n8n 2.41.1 serving its webhooks over HTTPS (certificate from the emulator's test
 * CA), against the emulator as its own process: activation creates the subscription (Graph validates both URLs),
 * delivered mail starts the workflow, duplicates and forged notifications start nothing, a subscription removed
 * by Graph and an n8n restart are recovered, deactivation deletes the subscription. SCOPED_MAILBOX_SKIP_E2E=1 skips.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
	REPO_ROOT,
	httpsJson,
	sleep,
	startEmulatorProcess,
	startN8n,
	type EmulatorProcess,
	type N8nServer,
} from './n8nServer';
import {
	instantTriggerWorkflow,
	managedIdentityCredential,
	appSecretCredential,
	refreshTokenCredential,
} from './templates';
import { seedRefreshToken } from './identityFlows';

const skip = process.env.SCOPED_MAILBOX_SKIP_E2E === '1';
const describeE2e = skip ? describe.skip : describe;
const SETUP_TIMEOUT = 15 * 60_000;
const STEP = 3 * 60_000;

const WORKFLOW = 'e2eInstantFlow01';
const WEBHOOK_ID = '6b1d2c3e-4f50-4a61-9b72-8c93d0e1f2a3';
const RBAC_WORKFLOW = 'e2eInstantRbac01';
const DELEGATED_WORKFLOW = 'e2eInstantDeleg1';

interface SubscriptionView {
	Id: string;
	NotificationUrl: string;
	LifecycleNotificationUrl: string | null;
	Mailbox: string;
	ExpirationDateTime: string;
	HasClientState: boolean;
}

const subjectsOf = (execution: any): string[] =>
	(execution?.data?.resultData?.runData?.['New Mail']?.[0]?.data?.main?.[0] ?? []).map((i: any) => i.json.subject);

describeE2e('instant trigger in a real n8n over HTTPS', () => {
	let emulator: EmulatorProcess;
	let n8n: N8nServer;
	const runId = Date.now().toString(36);
	const mailbox = (key: string) => emulator.info.scenario.mailboxes[key].upn;
	const subscriptions = (m = 'notifications') =>
		emulator.admin<SubscriptionView[]>('Get-Subscriptions', { Mailbox: mailbox(m) });

	const explain = async <T>(work: () => Promise<T>): Promise<T> => {
		try {
			return await work();
		} catch (error) {
			(error as Error).message += `\n--- n8n log (tail) ---\n${n8n?.logs().slice(-6000)}`;
			throw error;
		}
	};

	async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
		const deadline = Date.now() + ms;
		for (;;) {
			const v = await fn();
			if (v) return v;
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${n8n.logs().slice(-4000)}`);
			await sleep(250);
		}
	}

	/** Executions of the workflow that carry `subject`. */
	async function carrying(workflowId: string, subject: string): Promise<any[]> {
		const out = [];
		for (const summary of await n8n.executions(workflowId)) {
			const full = await n8n.execution(String(summary.id));
			if (subjectsOf(full).includes(subject)) out.push(full);
		}
		return out;
	}

	async function deliver(subject: string, to = mailbox('notifications')) {
		const at = Date.now();
		await emulator.admin('Deliver-Message', { To: to, From: mailbox('adele'), Subject: subject });
		return at;
	}

	beforeAll(async () => {
		mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
		const logFile = join(REPO_ROOT, 'test', '.tmp', 'e2e-instant.log');
		writeFileSync(logFile, '');
		const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
		emulator = await startEmulatorProcess('all', { log });
		n8n = await startN8n({ emulator, log, https: true });
		log(`n8n at ${n8n.url}; timings ${JSON.stringify(n8n.timings)}`);
		await explain(async () => {
			const { info } = emulator;
			const seeded = await seedRefreshToken(emulator, 'publicClient', 'megan');
			await n8n.importCredentials([
				managedIdentityCredential(info),
				appSecretCredential(info, 'rbac'),
				refreshTokenCredential(info, seeded),
			]);
			await n8n.importWorkflow(
				instantTriggerWorkflow(
					WORKFLOW,
					'E2E: instant trigger on the shared mailbox',
					managedIdentityCredential(info),
					mailbox('notifications'),
					WEBHOOK_ID,
				),
			);
		});
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		await n8n?.stop();
		await emulator?.close();
	}, 60_000);

	test(
		'activation creates one subscription to n8n’s HTTPS webhook URLs (both validated by Graph)',
		async () => {
			await explain(() => n8n.activate(WORKFLOW));
			// n8n may answer the activation before the trigger has set itself up.
			const [sub] = await until('the subscription', async () => {
				const now = await subscriptions();
				return now.length > 0 && now;
			});
			expect(sub.NotificationUrl).toBe(`${n8n.url}/webhook/${WEBHOOK_ID}/notifications`);
			expect(sub.LifecycleNotificationUrl).toBe(`${n8n.url}/webhook/${WEBHOOK_ID}/lifecycle`);
			expect(sub.HasClientState).toBe(true);
			const validations = await emulator.admin<any[]>('Get-NotificationLog', { Kind: 'validation' });
			expect(validations.map((v) => v.status)).toEqual([200, 200]);
			// The secret is in no log line.
			expect(n8n.logs()).not.toMatch(/clientState"?\s*[:=]\s*"?[A-Za-z0-9_-]{43}/);
		},
		STEP,
	);

	test(
		'delivered mail starts the workflow once, within seconds',
		async () => {
			const subject = `instant ${runId} first`;
			const at = await deliver(subject);
			const execution = await explain(() =>
				n8n.waitForExecution(WORKFLOW, {
					after: at - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(subject),
				}),
			);
			expect(execution.status).toBe('success');
			expect(subjectsOf(execution)).toEqual([subject]);
		},
		STEP,
	);

	test(
		'a notification delivered twice starts one execution; a forged one is refused with 403',
		async () => {
			await emulator.admin('Set-NotificationFaults', { DuplicateRate: 1 });
			const subject = `instant ${runId} duplicated`;
			const since = (await emulator.admin<any[]>('Get-NotificationLog')).at(-1)?.seq ?? 0;
			const at = await deliver(subject);
			await explain(() =>
				n8n.waitForExecution(WORKFLOW, {
					after: at - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(subject),
				}),
			);
			await until('both copies answered', async () => {
				const log = await emulator.admin<any[]>('Get-NotificationLog', { Since: since, Kind: 'change' });
				return log.filter((e) => e.status === 202).length >= 2;
			});
			await emulator.admin('Clear-NotificationFaults');
			// The second copy's wake-up has finished once a later message is emitted on its own.
			const marker = `instant ${runId} after duplicate`;
			const at2 = await deliver(marker);
			await n8n.waitForExecution(WORKFLOW, {
				after: at2 - 2000,
				timeoutMs: 60_000,
				match: (e) => subjectsOf(e).includes(marker),
			});
			expect(await carrying(WORKFLOW, subject)).toHaveLength(1);

			const before = (await n8n.executions(WORKFLOW)).length;
			const [sub] = await subscriptions();
			const forged = await httpsJson(sub.NotificationUrl, {
				body: {
					value: [
						{
							subscriptionId: sub.Id,
							clientState: 'not-the-secret',
							changeType: 'created',
							resource: 'Users/x/Messages/y',
						},
					],
				},
			});
			expect(forged.status).toBe(403);
			await sleep(1000);
			expect((await n8n.executions(WORKFLOW)).length).toBe(before);
		},
		STEP,
	);

	test(
		'a subscription Graph removes is created again and the mail of the gap comes through delta',
		async () => {
			const [sub] = await subscriptions();
			// Mail arrives while notifications are dropped, then Graph removes the subscription.
			await emulator.admin('Set-NotificationFaults', { DropNext: 1 });
			const gap = `instant ${runId} in the gap`;
			const at = await deliver(gap);
			await emulator.admin('Remove-Subscription', { Id: sub.Id });
			const fresh = await until('a new subscription', async () => {
				const now = await subscriptions();
				return now.length === 1 && now[0].Id !== sub.Id && now[0];
			});
			expect(fresh.NotificationUrl).toBe(sub.NotificationUrl);
			await explain(() =>
				n8n.waitForExecution(WORKFLOW, {
					after: at - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(gap),
				}),
			);
			expect(n8n.logs()).toMatch(new RegExp(`subscription ${sub.Id} for folder inbox was removed by Microsoft Graph`));
			const next = `instant ${runId} after re-create`;
			const at2 = await deliver(next);
			await n8n.waitForExecution(WORKFLOW, {
				after: at2 - 2000,
				timeoutMs: 60_000,
				match: (e) => subjectsOf(e).includes(next),
			});
			expect(await carrying(WORKFLOW, gap)).toHaveLength(1);
		},
		STEP,
	);

	test(
		'after an n8n restart the subscription and its webhooks work on; one deleted behind its back is re-made at activation',
		async () => {
			const [sub] = await subscriptions();
			await n8n.restart();
			const kept = await until(
				'the subscription after restart',
				async () => (await subscriptions()).length === 1 && (await subscriptions())[0],
			);
			expect(kept.Id).toBe(sub.Id);
			const subject = `instant ${runId} after restart`;
			const at = await deliver(subject);
			await explain(() =>
				n8n.waitForExecution(WORKFLOW, {
					after: at - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(subject),
				}),
			);

			// Deleted behind its back, with no lifecycle event: n8n does not set up webhooks that it has stored on a
			// restart, so the next activation is where it is noticed and the subscription made again.
			await emulator.admin('Remove-Subscription', { Id: sub.Id, Notify: false });
			await n8n.deactivate(WORKFLOW);
			await until('the deactivation', async () =>
				new RegExp(`subscription ${sub.Id} was already gone from Microsoft Graph`).test(n8n.logs()),
			);
			await n8n.activate(WORKFLOW);
			const again = await until('a re-created subscription', async () => {
				const now = await subscriptions();
				return now.length === 1 && now[0].Id !== sub.Id && now[0];
			});
			const later = `instant ${runId} after re-activation`;
			const at2 = await deliver(later);
			await explain(() =>
				n8n.waitForExecution(WORKFLOW, {
					after: at2 - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(later),
				}),
			);
			expect(again.Id).not.toBe(sub.Id);
		},
		STEP * 2,
	);

	test(
		'deactivation deletes the subscription',
		async () => {
			await n8n.deactivate(WORKFLOW);
			await until('no subscription', async () => (await subscriptions()).length === 0);
		},
		STEP,
	);

	test(
		'an app with Exchange RBAC subscribes to its scoped mailbox; delegated credentials cannot subscribe to a shared one',
		async () => {
			const { info } = emulator;
			await n8n.importWorkflow(
				instantTriggerWorkflow(
					RBAC_WORKFLOW,
					'E2E: instant RBAC',
					appSecretCredential(info, 'rbac'),
					mailbox('support'),
					'7c2e3d4f-5061-4b72-8c83-9da4e5f6a7b8',
				),
			);
			await explain(() => n8n.activate(RBAC_WORKFLOW));
			await until('the RBAC subscription', async () => (await subscriptions('support')).length === 1);
			const subject = `instant ${runId} rbac`;
			const at = await deliver(subject, mailbox('support'));
			await explain(() =>
				n8n.waitForExecution(RBAC_WORKFLOW, {
					after: at - 2000,
					timeoutMs: 60_000,
					match: (e) => subjectsOf(e).includes(subject),
				}),
			);
			await n8n.deactivate(RBAC_WORKFLOW);

			await n8n.importWorkflow(
				instantTriggerWorkflow(
					DELEGATED_WORKFLOW,
					'E2E: instant delegated on a shared mailbox',
					refreshTokenCredential(info, 'unused'),
					mailbox('notifications'),
					'8d3f4e50-6172-4c83-9d94-aeb5f6a7b8c9',
				),
			);
			// n8n records a failed activation as the workflow's activation error (the REST call may still succeed).
			const refused = await n8n.activate(DELEGATED_WORKFLOW).then(
				() => '',
				(error: Error) => error.message,
			);
			await until('the refusal in n8n', async () =>
				/signed-in user's own mailbox/.test(`${refused}\n${n8n.logs().slice(-30000)}`),
			);
			expect(await subscriptions()).toHaveLength(0);
		},
		STEP,
	);
});
