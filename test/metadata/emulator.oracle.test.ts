/**
 * Every property the emulator returns for a message, folder, attachment or upload session is declared on that
 * type, with that type, in Microsoft Graph's published v1.0 metadata (Prod: the emulator plays the Global cloud).
 * The emulator's answers are fetched the way a client fetches them: default fields, every field, $expand, delta.
 */
import { enc, SHARED, startKit, type Kit } from '../emulator/graph/testkit';
import { loadMetadata } from './oracle';

const prod = loadMetadata('Prod');
let k: Kit;
let messageId: string;

beforeAll(async () => {
	k = await startKit();
	const delivered = await k.emu.admin<{ Ids: string[] }>('Deliver-Message', {
		To: SHARED,
		From: 'someone@fabrikam.example',
		Subject: 'Oracle',
		Body: '<p>hi</p>',
		BodyType: 'html',
		Importance: 'high',
		Categories: ['Red'],
		InternetMessageHeaders: [{ name: 'X-Test', value: '1' }],
		Attachments: [{ Name: 'a.txt', ContentType: 'text/plain', ContentBase64: Buffer.from('abc').toString('base64') }],
	});
	messageId = delivered.Ids[0];
	const patched = await k.call('PATCH', `/users/${enc(SHARED)}/messages/${enc(messageId)}`, {
		body: { flag: { flagStatus: 'flagged' }, isRead: true },
	});
	expect(patched.status).toBe(200);
});
afterAll(() => k.emu.close());

function expectConforms(type: string, value: unknown) {
	expect(prod.checkValue(type, value)).toEqual([]);
}

/** Every structural property of the message type (base types included), for a $select that asks for all. */
function allProperties(type: string): string[] {
	return prod.lineage(type).flatMap((t) => Object.keys(t.properties));
}

describe('emulator answers conform to the v1.0 metadata (Prod)', () => {
	it('a message with default fields, with every field selected, and with $expand=attachments', async () => {
		const user = `/users/${enc(SHARED)}`;
		const plain = await k.call('GET', `${user}/messages/${enc(messageId)}`);
		expect(plain.status).toBe(200);
		expectConforms('message', plain.json);
		const select = allProperties('message')
			// uniqueBody and the like are fine; the emulator may refuse properties it does not model (400 is not a lie).
			.join(',');
		const every = await k.call('GET', `${user}/messages/${enc(messageId)}?$select=${select}`);
		if (every.status === 200) expectConforms('message', every.json);
		else expect(every.json.error.code).toBeDefined();
		const expanded = await k.call('GET', `${user}/messages/${enc(messageId)}?$expand=attachments`);
		expect(expanded.status).toBe(200);
		expectConforms('message', expanded.json);
		const list = await k.call('GET', `${user}/mailFolders/inbox/messages?$top=5`);
		expectConforms('Collection(message)', list.json.value);
	});

	it('message properties that the emulator answers one by one', async () => {
		const user = `/users/${enc(SHARED)}`;
		const problems: string[] = [];
		for (const property of allProperties('message')) {
			const r = await k.call('GET', `${user}/messages/${enc(messageId)}?$select=${property}`);
			if (r.status !== 200) continue; // not modelled: refused, which the package never relies on
			problems.push(...prod.checkValue('message', r.json));
		}
		expect(problems).toEqual([]);
	});

	it('folders: well-known, list, child folders, created', async () => {
		const user = `/users/${enc(SHARED)}`;
		const inbox = await k.call('GET', `${user}/mailFolders/inbox`);
		expectConforms('mailFolder', inbox.json);
		const list = await k.call('GET', `${user}/mailFolders?$top=50`);
		expectConforms('Collection(mailFolder)', list.json.value);
		const children = await k.call('GET', `${user}/mailFolders/inbox/childFolders`);
		expectConforms('Collection(mailFolder)', children.json.value);
		const created = await k.call('POST', `${user}/mailFolders`, { body: { displayName: `Oracle ${Date.now()}` } });
		expect(created.status).toBe(201);
		expectConforms('mailFolder', created.json);
	});

	it('attachments: list, get, created, upload session', async () => {
		const message = `/users/${enc(SHARED)}/messages/${enc(messageId)}`;
		const list = await k.call('GET', `${message}/attachments`);
		expect(list.json.value.length).toBeGreaterThan(0);
		expectConforms('Collection(attachment)', list.json.value);
		const one = await k.call('GET', `${message}/attachments/${enc(list.json.value[0].id)}`);
		expectConforms('attachment', one.json);
		const draft = await k.call('POST', `/users/${enc(SHARED)}/messages`, {
			body: { subject: 'draft', toRecipients: [{ emailAddress: { address: 'x@fabrikam.example' } }] },
		});
		expect(draft.status).toBe(201);
		expectConforms('message', draft.json);
		const draftPath = `/users/${enc(SHARED)}/messages/${enc(draft.json.id)}`;
		const added = await k.call('POST', `${draftPath}/attachments`, {
			body: {
				'@odata.type': '#microsoft.graph.fileAttachment',
				name: 'b.txt',
				contentType: 'text/plain',
				contentBytes: Buffer.from('b').toString('base64'),
			},
		});
		expect(added.status).toBe(201);
		expectConforms('attachment', added.json);
		const session = await k.call('POST', `${draftPath}/attachments/createUploadSession`, {
			body: { AttachmentItem: { attachmentType: 'file', name: 'big.bin', size: 4_000_000 } },
		});
		expect(session.status).toBe(201);
		expectConforms('uploadSession', session.json);
		for (const reply of ['createReply', 'createForward']) {
			const r = await k.call('POST', `${message}/${reply}`, { body: {} });
			expect(r.status).toBe(201);
			expectConforms('message', r.json);
		}
		const moved = await k.call('POST', `${draftPath}/move`, { body: { destinationId: 'archive' } });
		expect(moved.status).toBe(201);
		expectConforms('message', moved.json);
	});

	it('delta pages, including @removed entries', async () => {
		const url = `/users/${enc(SHARED)}/mailFolders/inbox/messages/delta?$select=subject,receivedDateTime,isRead,from,flag`;
		const first = await k.call('GET', url);
		expect(first.status).toBe(200);
		expectConforms('Collection(message)', first.json.value);
		let link = first.json['@odata.nextLink'] ?? first.json['@odata.deltaLink'];
		while (!first.json['@odata.deltaLink'] && link) {
			const page = await k.call('GET', link);
			expectConforms('Collection(message)', page.json.value);
			link = page.json['@odata.nextLink'] ?? page.json['@odata.deltaLink'];
			if (page.json['@odata.deltaLink']) break;
		}
		await k.emu.admin('Move-MailboxMessage', { Mailbox: SHARED, MessageId: messageId, Folder: 'archive' });
		const next = await k.call('GET', link);
		expect(next.status).toBe(200);
		expect(next.json.value.some((v: Record<string, unknown>) => v['@removed'])).toBe(true);
		expectConforms('Collection(message)', next.json.value);
	});
});

