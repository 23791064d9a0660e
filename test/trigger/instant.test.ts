/**
 * The instant trigger in n8n-core (HookContext, WebhookContext) behind an HTTPS server, against the in-process
 * emulator's /subscriptions: activation and validation, exactly-once under duplicated, reordered and dropped
 * notifications and a burst, forged notifications, lifecycle events, a short Graph maximum, deactivation.
 */
import { ScopedMailboxInstantTrigger } from '../../nodes/ScopedMailbox/ScopedMailboxInstantTrigger.node';
import { WebhookWorkflow } from '../harness/run-webhook';
import { CREDENTIALS, MAILBOX, deliver, startTriggerEnv, triggerParameters, type TriggerEnv } from './setup';
import { waitFor, waitForRequests } from '../harness/waitFor';

let env: TriggerEnv;
let wf: WebhookWorkflow;

beforeAll(async () => {
	env = await startTriggerEnv();
});
afterAll(async () => {
	await env?.close();
});
afterEach(async () => {
	await wf?.stop();
	await env.emu.admin('Clear-NotificationFaults');
	await env.emu.admin('Set-SubscriptionSettings', { MaxExpirationMinutes: 10080 });
	for (const s of await env.emu.admin<any[]>('Get-Subscriptions'))
		await env.emu.admin('Remove-Subscription', { Id: s.Id, Notify: false });
});

const workflowLog = () => wf?.currentLogText() ?? '';

async function activated(folders = ['inbox']) {
	wf = new WebhookWorkflow({
		nodeType: new ScopedMailboxInstantTrigger(),
		parameters: triggerParameters({}, folders),
		credentials: CREDENTIALS,
		store: env.store,
	});
	await wf.start();
	await wf.activate();
	return wf;
}

/** The node's static data (n8n keeps it under `node:<name>`). */
const nodeState = () => wf.staticData[`node:${wf.node.name}`] as any;

const emittedIds = () => wf.executions.flat().map((i) => String(i.json.id));

test('activation subscribes with a secret clientState, Graph validates both URLs; mail starts one execution', async () => {
	await activated();
	const [sub] = await env.emu.admin<any[]>('Get-Subscriptions');
	expect(sub).toMatchObject({
		NotificationUrl: `${wf.base}/webhook/${wf.node.webhookId}/notifications`,
		LifecycleNotificationUrl: `${wf.base}/webhook/${wf.node.webhookId}/lifecycle`,
		HasClientState: true,
	});
	const secret = nodeState().instant.clientState as string;
	expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
	const [id] = await deliver(env, { Subject: 'hello' });
	await waitFor(() => emittedIds().includes(id), { what: 'an execution', context: workflowLog });
	expect(wf.executions).toHaveLength(1);
	expect(wf.executions[0][0].json).toMatchObject({ id, subject: 'hello', mailbox: MAILBOX });
	expect(JSON.stringify(wf.executions)).not.toContain(secret);
	expect(wf.currentLogText()).not.toContain(secret);
});

test('duplicated, reordered and dropped notifications of a burst: every message exactly once', async () => {
	await activated();
	await env.emu.admin('Set-NotificationFaults', { DropRate: 0.1, DuplicateRate: 0.2, ReorderWindow: 8, Seed: 3 });
	const ids = await deliver(env, { Count: 120 });
	await env.emu.admin('Clear-NotificationFaults');
	// A dropped tail is what `missed` is for; one more message wakes the node too.
	const [last] = await deliver(env, { Subject: 'last' });
	await waitFor(() => [...ids, last].every((id) => emittedIds().includes(id)), {
		what: 'all emitted',
		timeoutMs: 60_000,
		context: workflowLog,
	});
	await wf.settle();
	const seen = emittedIds();
	expect(seen.length).toBe(new Set(seen).size);
	const log = await env.emu.admin<any[]>('Get-NotificationLog');
	expect(log.some((e) => e.kind === 'dropped')).toBe(true);
	// Coalescing: far fewer executions (and delta reads) than notifications.
	expect(wf.executions.length).toBeLessThan(ids.length / 4);
});

