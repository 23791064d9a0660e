/** Several folders and subfolders, output formats, attachments, unread existing mail, bad input, secrets. */
import type { INodeParameters } from 'n8n-workflow';
import { patternBytes, readBinary, sha256, type PollingWorkflow } from '../harness';
import {
	MAILBOX,
	deliver,
	graphFetch,
	idsOf,
	newFolder,
	newWorkflow,
	pollUntilQuiet,
	startTriggerEnv,
	triggerParameters,
	type TriggerEnv,
} from './setup';

let env: TriggerEnv;

beforeAll(async () => {
	env = await startTriggerEnv();
});

afterAll(async () => {
	await env?.close();
});

async function activate(wf: PollingWorkflow) {
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
	return r;
}

test('several folders, one of them a subfolder, each watched on its own', async () => {
	const parent = await newFolder(env, 'Projects');
	const res = await graphFetch(
		env,
		'POST',
		`/users/${MAILBOX}/mailFolders/${encodeURIComponent(parent)}/childFolders`,
		{ displayName: 'Alpha' },
	);
	expect(res.status).toBe(201);
	const child = ((await res.json()) as { id: string }).id;
	const other = await newFolder(env, 'Other Watched');
	const wf = newWorkflow(env, triggerParameters({}, [child, other]));
	await activate(wf);
	const inChild = await deliver(env, { Folder: child, Count: 2 });
	const inOther = await deliver(env, { Folder: other, Count: 3 });
	await deliver(env, { Folder: parent, Count: 2 }); // the parent is not watched
	const r = await wf.poll();
	expect(idsOf(r).sort()).toEqual([...inChild, ...inOther].sort());
	expect(r.items!.filter((i) => i.json.folder === child)).toHaveLength(2);
	expect(await pollUntilQuiet(wf)).toEqual([]);
});

test('adding a folder later gives it its own baseline; the other folder keeps its place', async () => {
	const a = await newFolder(env, 'Later A');
	const b = await newFolder(env, 'Later B', 4);
	const wf = newWorkflow(env, triggerParameters({}, [a]));
	await activate(wf);
	const [first] = await deliver(env, { Folder: a });
	expect(idsOf(await wf.poll())).toEqual([first]);
	const [pendingA] = await deliver(env, { Folder: a });
	const edited = newWorkflow(env, triggerParameters({}, [a, b]), wf.staticData);
	expect(idsOf(await edited.poll())).toEqual([pendingA]);
	const [newB] = await deliver(env, { Folder: b });
	expect(await pollUntilQuiet(edited)).toEqual([newB]);
});

test('raw output, and attachments downloaded into binary data within the size limit', async () => {
	const folder = await newFolder(env, 'Attachments');
	const small = patternBytes(50_000);
	const wf = newWorkflow(
		env,
		triggerParameters({ output: 'raw', options: { downloadAttachments: true, maxAttachmentSizeMb: 1 } }, [folder]),
	);
	await activate(wf);
	const [id] = await deliver(env, {
		Folder: folder,
		Subject: 'with files',
		Attachments: [
			{ Name: 'small.bin', ContentType: 'application/octet-stream', ContentBase64: small.toString('base64') },
			{ Name: 'big.bin', ContentType: 'application/octet-stream', Size: 3 * 1024 * 1024 },
		],
	});
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	const [item] = r.items!;
	expect(item.json).toMatchObject({ id, subject: 'with files', hasAttachments: true });
	expect(item.json.body).toEqual({ contentType: 'text', content: expect.any(String) }); // raw: Graph's own shape
	expect(Object.keys(item.binary ?? {})).toEqual(['attachment_0']);
	expect(item.binary!.attachment_0.fileName).toBe('small.bin');
	expect(sha256(await readBinary(item.binary!.attachment_0))).toBe(sha256(small));
	expect(item.json.skippedAttachments).toEqual([expect.objectContaining({ name: 'big.bin', size: 3 * 1024 * 1024 })]);
});

