/** sendMail, drafts, inline and upload-session attachments, draft send, reply/forward. */
import { ALICE, BOB, enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
beforeAll(async () => {
	k = await startKit();
});
afterAll(() => k.emu.close());

type AdminMsg = Record<string, any>;
const messages = (mailbox: string, folder?: string) =>
	k.emu.admin<AdminMsg[]>('Get-MailboxMessages', { Mailbox: mailbox, ...(folder ? { Folder: folder } : {}) });
const sendMail = (body: unknown, mailbox = SHARED) => k.call('POST', `/users/${enc(mailbox)}/sendMail`, { body });

describe('sendMail', () => {
	test('202, delivered to tenant mailboxes (bcc hidden), groups expanded, external dropped, saved to Sent Items', async () => {
		const r = await sendMail({
			message: {
				subject: 'Quarterly numbers',
				body: { contentType: 'HTML', content: '<p>See <b>attached</b></p>' },
				toRecipients: [
					{ emailAddress: { address: ALICE, name: 'Alice' } },
					{ emailAddress: { address: 'someone@external.example' } },
				],
				bccRecipients: [{ emailAddress: { address: BOB } }],
				replyTo: [{ emailAddress: { address: 'replies@contoso.onmicrosoft.com' } }],
				importance: 'high',
				internetMessageHeaders: [{ name: 'X-Workflow-Id', value: 'wf-1' }],
				attachments: [
					{
						'@odata.type': '#microsoft.graph.fileAttachment',
						name: 'a.txt',
						contentType: 'text/plain',
						contentBytes: Buffer.from('hello').toString('base64'),
					},
				],
			},
			saveToSentItems: true,
		});
		expect(r.status).toBe(202);
		expect(r.text).toBe('');
		const [atAlice] = await messages(ALICE, 'inbox');
		expect(atAlice).toMatchObject({
			Subject: 'Quarterly numbers',
			From: SHARED,
			Importance: 'high',
			BodyType: 'html',
			Bcc: [],
			ReplyTo: ['replies@contoso.onmicrosoft.com'],
			IsRead: false,
		});
		expect(atAlice.InternetMessageHeaders).toEqual([{ name: 'X-Workflow-Id', value: 'wf-1' }]);
		expect(atAlice.Attachments).toMatchObject([{ Name: 'a.txt', Size: 5, ContentType: 'text/plain' }]);
		const [atBob] = await messages(BOB, 'inbox');
		expect(atBob.Subject).toBe('Quarterly numbers');
		const [sent] = await k.emu.admin<AdminMsg[]>('Get-SentMessages', { Mailbox: SHARED });
		expect(sent).toMatchObject({ Subject: 'Quarterly numbers', Bcc: [BOB], IsRead: true, IsDraft: false });
		// The received copy is readable through Graph with its attachment.
		const list = await k.call(
			'GET',
			`/users/${enc(ALICE)}/messages?$filter=${enc("subject eq 'Quarterly numbers'")}&$select=hasAttachments,replyTo,from`,
		);
		expect(list.json.value[0]).toMatchObject({ hasAttachments: true, from: { emailAddress: { address: SHARED } } });
	});

	test('saveToSentItems false leaves Sent Items alone; a group address reaches its members', async () => {
		const before = (await k.emu.admin<AdminMsg[]>('Get-SentMessages', { Mailbox: SHARED })).length;
		const r = await sendMail({
			message: {
				subject: 'to the team',
				toRecipients: [{ emailAddress: { address: 'team@contoso.onmicrosoft.com' } }],
			},
			saveToSentItems: false,
		});
		expect(r.status).toBe(202);
		expect((await k.emu.admin<AdminMsg[]>('Get-SentMessages', { Mailbox: SHARED })).length).toBe(before);
		expect((await messages(ALICE)).some((m) => m.Subject === 'to the team')).toBe(true);
		expect((await messages(BOB)).some((m) => m.Subject === 'to the team')).toBe(true);
	});

	test.each([
		['no recipients', { message: { subject: 'x' } }, 'ErrorInvalidRecipients'],
		[
			'a bad address',
			{ message: { subject: 'x', toRecipients: [{ emailAddress: { address: 'not-an-address' } }] } },
			'ErrorInvalidRecipients',
		],
		[
			'a standard header',
			{
				message: {
					subject: 'x',
					toRecipients: [{ emailAddress: { address: ALICE } }],
					internetMessageHeaders: [{ name: 'Subject', value: 'evil' }],
				},
			},
			'InvalidInternetMessageHeader',
		],
		[
			'a bad importance',
			{ message: { subject: 'x', toRecipients: [{ emailAddress: { address: ALICE } }], importance: 'urgent' } },
			'RequestBodyRead',
		],
		[
			'an untyped attachment',
			{
				message: {
					subject: 'x',
					toRecipients: [{ emailAddress: { address: ALICE } }],
					attachments: [{ name: 'a', contentBytes: 'AA==' }],
				},
			},
			'ErrorInvalidRequest',
		],
		['no message', {}, 'ErrorInvalidRequest'],
	])('sendMail with %s is 400 %s', async (_name, body, code) => {
		const r = await sendMail(body);
		expect(r.status).toBe(400);
		expect(r.json.error.code).toBe(code);
	});

	test("a header that is not X- is refused with Graph's message", async () => {
		const r = await sendMail({
			message: {
				toRecipients: [{ emailAddress: { address: ALICE } }],
				internetMessageHeaders: [{ name: 'Reply-To', value: 'x@y.z' }],
			},
		});
		expect(r.json.error.message).toBe("The internet message header name 'Reply-To' should start with 'x-' or 'X-'.");
	});

	test('sending as another mailbox through from is ErrorSendAsDenied', async () => {
		const r = await sendMail({
			message: { from: { emailAddress: { address: ALICE } }, toRecipients: [{ emailAddress: { address: BOB } }] },
		});
		expect(r.status).toBe(403);
		expect(r.json.error.code).toBe('ErrorSendAsDenied');
	});

	test('requests over 4 MB are 413', async () => {
		const big = Buffer.alloc(3_300_000, 1).toString('base64');
		const r = await sendMail({
			message: {
				toRecipients: [{ emailAddress: { address: ALICE } }],
				attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: 'big.bin', contentBytes: big }],
			},
		});
		expect(r.status).toBe(413);
		expect(r.json.error.code).toBe('ErrorRequestEntityTooLarge');
	});
});