test('a notification without this node’s clientState or for another subscription gets 403 and starts nothing', async () => {
	await activated();
	const [sub] = await env.emu.admin<any[]>('Get-Subscriptions');
	const post = (item: Record<string, unknown>) =>
		fetch(sub.NotificationUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ value: [{ changeType: 'created', resource: 'Users/x/Messages/y', ...item }] }),
		});
	const secret = nodeState().instant.clientState as string;
	expect((await post({ subscriptionId: sub.Id, clientState: 'guess' })).status).toBe(403);
	expect((await post({ subscriptionId: 'someone-else', clientState: secret })).status).toBe(403);
	expect((await post({ subscriptionId: sub.Id })).status).toBe(403);
	const token = await fetch(`${sub.NotificationUrl}?validationToken=${encodeURIComponent('a<b> c')}`, {
		method: 'POST',
	});
	expect(token.status).toBe(200);
	expect(token.headers.get('content-type')).toMatch(/^text\/plain/);
	expect(await token.text()).toBe('a<b> c');
	await wf.settle();
	expect(wf.executions).toHaveLength(0);
});

test('lifecycle: reauthorizationRequired renews, subscriptionRemoved re-creates and catches up, missed catches up', async () => {
	await activated();
	const [sub] = await env.emu.admin<any[]>('Get-Subscriptions');
	const since = (await env.emu.admin<Array<{ seq: number }>>('Get-RequestLog')).at(-1)?.seq ?? 0;
	await env.emu.admin('Send-LifecycleEvent', { Id: sub.Id, Event: 'reauthorizationRequired' });
	const renewals = await waitForRequests(
		env.emu,
		(e) => e.method === 'PATCH' && e.path.includes(`/subscriptions/${sub.Id}`),
		{ since, what: 'a renewal of the subscription', context: workflowLog },
	);
	expect(renewals.map((e) => e.status)).toEqual([200]);

	await wf.settle(); // the renewal's own read is over
	// Mail whose notification is lost, then Graph removes the subscription.
	await env.emu.admin('Set-NotificationFaults', { DropNext: 1 });
	const [gap] = await deliver(env, { Subject: 'gap' });
	await env.emu.admin('Remove-Subscription', { Id: sub.Id });
	const fresh = await waitFor(
		async () => {
			const now = await env.emu.admin<any[]>('Get-Subscriptions');
			return now.length === 1 && now[0].Id !== sub.Id && now[0];
		},
		{ what: 'a new subscription', context: workflowLog },
	);
	await waitFor(() => emittedIds().includes(gap), { what: 'the gap mail', context: workflowLog });
	expect(wf.currentLogText()).toContain(`subscription ${sub.Id} for folder inbox was removed by Microsoft Graph`);
	await wf.settle();

	await env.emu.admin('Set-NotificationFaults', { DropNext: 1 });
	const [lost] = await deliver(env, { Subject: 'lost' });
	await env.emu.admin('Send-LifecycleEvent', { Id: fresh.Id, Event: 'missed' });
	await waitFor(() => emittedIds().includes(lost), {
		what: 'the missed mail',
		context: workflowLog,
	});
	expect(emittedIds().filter((id) => id === gap || id === lost)).toHaveLength(2);
});

test('a Graph maximum shorter than asked is honoured; deactivation deletes the subscriptions', async () => {
	await env.emu.admin('Set-SubscriptionSettings', { MaxExpirationMinutes: 4230 });
	await activated(['inbox', 'sentitems']);
	const subs = await env.emu.admin<any[]>('Get-Subscriptions');
	expect(subs).toHaveLength(2);
	for (const s of subs) {
		const minutes = (Date.parse(s.ExpirationDateTime) - Date.now()) / 60_000;
		expect(minutes).toBeGreaterThan(4200);
		expect(minutes).toBeLessThanOrEqual(4230);
	}
	await wf.deactivate();
	expect(await env.emu.admin<any[]>('Get-Subscriptions')).toHaveLength(0);
	expect(nodeState().instant).toBeUndefined();
});