test('attachments are read the way the action node reads them: raw bytes from $value, not base64 JSON', async () => {
	const folder = await newFolder(env, 'Attachment Reads');
	const bytes = patternBytes(20_000);
	const wf = newWorkflow(env, triggerParameters({ options: { downloadAttachments: true } }, [folder]));
	await activate(wf);
	await deliver(env, {
		Folder: folder,
		Attachments: [{ Name: 'a.bin', ContentType: 'application/octet-stream', ContentBase64: bytes.toString('base64') }],
	});
	const log = await env.emu.admin<Array<{ seq: number }>>('Get-RequestLog', {});
	const since = log.length ? log[log.length - 1].seq : 0;
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(sha256(await readBinary(r.items![0].binary!.attachment_0))).toBe(sha256(bytes));
	const reads = (await env.emu.admin<Array<{ kind: string; path: string }>>('Get-RequestLog', { Since: since }))
		.filter((e) => e.kind === 'graph' && /\/attachments\//.test(e.path))
		.map((e) => e.path.replace(/^.*\/attachments\/[^/]+/, '/attachments/{id}'));
	expect(reads).toEqual(['/attachments/{id}/$value']);
});

test('"Include Unread Existing Mail" emits the unread mail present at activation, once', async () => {
	const folder = await newFolder(env, 'Unread Existing');
	const unread = await deliver(env, { Folder: folder, Count: 3 });
	await deliver(env, { Folder: folder, Count: 2, IsRead: true });
	const wf = newWorkflow(env, triggerParameters({ options: { includeUnreadExisting: true } }, [folder]));
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(idsOf(r).sort()).toEqual([...unread].sort());
	expect(await pollUntilQuiet(wf)).toEqual([]);
});

test('bad input gives clear errors naming the field', async () => {
	const cases: Array<[INodeParameters, RegExp]> = [
		[{ mailbox: 'support@contoso.onmicrosoft.com/../finance' }, /Mailbox/],
		[{ folders: { folder: [] } }, /No folder to watch/],
		[
			{ postAction: 'move', moveTo: { __rl: true, mode: 'id', value: 'inbox' } },
			/"Move To" is one of the watched folders/,
		],
		[{ postAction: 'move', moveTo: { __rl: true, mode: 'id', value: '' } }, /No folder to move/],
		[{ options: { maxMessagesPerPoll: 0 } }, /Max Messages per Poll/],
	];
	for (const [overrides, message] of cases) {
		const r = await newWorkflow(env, triggerParameters(overrides)).poll();
		expect(r.items).toBeNull();
		expect(r.error?.message).toMatch(message);
	}
});

test('hostile folder values stay inside the folder segment of the URL', async () => {
	const since = (await env.emu.admin<Array<{ seq: number }>>('Get-RequestLog', {})).pop()?.seq ?? 0;
	const r = await newWorkflow(
		env,
		triggerParameters({}, ["inbox/../../finance@contoso.onmicrosoft.com/messages?$x='1'#"]),
	).poll();
	expect(r.error?.message).toMatch(/refused|not found/i);
	const log = await env.emu.admin<
		Array<{ path: string; kind: string; query: string; status: number; mailbox?: string }>
	>('Get-RequestLog', { Since: since });
	const graph = log.filter((e) => e.kind === 'graph');
	expect(graph.length).toBeGreaterThan(0);
	for (const entry of graph) {
		// The log shows the decoded path; the value arrived as one encoded segment: a malformed folder id of
		// the same mailbox, not another path.
		expect([400, 404]).toContain(entry.status);
		expect(entry.mailbox).toBe(MAILBOX);
		expect(entry.path.endsWith('/messages/delta')).toBe(true);
		expect(entry.query).not.toMatch(/[?&]\$x=/);
		expect(entry.query).toMatch(/changeType=created/);
	}
});

test('no secret or token reaches items, errors or logs', async () => {
	const folder = await newFolder(env, 'Secrets');
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	const results = [await wf.poll()];
	await deliver(env, { Folder: folder, Count: 2 });
	await env.emu.admin('Advance-Clock', { Seconds: 3700 });
	results.push(await wf.poll());
	await env.emu.admin('Add-Fault', {
		Method: 'GET',
		PathRegex: '/messages/delta',
		Status: 403,
		Body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } },
		Count: 1,
	});
	results.push(await wf.poll());
	await env.emu.admin('Clear-Faults');
	expect(results[1].items).toHaveLength(2);
	expect(results[2].error?.message).toMatch(
		/is not allowed to use mailbox support@contoso\.onmicrosoft\.com: Exchange scoping/,
	);
	const saved = env.store.data('cred-app');
	const secrets = [String(saved.clientSecret), String(saved.accessToken)].filter((s) => s.length > 8);
	expect(secrets.length).toBe(2);
	for (const r of results) {
		const text = JSON.stringify({
			items: r.items,
			error: r.error && { ...r.error, message: r.error.message, stack: r.error.stack },
			logs: r.logText,
			state: r.staticData,
		});
		for (const secret of secrets) expect(text).not.toContain(secret);
		expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
	}
});
