/** Baseline, new mail, moved-in mail, manual mode, filters: the trigger's poll in n8n-core against the emulator. */
import type { PollingWorkflow } from '../harness';
import {
	MAILBOX,
	deliver,
	graphFetch,
	idsOf,
	newWorkflow,
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

async function messagesIn(folder: string) {
	return await env.emu.admin<Array<{ Id: string; IsRead: boolean; Subject: string }>>('Get-MailboxMessages', {
		Mailbox: MAILBOX,
		Folder: folder,
	});
}

test('first activation sets a baseline: existing mail does not trigger, new mail triggers once', async () => {
	const folder = 'Baseline Test';
	await deliver(env, { Folder: folder, Count: 3 });
	const wf = newWorkflow(env, triggerParameters({}, [await folderId(folder)]));
	const first = await wf.poll();
	expect(first.error).toBeUndefined();
	expect(first.items).toBeNull();
	const [id] = await deliver(env, { Folder: folder, Subject: 'after activation' });
	const second = await wf.poll();
	expect(second.error).toBeUndefined();
	expect(idsOf(second)).toEqual([id]);
	expect(second.items![0].json).toMatchObject({ id, subject: 'after activation', mailbox: MAILBOX });
	expect(second.saved).toBe(true);
	const third = await wf.poll();
	expect(third.items).toBeNull();
});

test('mail moved into the folder triggers, under the id it keeps (immutable ids)', async () => {
	const folder = await folderId('Moves');
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await expectQuiet(wf);
	const [elsewhere] = await deliver(env, { Folder: 'Elsewhere', Subject: 'moved in later' });
	const { ImmutableId: movedId } = await env.emu.admin<{ ImmutableId: string }>('Move-MailboxMessage', {
		Mailbox: MAILBOX,
		MessageId: elsewhere,
		Folder: folder,
	});
	const r = await wf.poll();
	expect(idsOf(r)).toEqual([movedId]);
	expect(movedId).toBe(elsewhere);
	expect(r.items![0].json.subject).toBe('moved in later');
	await expectQuiet(wf);
});

test('read/flag changes of old mail do not trigger', async () => {
	const folder = await folderId('Updates');
	const [old] = await deliver(env, { Folder: folder, Subject: 'old one' });
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await expectQuiet(wf);
	// Someone reads and flags the old message in Outlook.
	await patchMessage(old, { isRead: true, flag: { flagStatus: 'flagged' } });
	await expectQuiet(wf);
});

test('"Fetch test event" returns the newest matching message and does not move the state', async () => {
	const folder = await folderId('Manual');
	await deliver(env, { Folder: folder, Subject: 'older' });
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await expectQuiet(wf);
	const persisted = wf.staticData;
	const memory = wf.memoryStaticData;
	const [newest] = await deliver(env, { Folder: folder, Subject: 'newest' });
	const manual = await wf.poll('manual');
	expect(manual.error).toBeUndefined();
	expect(idsOf(manual)).toEqual([newest]);
	expect(manual.saved).toBe(false);
	expect(wf.staticData).toEqual(persisted);
	expect(wf.memoryStaticData).toEqual(memory);
	// The message the manual run showed still triggers the active workflow.
	expect(idsOf(await wf.poll())).toEqual([newest]);
});

test('filters: from, subject, attachments, importance, unread', async () => {
	const folder = await folderId('Filters');
	const wf = newWorkflow(
		env,
		triggerParameters(
			{
				filters: {
					from: 'boss@fabrikam.example, @partner.example',
					subjectContains: 'invoice',
					hasAttachments: true,
					importance: 'high',
					unreadOnly: true,
				},
			},
			[folder],
		),
	);
	await expectQuiet(wf);
	const attachment = [{ Name: 'a.pdf', ContentType: 'application/pdf', Size: 1000 }];
	const base = {
		Folder: folder,
		From: 'boss@fabrikam.example',
		Subject: 'Invoice 42',
		Attachments: attachment,
		Importance: 'High',
	};
	const [match] = await deliver(env, base);
	const [domainMatch] = await deliver(env, { ...base, From: 'someone@partner.example' });
	await deliver(env, { ...base, From: 'other@fabrikam.example' });
	await deliver(env, { ...base, Subject: 'Hello' });
	await deliver(env, { ...base, Attachments: [] });
	await deliver(env, { ...base, Importance: 'Normal' });
	await deliver(env, { ...base, IsRead: true });
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(idsOf(r).sort()).toEqual([match, domainMatch].sort());
	await expectQuiet(wf);
});

test('post-actions (mark as read, move) do not re-trigger', async () => {
	const folder = await folderId('Post Read');
	const wf = newWorkflow(env, triggerParameters({ postAction: 'markAsRead' }, [folder]));
	await expectQuiet(wf);
	const ids = await deliver(env, { Folder: folder, Count: 3 });
	expect(idsOf(await wf.poll()).sort()).toEqual([...ids].sort());
	expect((await messagesIn(folder)).every((m) => m.IsRead)).toBe(true);
	await expectQuiet(wf);

	const from = await folderId('Post Move From');
	const to = await folderId('Post Move To');
	const mover = newWorkflow(
		env,
		triggerParameters({ postAction: 'move', moveTo: { __rl: true, mode: 'id', value: to } }, [from]),
	);
	await expectQuiet(mover);
	const moved = await deliver(env, { Folder: from, Count: 2 });
	expect(idsOf(await mover.poll()).sort()).toEqual([...moved].sort());
	expect(await messagesIn(from)).toHaveLength(0);
	expect(await messagesIn(to)).toHaveLength(2);
	await expectQuiet(mover);
});

test('catches up on mail that arrived while the workflow was inactive (restart from saved static data)', async () => {
	const folder = await folderId('Catch Up');
	const wf = newWorkflow(env, triggerParameters({}, [folder]));
	await expectQuiet(wf);
	const [a] = await deliver(env, { Folder: folder });
	expect(idsOf(await wf.poll())).toEqual([a]);
	const saved = wf.staticData;
	// Deactivated / n8n down: mail arrives, then the workflow is built again from what n8n saved.
	const missed = await deliver(env, { Folder: folder, Count: 4 });
	const again = newWorkflow(env, triggerParameters({}, [folder]), saved);
	expect(idsOf(await again.poll()).sort()).toEqual([...missed].sort());
	await expectQuiet(again);
});

async function expectQuiet(wf: PollingWorkflow) {
	const r = await wf.poll();
	expect(r.error).toBeUndefined();
	expect(r.items).toBeNull();
}

let folderSeq = 0;
async function folderId(name: string): Promise<string> {
	// Deliver-Message creates the folder on first use; its id comes from the admin folder list.
	const folders = await env.emu.admin<Array<{ Id: string; DisplayName: string }>>('Get-MailboxFolders', {
		Mailbox: MAILBOX,
	});
	const found = folders.find((f) => f.DisplayName === name || f.Id === name);
	if (found) return found.Id;
	folderSeq++;
	const [id] = await deliver(env, { Folder: name, Subject: `seed ${folderSeq}` });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: id, Folder: 'deleteditems' });
	return await folderId(name);
}

async function patchMessage(id: string, body: Record<string, unknown>) {
	const res = await graphFetch(env, 'PATCH', `/users/${MAILBOX}/messages/${encodeURIComponent(id)}`, body);
	expect(res.status).toBe(200);
}
