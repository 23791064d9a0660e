/**
 * Every request the package sends (each operation of the action node, Test Access, the trigger; $batch inner
 * requests included) addresses a path, action, function and properties ($select, $filter, $orderby, $expand)
 * that Microsoft Graph's published v1.0 metadata has: for Global always, and for US Government and China
 * unless the package refuses that request there before sending it (auth/cloudFeatures.ts). The requests are
 * taken from the emulator's request log, not from the package's source.
 */
import { featuresOf, graphLacks, type GraphFeatureSet } from '../../nodes/ScopedMailbox/auth/cloudFeatures';
import { MESSAGE_FIELD_OPTIONS } from '../../nodes/ScopedMailbox/actions/common/output';

const MESSAGE_FIELDS = MESSAGE_FIELD_OPTIONS.map((o) => String(o.value));
import { binaryItem } from '../harness';
import { EXTERNAL, NOTIFICATIONS, SUPPORT, serialiseError, startWorld, type World } from '../node/world';
import { deliver, newWorkflow, startTriggerEnv, triggerParameters, type TriggerEnv } from '../trigger/setup';
import { loadMetadata, type MetadataCloud } from './oracle';

interface Logged {
	method: string;
	path: string;
	query: string;
	status: number;
	kind: string;
}

const CLOUDS: Array<[GraphFeatureSet, MetadataCloud]> = [
	['global', 'Prod'],
	['usGov', 'Fairfax'],
	['china', 'Mooncake'],
];

let world: World;
let trigger: TriggerEnv;
const requests: Logged[] = [];

const inbox = { __rl: true, mode: 'id', value: 'inbox' };

beforeAll(async () => {
	world = await startWorld();
	trigger = await startTriggerEnv();
	const ok = (run: { error?: unknown }) => expect(serialiseError(run.error)).toBeUndefined();

	await world.emu.admin('Deliver-Message', {
		To: SUPPORT,
		From: EXTERNAL,
		Subject: 'Oracle mail',
		Count: 3,
		Attachments: [{ Name: 'a.txt', ContentType: 'text/plain', ContentBase64: Buffer.from('a').toString('base64') }],
	});
	const listed = await world.run('rbac', {
		resource: 'message',
		operation: 'list',
		mailbox: SUPPORT,
		folder: inbox,
		returnAll: true,
		filters: {
			unreadOnly: true,
			from: EXTERNAL,
			subjectContains: 'Oracle',
			receivedAfter: '2000-01-01T00:00:00Z',
			receivedBefore: '2100-01-01T00:00:00Z',
			hasAttachments: true,
			importance: 'normal',
			customFilter: "categories/any(c: c eq 'x') or isDraft eq false",
		},
		options: { downloadAttachments: true },
	});
	ok(listed);
	const ids = listed.items.map((i) => i.json.id as string);
	expect(ids.length).toBe(3);
	ok(
		await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			filters: { search: 'Oracle' },
		}),
	);
	ok(
		await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: inbox,
			output: 'selected',
			fields: MESSAGE_FIELDS,
			options: { orderBy: 'subject' },
		}),
	);
	const items = ids.map((id) => ({ id }));
	ok(
		await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'get',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				output: 'selected',
				fields: MESSAGE_FIELDS,
			},
			{ items },
		),
	);
	ok(
		await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'update',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				updateFields: { readStatus: 'read', categories: 'Blue', flagStatus: 'flagged' },
			},
			{ items },
		),
	);
	const attachments = await world.run('rbac', {
		resource: 'attachment',
		operation: 'list',
		mailbox: SUPPORT,
		messageId: ids[0],
	});
	ok(attachments);
	ok(
		await world.run('rbac', {
			resource: 'attachment',
			operation: 'download',
			mailbox: SUPPORT,
			messageId: ids[0],
			attachmentId: attachments.items[0].json.id as string,
		}),
	);
	const logs = await binaryItem({ property: 'logs', fileName: 'logs.tar', sizeBytes: 3 * 1024 * 1024 + 11 });
	ok(
		await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'reply',
				mailbox: SUPPORT,
				messageId: ids[0],
				replyType: 'reply',
				comment: 'Here.',
				additionalFields: { attachments: 'logs' },
			},
			{ items: [logs] },
		),
	);
	ok(
		await world.run('rbac', {
			resource: 'message',
			operation: 'reply',
			mailbox: SUPPORT,
			messageId: ids[1],
			replyType: 'replyAll',
			comment: 'Thanks.',
		}),
	);
	ok(
		await world.run('rbac', {
			resource: 'message',
			operation: 'forward',
			mailbox: SUPPORT,
			messageId: ids[1],
			toRecipients: EXTERNAL,
			comment: 'FYI',
		}),
	);
	ok(
		await world.run('rbac', {
			resource: 'message',
			operation: 'send',
			mailbox: SUPPORT,
			toRecipients: EXTERNAL,
			subject: 'Oracle send',
			bodyContentType: 'text',
			bodyContent: 'x',
			additionalFields: { internetMessageHeaders: { headers: [{ name: 'X-Oracle', value: '1' }] } },
		}),
	);
	ok(
		await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'move',
				mailbox: SUPPORT,
				messageId: '={{ $json.id }}',
				destinationFolder: { __rl: true, mode: 'id', value: 'archive' },
			},
			{ items: items.slice(0, 2) },
		),
	);
	ok(await world.run('rbac', { resource: 'message', operation: 'delete', mailbox: SUPPORT, messageId: ids[2] }));
	ok(
		await world.run('mi', {
			resource: 'mailbox',
			operation: 'testAccess',
			mailbox: NOTIFICATIONS,
			controlMailbox: SUPPORT,
			expectedCapabilities: ['readMetadata', 'readContent'],
		}),
	);
	const log = await world.emu.admin<Logged[]>('Get-RequestLog');
	requests.push(...log.filter((r) => r.kind === 'graph' || r.kind === 'batch-inner'));

	// The trigger: baseline, a new message, a live round and the output read.
	const wf = newWorkflow(trigger, triggerParameters({ output: 'raw' }));
	expect((await wf.poll()).error).toBeUndefined();
	await deliver(trigger, { Subject: 'new one' });
	const second = await wf.poll();
	expect(second.error).toBeUndefined();
	const triggerLog = await trigger.emu.admin<Logged[]>('Get-RequestLog');
	requests.push(...triggerLog.filter((r) => r.kind === 'graph' || r.kind === 'batch-inner'));
}, 120_000);

