/**
 * Per cloud: the package's table of what each national Graph lacks equals what Microsoft's published metadata
 * says, the trigger on China refuses at activation (naming the cloud and the alternative) without calling delta,
 * other refused features never reach Graph, and the emulator playing China or US Government answers as a Graph
 * without those segments would.
 */
import { GRAPH_LACKS, featuresOf, type GraphFeatureSet } from '../../nodes/ScopedMailbox/auth/cloudFeatures';
import { ScopedMailboxInstantTrigger } from '../../nodes/ScopedMailbox/ScopedMailboxInstantTrigger.node';
import { WebhookWorkflow } from '../harness/run-webhook';
import {
	CREDENTIALS,
	startTriggerEnv,
	triggerParameters,
	newWorkflow,
	deliver,
	type TriggerEnv,
} from '../trigger/setup';
import { binaryItem } from '../harness';
import { EXTERNAL, SUPPORT, serialiseError, startWorld, type World } from '../node/world';
import { loadMetadata, type MetadataCloud } from './oracle';

const METADATA: Record<GraphFeatureSet, MetadataCloud> = { global: 'Prod', usGov: 'Fairfax', china: 'Mooncake' };

function metadataLacks(cloud: MetadataCloud): string[] {
	const meta = loadMetadata(cloud);
	const lacks: string[] = [];
	const path = (p: string) => {
		try {
			meta.resolvePath(p);
			return true;
		} catch {
			return false;
		}
	};
	if (!path('/users/u/mailFolders/inbox/messages/delta')) lacks.push('messageDelta');
	if (!path('/users/u/messages/m/attachments/createUploadSession')) lacks.push('attachmentUploadSession');
	if (!meta.member('message', 'flag')) lacks.push('messageFlag');
	if (!meta.member('message', 'internetMessageHeaders')) lacks.push('internetMessageHeaders');
	return lacks;
}

describe('GRAPH_LACKS follows the published metadata', () => {
	it.each(Object.entries(METADATA))('%s (%s)', (set, cloud) => {
		expect([...GRAPH_LACKS[set as GraphFeatureSet]].sort()).toEqual(metadataLacks(cloud).sort());
	});

	it('China has no message delta at all (messages or mailFolders)', () => {
		const china = loadMetadata('Mooncake');
		expect(china.operation('Collection(message)', 'delta')).toBeUndefined();
		expect(china.operation('Collection(mailFolder)', 'delta')).toBeUndefined();
		expect(loadMetadata('Prod').operation('Collection(message)', 'delta')).toBeDefined();
		expect(loadMetadata('Fairfax').operation('Collection(message)', 'delta')).toBeDefined();
	});

	it('featuresOf sees the features inside a $batch body too', () => {
		expect(
			featuresOf({
				path: '/$batch',
				body: { requests: [{ url: '/users/a/messages/b', body: { flag: { flagStatus: 'flagged' } } }] },
			}),
		).toEqual(['messageFlag']);
		expect(featuresOf({ path: '/users/a/messages', qs: { $select: 'id,flag' } })).toEqual(['messageFlag']);
		expect(featuresOf({ path: '/users/a/messages', qs: { $select: 'id,flagStatus2' } })).toEqual([]);
		expect(featuresOf({ path: '/users/a/messages', qs: { $filter: "subject eq 'flag'" } })).toEqual([]);
		expect(featuresOf({ path: "/users/a/messages?$filter=flag/flagStatus eq 'flagged'" })).toEqual(['messageFlag']);
	});
});

