/**
 * What Graph's delta really returns (issue 11.2, 11.3) and what a burst costs (issue 16): ids that survive the
 * trigger's own move, old mail changed in every way a person changes mail, pruned emitted ids, a 2,000 burst.
 */
import type { PollingWorkflow } from '../harness';
import { KEEP_RECENT, SEEN_WINDOW_SECONDS, idHash } from '../../nodes/ScopedMailbox/trigger/state';
import {
	MAILBOX,
	deliver,
	graphFetch,
	idsOf,
	newFolder,
	newWorkflow,
	startTriggerEnv,
	triggerParameters,
	type TriggerEnv,
} from './setup';

interface LogEntry {
	seq: number;
	method: string;
	path: string;
	status: number;
	kind: string;
}

let env: TriggerEnv;
let folderSeq = 0;

beforeAll(async () => {
	env = await startTriggerEnv();
});

afterAll(async () => {
	await env?.close();
});

afterEach(async () => {
	await env.emu.admin('Set-DeltaExtras', { Mailbox: MAILBOX, Mode: 'documented' });
});

async function activate(wf: PollingWorkflow) {
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
}

async function lastSeq(): Promise<number> {
	const log = await env.emu.admin<LogEntry[]>('Get-RequestLog', {});
	return log.length ? log[log.length - 1].seq : 0;
}

async function graphRequestsSince(seq: number): Promise<LogEntry[]> {
	return (await env.emu.admin<LogEntry[]>('Get-RequestLog', { Since: seq })).filter((e) => e.kind === 'graph');
}

/** Every way a person changes a message in Outlook, one after the other. */
async function changeInEveryWay(id: string) {
	const set = async (change: Record<string, unknown>) =>
		await env.emu.admin('Set-MailboxMessage', { Mailbox: MAILBOX, MessageId: id, ...change });
	await set({ IsRead: true });
	await set({ IsRead: false });
	await set({ FlagStatus: 'flagged' });
	await set({ FlagStatus: 'complete' });
	await set({ Categories: ['Red category'] });
	await set({ Importance: 'high' });
	await set({ Subject: 'edited subject' });
	await set({ Body: '<p>edited body</p>' });
}

test('"Move To" after emitting: the emitted id still works for a downstream Get and Reply', async () => {
	const from = await newFolder(env, `Changes Move ${++folderSeq}`);
	const wf = newWorkflow(
		env,
		triggerParameters({ postAction: 'move', moveTo: { __rl: true, mode: 'id', value: 'archive' } }, [from]),
	);
	await activate(wf);
	await deliver(env, { Folder: from, Subject: 'file me' });
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toHaveLength(1);
	expect(r.items![0].json.postActionError).toBeUndefined();
	const id = String(r.items![0].json.id);
	// What the next node does with {{$json.id}} once the trigger has filed the message.
	const get = await graphFetch(env, 'GET', `/users/${encodeURIComponent(MAILBOX)}/messages/${encodeURIComponent(id)}`);
	expect(get.status).toBe(200);
	expect(await get.json()).toMatchObject({ subject: 'file me' });
	const draft = await graphFetch(
		env,
		'POST',
		`/users/${encodeURIComponent(MAILBOX)}/messages/${encodeURIComponent(id)}/createReply`,
		{},
	);
	expect(draft.status).toBe(201);
});

test('the trigger emits immutable ids: its delta and list requests ask for them', async () => {
	const folder = await newFolder(env, `Changes Header ${++folderSeq}`, 2);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const [id] = await deliver(env, { Folder: folder });
	const r = await wf.poll();
	// The emitted id is the immutable one: it names the message wherever it is filed later.
	expect(idsOf(r)).toEqual([id]);
	expect(id).toMatch(/^AAkALgAA/);
});