afterAll(async () => {
	await world?.close();
	await trigger?.close();
});

function problemsIn(cloud: MetadataCloud, request: Logged): string[] {
	if (request.path === '/v1.0/$batch') return [];
	const meta = loadMetadata(cloud);
	try {
		const resolved = meta.resolvePath(request.path);
		return meta
			.checkQuery(resolved.type, new URLSearchParams(request.query))
			.map((p) => `${request.method} ${request.path}?${request.query}: ${p}`);
	} catch (error) {
		return [`${request.method} ${request.path}: ${(error as Error).message}`];
	}
}

describe('requests the package sends exist in the metadata of the cloud it runs against', () => {
	it('covers every kind of request (sanity)', () => {
		const paths = requests.map((r) => r.path).join('\n');
		for (const part of [
			'/messages',
			'/attachments',
			'/createUploadSession',
			'/reply',
			'/forward',
			'/sendMail',
			'/move',
			'/messages/delta',
			'/$batch',
		]) {
			expect(paths).toContain(part);
		}
		const queries = requests.map((r) => decodeURIComponent(r.query)).join('\n');
		for (const part of ['$select=', '$filter=', '$orderby=', 'any(']) expect(queries).toContain(part);
	});

	it.each(CLOUDS)('%s (%s)', (set, cloud) => {
		const problems = requests
			// What the package refuses in this cloud before sending is not a request it makes there.
			.filter((r) => !featuresOf({ path: `${r.path}?${r.query.replace(/^\?/, '')}` }).some((f) => graphLacks(set, f)))
			.flatMap((r) => problemsIn(cloud, r));
		expect([...new Set(problems)]).toEqual([]);
	});
});