describe('drafts and upload sessions', () => {
	const createDraft = async (subject: string) => {
		const r = await k.call('POST', `/users/${enc(SHARED)}/messages`, {
			body: {
				subject,
				body: { contentType: 'Text', content: 'see attachment' },
				toRecipients: [{ emailAddress: { address: ALICE } }],
			},
		});
		expect(r.status).toBe(201);
		expect(r.json).toMatchObject({ isDraft: true, subject });
		return r.json.id as string;
	};
	const session = async (draftId: string, size: number, name = 'big.bin') => {
		const r = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(draftId)}/attachments/createUploadSession`, {
			body: { AttachmentItem: { attachmentType: 'file', name, size, contentType: 'application/octet-stream' } },
		});
		expect(r.status).toBe(201);
		return r.json;
	};
	const put = (url: string, chunk: Buffer, range: string, headers: Record<string, string> = {}) =>
		fetch(url, {
			method: 'PUT',
			headers: { 'Content-Range': range, 'Content-Type': 'application/octet-stream', ...headers },
			body: chunk,
		});

	test('draft + small attachment + upload session in chunks + send: delivered with both attachments, draft moved to Sent Items', async () => {
		const id = await createDraft('with a big file');
		const small = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/attachments`, {
			body: {
				'@odata.type': '#microsoft.graph.fileAttachment',
				name: 'small.txt',
				contentType: 'text/plain',
				contentBytes: Buffer.from('small').toString('base64'),
			},
		});
		expect(small.status).toBe(201);
		const size = 9 * 1024 * 1024 + 123;
		const content = Buffer.alloc(size);
		for (let i = 0; i < size; i++) content[i] = (i * 7) % 251;
		const s = await session(id, size);
		expect(s.nextExpectedRanges).toEqual(['0-']);
		expect(Date.parse(s.expirationDateTime)).toBeGreaterThan(Date.now());
		expect(new URL(s.uploadUrl).host).not.toBe(new URL(k.base).host); // like outlook.office.com vs graph.microsoft.com
		const chunk = 3 * 1024 * 1024;
		let last: Response | undefined;
		for (let start = 0; start < size; start += chunk) {
			const end = Math.min(size, start + chunk) - 1;
			last = await put(s.uploadUrl, content.subarray(start, end + 1), `bytes ${start}-${end}/${size}`);
			if (end + 1 < size) {
				expect(last.status).toBe(200);
				expect(((await last.json()) as { NextExpectedRanges: string[] }).NextExpectedRanges).toEqual([`${end + 1}`]);
			}
		}
		expect(last!.status).toBe(201);
		const atts = await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(id)}/attachments?$select=name,size`);
		expect(atts.json.value.map((a: { name: string; size: number }) => [a.name, a.size])).toEqual([
			['small.txt', 5],
			['big.bin', size],
		]);
		const big = atts.json.value[1];
		const raw = await fetch(
			`${k.base}/v1.0/users/${enc(SHARED)}/messages/${enc(id)}/attachments/${enc(big.id)}/$value`,
			{ headers: { Authorization: `Bearer ${await k.token()}` } },
		);
		expect(Buffer.from(await raw.arrayBuffer()).equals(content)).toBe(true);

		const send = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/send`);
		expect(send.status).toBe(202);
		expect((await k.call('GET', `/users/${enc(SHARED)}/messages/${enc(id)}`)).status).toBe(404);
		const [sent] = await k.emu.admin<AdminMsg[]>('Get-SentMessages', { Mailbox: SHARED });
		expect(sent).toMatchObject({ Subject: 'with a big file', IsDraft: false });
		const delivered = (await messages(ALICE)).find((m) => m.Subject === 'with a big file');
		expect(delivered?.Attachments.map((a: AdminMsg) => a.Size)).toEqual([5, size]);
	});

	test('upload URL rules: no Authorization, next range only, chunks under 4 MiB, total must match, token required', async () => {
		const id = await createDraft('rules');
		const size = 5 * 1024 * 1024;
		const s = await session(id, size);
		const withAuth = await put(s.uploadUrl, Buffer.alloc(10), `bytes 0-9/${size}`, {
			Authorization: `Bearer ${await k.token()}`,
		});
		expect(withAuth.status).toBe(401);
		const tooBig = await put(s.uploadUrl, Buffer.alloc(4 * 1024 * 1024), `bytes 0-${4 * 1024 * 1024 - 1}/${size}`);
		expect(tooBig.status).toBe(413);
		const skip = await put(s.uploadUrl, Buffer.alloc(10), `bytes 100-109/${size}`);
		expect(skip.status).toBe(416);
		const wrongTotal = await put(s.uploadUrl, Buffer.alloc(10), 'bytes 0-9/11');
		expect(wrongTotal.status).toBe(400);
		const noRange = await fetch(s.uploadUrl, { method: 'PUT', body: Buffer.alloc(10) });
		expect(noRange.status).toBe(400);
		const badToken = await put(
			s.uploadUrl.replace(/authtoken=[^&]+/, 'authtoken=forged'),
			Buffer.alloc(10),
			`bytes 0-9/${size}`,
		);
		expect(badToken.status).toBe(401);
		const ok = await put(s.uploadUrl, Buffer.alloc(10), `bytes 0-9/${size}`);
		expect(ok.status).toBe(200);
		const status = await fetch(s.uploadUrl);
		expect(((await status.json()) as { NextExpectedRanges: string[] }).NextExpectedRanges).toEqual(['10']);
		const cancel = await fetch(s.uploadUrl, { method: 'DELETE' });
		expect(cancel.status).toBe(204);
		expect((await put(s.uploadUrl, Buffer.alloc(10), `bytes 10-19/${size}`)).status).toBe(404);
	});

	test('an idle upload session expires on the emulator clock', async () => {
		const id = await createDraft('expiry');
		const s = await session(id, 100);
		await k.emu.admin('Advance-Clock', { Seconds: 16 * 60 });
		expect((await put(s.uploadUrl, Buffer.alloc(100), 'bytes 0-99/100')).status).toBe(404);
	});

	test('createUploadSession refuses more than 150 MB and non-file items', async () => {
		const id = await createDraft('limits');
		const big = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/attachments/createUploadSession`, {
			body: { AttachmentItem: { attachmentType: 'file', name: 'x', size: 150 * 1024 * 1024 + 1 } },
		});
		expect(big.status).toBe(400);
		const item = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/attachments/createUploadSession`, {
			body: { AttachmentItem: { attachmentType: 'item', name: 'x', size: 10 } },
		});
		expect(item.status).toBe(400);
	});

	test('draft send needs Mail.ReadWrite; sendMail needs only Mail.Send', async () => {
		const id = await createDraft('permission check');
		const reader = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/send`, { app: 'reader' });
		expect(reader.status).toBe(403);
		const notDraft = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'received' }))
			.Ids[0];
		expect((await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(notDraft)}/send`)).status).toBe(400);
	});
});

