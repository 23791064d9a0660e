/** Idle cost, per-poll cap, delta resets, failures in the middle of a poll, token expiry. */
import { SEEN_WINDOW_SECONDS } from '../../nodes/ScopedMailbox/trigger/state';
import type { PollingWorkflow } from '../harness';
import {
	MAILBOX,
	deliver,
	idsOf,
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

afterEach(async () => {
	await env.emu.admin('Clear-Faults');
});

interface LogEntry {
	seq: number;
	method: string;
	path: string;
	query: string;
	status: number;
	kind: string;
	bytesIn: number;
	bytesOut: number;
}

async function lastSeq(): Promise<number> {
	const log = await env.emu.admin<LogEntry[]>('Get-RequestLog', {});
	return log.length ? log[log.length - 1].seq : 0;
}

async function requestsSince(seq: number): Promise<LogEntry[]> {
	return (await env.emu.admin<LogEntry[]>('Get-RequestLog', { Since: seq })).filter((e) => e.kind !== 'admin');
}

let folderSeq = 0;
/** A fresh folder with `existing` old messages; returns its id. */
async function newFolder(existing = 0): Promise<string> {
	const name = `Robust ${++folderSeq}`;
	const [seed] = await deliver(env, { Folder: name });
	if (existing) await deliver(env, { Folder: name, Count: existing });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: seed, Folder: 'deleteditems' });
	const folders = await env.emu.admin<Array<{ Id: string; DisplayName: string }>>('Get-MailboxFolders', {
		Mailbox: MAILBOX,
	});
	return folders.find((f) => f.DisplayName === name)!.Id;
}

async function activate(wf: PollingWorkflow) {
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
}

function expectNoDuplicates(ids: string[]) {
	expect(new Set(ids).size).toBe(ids.length);
}

test('an idle poll costs one small request', async () => {
	const folder = await newFolder(25);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const since = await lastSeq();
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
	const requests = await requestsSince(since);
	expect(requests).toHaveLength(1);
	const [idle] = requests;
	expect(idle).toMatchObject({ method: 'GET', status: 200, kind: 'graph' });
	expect(idle.path).toMatch(/\/messages\/delta$/);
	expect(idle.query).toMatch(/(\$|%24)deltatoken=/);
	// An empty page: the context, an empty value and the next deltaLink.
	expect(idle.bytesOut).toBeLessThan(1024);
	console.log(`idle poll: 1 request, ${idle.bytesIn} bytes in, ${idle.bytesOut} bytes out`);
});

test('a burst larger than the per-poll cap continues at the next polls, across a restart, in arrival order', async () => {
	const folder = await newFolder(5);
	const params = triggerParameters({ options: { maxMessagesPerPoll: 10 } }, [folder]);
	const wf = newWorkflow(env, params);
	await activate(wf);
	const burst = await deliver(env, { Folder: folder, Count: 35 });
	const first = await wf.poll();
	expect(idsOf(first)).toEqual(burst.slice(0, 10));
	expect(first.saved).toBe(true);
	// n8n restarts between two polls: the next one starts from what n8n saved.
	const again = newWorkflow(env, params, wf.staticData);
	const rest = await pollUntilQuiet(again);
	expect(rest).toEqual(burst.slice(10));
});

test.each(['410', 'syncStateNotFound'])(
	'a delta reset (%s) re-syncs without losing or repeating mail',
	async (mode) => {
		const folder = await newFolder(12);
		const wf = newWorkflow(env, triggerParameters({}, [folder]));
		await activate(wf);
		const before = await deliver(env, { Folder: folder, Count: 3 });
		expect(idsOf(await wf.poll()).sort()).toEqual([...before].sort());
		const gap = await deliver(env, { Folder: folder, Count: 4 });
		await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, Folder: folder, Mode: mode });
		const r = await wf.poll();
		expect(r.error).toBeUndefined();
		expect(idsOf(r).sort()).toEqual([...gap].sort());
		const after = await deliver(env, { Folder: folder, Count: 2 });
		expect((await pollUntilQuiet(wf)).sort()).toEqual([...after].sort());
	},
);

test('a reset in the middle of a capped burst neither loses nor repeats', async () => {
	const folder = await newFolder(3);
	const wf = newWorkflow(env, triggerParameters({ options: { maxMessagesPerPoll: 7 } }, [folder]));
	await activate(wf);
	const burst = await deliver(env, { Folder: folder, Count: 30 });
	const seen = idsOf(await wf.poll());
	await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, Folder: folder, Mode: '410' });
	seen.push(...idsOf(await wf.poll()));
	const late = await deliver(env, { Folder: folder, Count: 3 });
	seen.push(...(await pollUntilQuiet(wf)));
	expectNoDuplicates(seen);
	expect(seen.sort()).toEqual([...burst, ...late].sort());
});