test.each([
	['documented (read state), full entries', { Mode: 'documented' }],
	['every update, full entries', { Mode: 'all' }],
	['every update, partial entries', { Mode: 'all', Partial: true }],
])(
	'old mail changed in every way never starts the workflow; new mail still does (%s)',
	async (_name, extras) => {
		await env.emu.admin('Set-DeltaExtras', { Mailbox: MAILBOX, ...extras });
		const folder = await newFolder(env, `Changes Old ${++folderSeq}`, 3);
		const old = (
			await env.emu.admin<Array<{ ImmutableId: string }>>('Get-MailboxMessages', { Mailbox: MAILBOX, Folder: folder })
		).map((m) => m.ImmutableId);
		const wf = newWorkflow(env, triggerParameters({}, [folder]));
		await activate(wf);
		// One new message, emitted; then it and the old ones are changed.
		const [taken] = await deliver(env, { Folder: folder, Subject: 'new one' });
		expect(idsOf(await wf.poll())).toEqual([taken]);
		for (const id of [...old, taken]) await changeInEveryWay(id);
		const [fresh] = await deliver(env, { Folder: folder, Subject: 'newer one' });
		const r = await wf.poll();
		expect(r.error).toBeUndefined();
		expect(idsOf(r)).toEqual([fresh]);
		for (const id of old) await changeInEveryWay(id);
		const quiet = await wf.poll();
		expect(quiet.error).toBeUndefined();
		expect(quiet.items).toBeNull();
	},
	30_000,
);

test('an emitted message whose id was pruned from the emitted set does not start the workflow again when it changes', async () => {
	await env.emu.admin('Set-DeltaExtras', { Mailbox: MAILBOX, Mode: 'all' });
	const folder = await newFolder(env, `Changes Pruned ${++folderSeq}`);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const [first] = await deliver(env, { Folder: folder, Subject: 'first' });
	expect(idsOf(await wf.poll())).toEqual([first]);
	// Time passes and more than KEEP_RECENT newer messages are emitted: the first one's id is pruned.
	await env.emu.admin('Advance-Clock', { Seconds: SEEN_WINDOW_SECONDS + 60 });
	const burst = await deliver(env, { Folder: folder, Count: KEEP_RECENT + 20 });
	expect(idsOf(await wf.poll())).toHaveLength(burst.length);
	const state = (Object.values(wf.memoryStaticData)[0] as { scopedMailbox: { emitted: Array<[string, number]> } })
		.scopedMailbox;
	expect(state.emitted.map(([h]) => h)).not.toContain(idHash(`${folder}|${first}`));
	await changeInEveryWay(first);
	// And one of the burst, still remembered.
	await changeInEveryWay(burst[3]);
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
}, 60_000);

test('a burst of 2,000 with default settings: every message emitted within 2 polls, well under one request each', async () => {
	const folder = await newFolder(env, `Changes Burst ${++folderSeq}`, 5);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const burst = await deliver(env, { Folder: folder, Count: 2000 });
	const since = await lastSeq();
	const emitted: string[] = [];
	for (let i = 0; i < 2; i++) {
		const r = await wf.poll();
		expect(r.error).toBeUndefined();
		emitted.push(...idsOf(r));
	}
	expect(emitted).toEqual(burst);
	const requests = await graphRequestsSince(since);
	const perMessage = requests.length / burst.length;
	console.log(
		`burst of 2000: 2 polls, ${requests.length} Graph requests (${perMessage.toFixed(3)} per message): ` +
			[...new Set(requests.map((e) => e.path.replace(/[^/]{40,}/g, '{id}')))].join(', '),
	);
	expect(perMessage).toBeLessThan(0.05);
	expect(requests.filter((e) => /\/messages\/[^/]+$/.test(e.path) && !/delta$/.test(e.path))).toEqual([]);
	expect((await wf.poll()).items).toBeNull();
}, 120_000);

test('messages read through the list window still get their attachments downloaded', async () => {
	const folder = await newFolder(env, `Changes Files ${++folderSeq}`);
	const wf = newWorkflow(env, triggerParameters({ options: { downloadAttachments: true } }, [folder]));
	await activate(wf);
	const ids = await deliver(env, {
		Folder: folder,
		Count: 5,
		Attachments: [
			{ Name: 'report.txt', ContentType: 'text/plain', ContentBase64: Buffer.from('hello').toString('base64') },
		],
	});
	const since = await lastSeq();
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(idsOf(r)).toEqual(ids);
	for (const item of r.items!) expect(item.binary?.attachment_0).toMatchObject({ fileName: 'report.txt' });
	const requests = await graphRequestsSince(since);
	// One delta page, one list page, then per message its attachment list and the attachment.
	expect(requests.filter((e) => /\/mailFolders\/[^/]+\/messages$/.test(e.path))).toHaveLength(1);
	expect(requests.filter((e) => /\/messages\/[^/]+$/.test(e.path) && !/delta$/.test(e.path))).toEqual([]);
});
