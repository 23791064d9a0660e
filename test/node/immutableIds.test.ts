/** Ids the action node outputs stay valid after a person files the mail (issue 11.2: immutable ids). */
import { SUPPORT, serialiseError, startWorld, type World } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

const inbox = { __rl: true, mode: 'id', value: 'inbox' };

test('an id from Message → List still works for Get after the message was moved, and Move keeps it', async () => {
	await world.emu.admin('Deliver-Message', { To: SUPPORT, Subject: 'File me later' });
	const listed = await world.run('rbac', {
		resource: 'message',
		operation: 'list',
		mailbox: SUPPORT,
		folder: inbox,
		returnAll: true,
		filters: { subjectContains: 'File me later' },
	});
	const [id] = listed.items.map((i) => i.json.id as string);
	expect(id).toMatch(/^AAkALgAA/);
	// Someone files it in Outlook (another client, without the immutable-id preference).
	await world.emu.admin('Move-MailboxMessage', { Mailbox: SUPPORT, MessageId: id, Folder: 'archive' });
	const got = await world.run('rbac', { resource: 'message', operation: 'get', mailbox: SUPPORT, messageId: id });
	expect(serialiseError(got.error)).toBeUndefined();
	expect(got.items[0].json).toMatchObject({ id, subject: 'File me later' });
	const moved = await world.run('rbac', {
		resource: 'message',
		operation: 'move',
		mailbox: SUPPORT,
		messageId: id,
		destinationFolder: { __rl: true, mode: 'id', value: 'inbox' },
	});
	expect(serialiseError(moved.error)).toBeUndefined();
	expect(moved.items[0].json.id).toBe(id);
});