describe('the trigger on a cloud without message delta', () => {
	let env: TriggerEnv;
	beforeAll(async () => {
		env = await startTriggerEnv();
	});
	afterAll(async () => await env?.close());

	it('fails at activation with the cloud and the alternative, and never asks Graph for a delta', async () => {
		await env.emu.admin('Set-GraphCloud', { Cloud: 'China' });
		env.store.patch('cred-app', { graphFeatureSet: 'china' });
		await deliver(env, { Subject: 'one' });
		const since = (await env.emu.admin<Array<{ seq: number }>>('Get-RequestLog')).length;
		const wf = newWorkflow(env, triggerParameters());
		const result = await wf.poll();
		expect(result.error).toBeDefined();
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(/China \(21Vianet\)/);
		expect(error.message).toMatch(/message delta/);
		expect(error.description).toMatch(/Schedule Trigger/);
		expect(error.description).toMatch(/Message > List/);
		const log = (await env.emu.admin<Array<{ path: string; kind: string }>>('Get-RequestLog')).slice(since);
		expect(log.filter((r) => /delta/i.test(r.path))).toEqual([]);
	});

	// "Include Unread Existing Mail" skips the activation's baseline read, so nothing but the cloud check stands
	// between the activation and a subscription that could only ever fail.
	it('the instant trigger fails at activation the same way, before any subscription or delta request', async () => {
		await env.emu.admin('Set-GraphCloud', { Cloud: 'China' });
		env.store.patch('cred-app', { graphFeatureSet: 'china' });
		const since = (await env.emu.admin<Array<{ seq: number }>>('Get-RequestLog')).length;
		const wf = new WebhookWorkflow({
			nodeType: new ScopedMailboxInstantTrigger(),
			parameters: triggerParameters({ options: { includeUnreadExisting: true } }),
			credentials: CREDENTIALS,
			store: env.store,
		});
		await wf.start();
		try {
			const error = (await wf.activate().then(
				() => undefined,
				(e: unknown) => e,
			)) as (Error & { description?: string }) | undefined;
			expect(error?.message).toMatch(/China \(21Vianet\) cloud does not offer message delta queries/);
			expect(error?.message).toMatch(/Instant Trigger/);
			expect(error?.description).toMatch(/Schedule Trigger/);
			const log = (await env.emu.admin<Array<{ path: string; kind: string }>>('Get-RequestLog')).slice(since);
			expect(log.filter((r) => r.kind === 'graph').map((r) => r.path)).toEqual([]);
			expect(await env.emu.admin<unknown[]>('Get-Subscriptions')).toEqual([]);
		} finally {
			await wf.stop();
			env.store.patch('cred-app', { graphFeatureSet: 'global' });
			await env.emu.admin('Set-GraphCloud', { Cloud: 'Global' });
		}
	});

	it('the emulator playing China refuses messages/delta as a Graph without that function would', async () => {
		await env.emu.admin('Set-GraphCloud', { Cloud: 'China' });
		const app = env.emu.info.scenario.apps.rbac;
		const tokenRes = await fetch(`${env.emu.info.authorityHost}/${env.emu.info.scenario.tenant.id}/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: app.appId,
				client_secret: app.secrets[0].value,
				scope: `${env.emu.info.graphBaseUrl}/.default`,
			}),
		});
		const { access_token: token } = (await tokenRes.json()) as { access_token: string };
		const get = async (path: string) => {
			const res = await fetch(`${env.emu.info.graphBaseUrl}/v1.0${path}`, {
				headers: { Authorization: `Bearer ${token}` },
			});
			return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
		};
		const mailbox = '/users/support@contoso.onmicrosoft.com';
		const delta = await get(`${mailbox}/mailFolders/inbox/messages/delta`);
		expect(delta.status).toBe(400);
		expect(delta.body.error?.message).toBe("Resource not found for the segment 'delta'.");
		const flag = await get(`${mailbox}/messages?$select=id,flag`);
		expect(flag.status).toBe(400);
		expect(flag.body.error?.message).toMatch(/Could not find a property named 'flag'/);
		expect((await get(`${mailbox}/messages?$select=id,subject`)).status).toBe(200);
		await env.emu.admin('Set-GraphCloud', { Cloud: 'Global' });
		expect((await get(`${mailbox}/mailFolders/inbox/messages/delta`)).status).toBe(200);
		expect((await get(`${mailbox}/messages?$select=id,flag`)).status).toBe(200);
	});
});

describe('action node operations on clouds that lack a feature', () => {
	let world: World;
	beforeAll(async () => {
		world = await startWorld();
	});
	afterAll(async () => await world?.close());

	const graphAfter = async (seq: number) =>
		(
			await world.emu.admin<Array<{ seq: number; method: string; path: string; kind: string }>>('Get-RequestLog')
		).filter((r) => r.seq > seq && (r.kind === 'graph' || r.kind === 'batch-inner'));
	const lastSeq = async () => {
		const log = await world.emu.admin<Array<{ seq: number }>>('Get-RequestLog');
		return log.length ? log[log.length - 1].seq : 0;
	};

	it('China: List works without the flag, Update of a flag and custom headers are refused before Graph', async () => {
		await world.emu.admin('Set-GraphCloud', { Cloud: 'China' });
		world.store.patch('rbac', { graphFeatureSet: 'china' });
		try {
			await world.emu.admin('Deliver-Message', { To: SUPPORT, Subject: 'China mail' });
			const listed = await world.run('rbac', {
				resource: 'message',
				operation: 'list',
				mailbox: SUPPORT,
				folder: { __rl: true, mode: 'id', value: 'inbox' },
				filters: { subjectContains: 'China mail' },
			});
			expect(serialiseError(listed.error)).toBeUndefined();
			expect(listed.items).toHaveLength(1);
			expect(listed.items[0].json.flagStatus).toBeUndefined();
			const id = listed.items[0].json.id as string;

			let seq = await lastSeq();
			const flagged = await world.run('rbac', {
				resource: 'message',
				operation: 'update',
				mailbox: SUPPORT,
				messageId: id,
				updateFields: { flagStatus: 'flagged' },
			});
			expect(flagged.error?.message).toMatch(/China \(21Vianet\) cloud does not offer the message "flag" property/);
			expect((await graphAfter(seq)).filter((r) => r.method === 'PATCH')).toEqual([]);

			seq = await lastSeq();
			const headers = await world.run('rbac', {
				resource: 'message',
				operation: 'send',
				mailbox: SUPPORT,
				toRecipients: EXTERNAL,
				subject: 'x',
				bodyContentType: 'text',
				bodyContent: 'x',
				additionalFields: { internetMessageHeaders: { headers: [{ name: 'X-A', value: '1' }] } },
			});
			expect(headers.error?.message).toMatch(/internetMessageHeaders/);
			expect(await graphAfter(seq)).toEqual([]);

			const read = await world.run('rbac', {
				resource: 'message',
				operation: 'update',
				mailbox: SUPPORT,
				messageId: id,
				updateFields: { readStatus: 'read' },
			});
			expect(serialiseError(read.error)).toBeUndefined();
		} finally {
			await world.emu.admin('Set-GraphCloud', { Cloud: 'Global' });
			world.store.patch('rbac', { graphFeatureSet: 'global' });
		}
	});

	it('US Government: an attachment over 3 MB is refused before a draft exists; small ones are sent', async () => {
		await world.emu.admin('Set-GraphCloud', { Cloud: 'USGov' });
		world.store.patch('rbac', { graphFeatureSet: 'usGov' });
		try {
			const big = await binaryItem({ property: 'data', fileName: 'big.bin', sizeBytes: 3 * 1024 * 1024 + 1 });
			const seq = await lastSeq();
			const send = (subject: string) => ({
				resource: 'message',
				operation: 'send',
				mailbox: SUPPORT,
				toRecipients: EXTERNAL,
				subject,
				bodyContentType: 'text',
				bodyContent: 'x',
				additionalFields: { attachments: 'data' },
			});
			const refused = await world.run('rbac', send('Too big for US Gov'), { items: [big] });
			expect(refused.error?.message).toMatch(/US Government .* does not offer upload sessions for message attachments/);
			expect(String((refused.error as { description?: string }).description)).toMatch(/at most 3 MB/);
			expect(await graphAfter(seq)).toEqual([]);
			const small = await binaryItem({ property: 'data', fileName: 'small.txt', sizeBytes: 100 });
			const sent = await world.run('rbac', send('Small for US Gov'), { items: [small] });
			expect(serialiseError(sent.error)).toBeUndefined();
		} finally {
			await world.emu.admin('Set-GraphCloud', { Cloud: 'Global' });
			world.store.patch('rbac', { graphFeatureSet: 'global' });
		}
	});
});
