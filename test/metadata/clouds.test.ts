/**
 * Per cloud: the package's table of what each national Graph lacks equals what Microsoft's published metadata
 * says, the trigger on China refuses at activation (naming the cloud and the alternative) without calling delta,
 * other refused features never reach Graph, and the emulator playing China or US Government answers as a Graph
 * without those segments would.
 */
import { GRAPH_LACKS, featuresOf, type GraphFeatureSet } from '../../nodes/ScopedMailbox/auth/cloudFeatures';
import { startTriggerEnv, triggerParameters, newWorkflow, deliver, type TriggerEnv } from '../trigger/setup';
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