describe('the oracle itself', () => {
	it('rejects what the metadata does not have', () => {
		expect(prod.checkValue('message', { subject: 1 })).toHaveLength(1);
		expect(prod.checkValue('message', { mailboxOwner: 'x' })).toEqual([
			'message.mailboxOwner: message has no property "mailboxOwner"',
		]);
		expect(prod.checkValue('message', { importance: 'urgent' })).toHaveLength(1);
		expect(prod.checkValue('mailFolder', { totalItemCount: '3' })).toHaveLength(1);
		expect(() => prod.resolvePath('/v1.0/users/x/mailFolders/inbox/messages/delta')).not.toThrow();
		expect(() => prod.resolvePath('/v1.0/users/x/messages/y/archive')).toThrow(
			/no property, navigation or bound operation "archive"/,
		);
		expect(() => loadMetadata('Mooncake').resolvePath('/v1.0/users/x/mailFolders/inbox/messages/delta')).toThrow();
		expect(() =>
			loadMetadata('Fairfax').resolvePath('/v1.0/users/x/messages/y/attachments/createUploadSession'),
		).toThrow();
		expect(prod.checkQuery('Collection(message)', new URLSearchParams({ $select: 'id,subjct' }))).toHaveLength(1);
		expect(
			prod.checkQuery(
				'Collection(message)',
				new URLSearchParams({
					$filter:
						"toRecipients/any(r: r/emailAddress/address eq 'a@b') and flag/flagStatus eq 'flagged' and receivedDateTime ge 2024-01-01T00:00:00Z and startswith(subject,'x')",
					$orderby: 'receivedDateTime desc',
				}),
			),
		).toEqual([]);
		expect(
			prod.checkQuery(
				'Collection(message)',
				new URLSearchParams({ $filter: "toRecipients/any(r: r/emailAddress/adress eq 'a')" }),
			),
		).toHaveLength(1);
	});
});