test('mail moved in during a reset is emitted, whether it was created recently or long ago', async () => {
	const [recent] = await deliver(env, { Folder: 'Robust Elsewhere' });
	await env.emu.admin('Advance-Clock', { Seconds: 5 });
	const folder = await newFolder(2);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const [fresh] = await deliver(env, { Folder: folder });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: recent, Folder: folder });
	await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, Folder: folder, Mode: 'syncStateNotFound' });
	expect(idsOf(await wf.poll()).sort()).toEqual([fresh, recent].sort());

	// Created long before the newest mail the trigger looked at: never looked at in this folder, so new here.
	const [old] = await deliver(env, { Folder: 'Robust Elsewhere' });
	await env.emu.admin('Advance-Clock', { Seconds: SEEN_WINDOW_SECONDS + 60 });
	const [later] = await deliver(env, { Folder: folder });
	expect(idsOf(await wf.poll())).toEqual([later]);
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: old, Folder: folder });
	await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, Folder: folder, Mode: 'syncStateNotFound' });
	expect(idsOf(await wf.poll())).toEqual([old]);
	// And in a live round: an old message filed into the folder, next to old ones that change.
	const [older] = await deliver(env, { Folder: 'Robust Elsewhere' });
	await env.emu.admin('Advance-Clock', { Seconds: SEEN_WINDOW_SECONDS + 60 });
	await deliver(env, { Folder: folder });
	await pollUntilQuiet(wf);
	await env.emu.admin('Set-DeltaExtras', { Mailbox: MAILBOX, Mode: 'all' });
	await env.emu.admin('Set-MailboxMessage', { Mailbox: MAILBOX, MessageId: later, FlagStatus: 'flagged' });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: older, Folder: folder });
	expect(idsOf(await wf.poll())).toEqual([older]);
	await env.emu.admin('Set-DeltaExtras', { Mailbox: MAILBOX, Mode: 'documented' });
});

test('a failure in the middle of a poll returns what was taken; the rest follows, nothing twice', async () => {
	const folder = await newFolder(2);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const ids = await deliver(env, { Folder: folder, Count: 5 });
	// New messages are read together in a list first; when that fails they are read one by one, and one of them
	// cannot be read (500 more times than the transport retries).
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: '/messages$', Status: 500, Count: 4 });
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: `/messages/${ids[2]}$`, Status: 500, Count: 4 });
	const first = await wf.poll();
	expect(first.error).toBeUndefined();
	const taken = idsOf(first);
	// Messages are read 4 at a time: the ones read next to the failed one are taken too.
	expect(taken).toEqual(expect.arrayContaining(ids.slice(0, 2)));
	expect(taken).not.toContain(ids[2]);
	expect(first.saved).toBe(true);
	// A restart from the saved state: the page is read again, the taken messages are skipped.
	const again = newWorkflow(env, triggerParameters({}, [folder]), wf.staticData);
	const rest = await pollUntilQuiet(again);
	expect(rest).toContain(ids[2]);
	expectNoDuplicates([...taken, ...rest]);
	expect([...taken, ...rest].sort()).toEqual([...ids].sort());
}, 30_000);

test('a poll that fails before taking anything changes nothing, and the next one catches up', async () => {
	const folder = await newFolder(2);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const ids = await deliver(env, { Folder: folder, Count: 3 });
	const persisted = wf.staticData;
	// A 503 without Retry-After is a server error, retried 3 times; throttling (with Retry-After) would be waited
	// out within the 5-minute throttle budget instead of failing the poll.
	await env.emu.admin('Add-Fault', {
		Method: 'GET',
		PathRegex: '/messages/delta',
		Status: 503,
		Count: 6,
	});
	const failed = await wf.poll();
	expect(failed.error?.message).toBe(
		'Microsoft Graph failed (503 ServiceUnavailable) for mailbox support@contoso.onmicrosoft.com',
	);
	expect(failed.items).toBeNull();
	expect(wf.staticData).toEqual(persisted);
	await env.emu.admin('Clear-Faults');
	expect((await pollUntilQuiet(wf)).sort()).toEqual([...ids].sort());
}, 60_000);

test('throttling, connection resets and token expiry mid-poll are absorbed', async () => {
	const folder = await newFolder(2);
	const wf = newWorkflow(env, triggerParameters({ options: { maxMessagesPerPoll: 20 } }, [folder]));
	await activate(wf);
	const ids = await deliver(env, { Folder: folder, Count: 12 });
	const preAuthBefore = env.store.stats('cred-app').preAuthenticationForced;
	await env.emu.admin('Advance-Clock', { Seconds: 3700 });
	await env.emu.admin('Add-Fault', {
		Method: 'GET',
		PathRegex: '/messages/delta',
		Status: 429,
		Headers: { 'Retry-After': '0' },
		Count: 2,
	});
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: '/messages$', Reset: true, Count: 1 });
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: `/messages/${ids[4]}$`, Reset: true, Count: 1 });
	await env.emu.admin('Add-Fault', {
		Method: 'GET',
		PathRegex: `/messages/${ids[8]}$`,
		Status: 503,
		Headers: { 'Retry-After': '0' },
		Count: 2,
	});
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(idsOf(r)).toEqual(ids);
	expect(env.store.stats('cred-app').preAuthenticationForced).toBeGreaterThan(preAuthBefore);
	expect(JSON.stringify(r.items)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
}, 60_000);

test('a reset right after a partly failed poll still brings the messages that were not taken', async () => {
	const folder = await newFolder(2);
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await activate(wf);
	const ids = await deliver(env, { Folder: folder, Count: 8 });
	// New messages are read together in a list first; when that fails they are read one by one, and one of them
	// cannot be read (500 more times than the transport retries).
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: '/messages$', Status: 500, Count: 4 });
	await env.emu.admin('Add-Fault', { Method: 'GET', PathRegex: `/messages/${ids[5]}$`, Status: 500, Count: 4 });
	const first = await wf.poll();
	expect(first.error).toBeUndefined();
	const taken = idsOf(first);
	expect(taken).not.toContain(ids[5]);
	await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, Folder: folder, Mode: 'syncStateNotFound' });
	const rest = await pollUntilQuiet(newWorkflow(env, triggerParameters({}, [folder]), wf.staticData));
	expect(rest).toContain(ids[5]);
	expectNoDuplicates([...taken, ...rest]);
	expect([...taken, ...rest].sort()).toEqual([...ids].sort());
}, 30_000);