describe('reply and forward', () => {
	test('reply goes to the sender with RE:, forward to the given recipients with FW: and the attachments', async () => {
		const [id] = (
			await k.emu.admin<{ Ids: string[] }>('Deliver-Message', {
				To: SHARED,
				From: BOB,
				Subject: 'Question',
				Body: 'What time?',
				Attachments: [{ Name: 'agenda.txt', ContentType: 'text/plain', Size: 12 }],
			})
		).Ids;
		const reply = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/reply`, {
			body: { comment: "Ten o'clock." },
		});
		expect(reply.status).toBe(202);
		const atBob = (await messages(BOB)).find((m) => m.Subject === 'RE: Question');
		expect(atBob?.Body).toContain("Ten o'clock.");
		expect(atBob?.Attachments).toEqual([]);
		const fwd = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/forward`, {
			body: { comment: 'FYI', toRecipients: [{ emailAddress: { address: ALICE } }] },
		});
		expect(fwd.status).toBe(202);
		const atAlice = (await messages(ALICE)).find((m) => m.Subject === 'FW: Question');
		expect(atAlice?.Attachments.map((a: AdminMsg) => a.Name)).toEqual(['agenda.txt']);
		const noTo = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/forward`, {
			body: { comment: 'FYI' },
		});
		expect(noTo.status).toBe(400);
		const draft = await k.call('POST', `/users/${enc(SHARED)}/messages/${enc(id)}/createReply`, { body: {} });
		expect(draft.status).toBe(201);
		expect(draft.json).toMatchObject({ isDraft: true, subject: 'RE: Question' });
	});
});
