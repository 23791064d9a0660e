import { createHash } from 'node:crypto';
import { binaryItem, patternBytes, readBinary, sha256 } from '../harness';
import type { StoredAttachment } from '../emulator/core/state';
import {
	EXTERNAL,
	NOTIFICATIONS,
	SUPPORT,
	assertNoSecrets,
	graphLog,
	serialiseError,
	startWorld,
	type World,
} from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

function storedAttachments(mailboxUpn: string, subject: string): StoredAttachment[] {
	const mailbox = world.emu.state.mailboxes.find((m) => m.upn === mailboxUpn)!;
	const store = world.emu.state.stores.get(mailbox.id)!;
	const message = [...store.messages.values()].find((m) => m.subject === subject && !m.isDraft);
	return message?.attachments ?? [];
}

function drafts(mailboxUpn: string) {
	const mailbox = world.emu.state.mailboxes.find((m) => m.upn === mailboxUpn)!;
	return [...world.emu.state.stores.get(mailbox.id)!.messages.values()].filter((m) => m.isDraft);
}

const sendWith = (mailbox: string, subject: string, attachments: string) => ({
	resource: 'message',
	operation: 'send',
	mailbox,
	toRecipients: EXTERNAL,
	subject,
	bodyContentType: 'html',
	bodyContent: '<p>See attached.</p>',
	additionalFields: { attachments },
});

describe('attachments', () => {
	it('sends small attachments inline in one sendMail request', async () => {
		const item = await binaryItem({
			property: 'invoice',
			fileName: 'invoice.pdf',
			mimeType: 'application/pdf',
			sizeBytes: 200_000,
		});
		const extra = await binaryItem({
			property: 'note',
			fileName: 'note.txt',
			mimeType: 'text/plain',
			buffer: Buffer.from('hello'),
		});
		const since = (await graphLog(world)).at(-1)?.seq ?? 0;
		const run = await world.run('mi', sendWith(NOTIFICATIONS, 'Inline files', 'invoice, note'), {
			items: [{ json: {}, binary: { ...item.binary!, ...extra.binary! } }],
		});
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ method: 'sendMail' });
		const stored = storedAttachments(NOTIFICATIONS, 'Inline files');
		expect(stored.map((a) => [a.name, a.size]).sort()).toEqual([
			['invoice.pdf', 200_000],
			['note.txt', 5],
		]);
		expect(sha256(stored.find((a) => a.name === 'invoice.pdf')!.content)).toBe(sha256(patternBytes(200_000)));
		const requests = (await graphLog(world)).filter((r) => r.seq > since);
		expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /v1.0/users/${NOTIFICATIONS}/sendMail`]);
	});

	// SCOPED_MAILBOX_UPLOAD_TEST_MB=100 runs the benchmark's size.
	const uploadMb = Number(process.env.SCOPED_MAILBOX_UPLOAD_TEST_MB ?? 30);
	it(`uploads a ${uploadMb} MB attachment through an upload session in 320 KiB-aligned chunks, with bounded memory`, async () => {
		const size = uploadMb * 1024 * 1024 + 12345;
		const big = await binaryItem({
			property: 'archive',
			fileName: 'archive.zip',
			mimeType: 'application/zip',
			sizeBytes: size,
		});
		const small = await binaryItem({
			property: 'readme',
			fileName: 'readme.txt',
			mimeType: 'text/plain',
			buffer: Buffer.from('read me'),
		});
		const since = (await graphLog(world)).at(-1)?.seq ?? 0;
		global.gc?.();
		const baseline = process.memoryUsage();
		let peakHeap = baseline.heapUsed;
		const sampler = setInterval(() => {
			peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
		}, 5);
		const run = await world.run('rbac', sendWith(SUPPORT, 'Big file', 'archive,readme'), {
			items: [{ json: {}, binary: { ...big.binary!, ...small.binary! } }],
		});
		clearInterval(sampler);
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ method: 'draft' });
		expect(run.items[0].json.attachments).toEqual(
			expect.arrayContaining([
				{ name: 'archive.zip', size, method: 'uploadSession' },
				{ name: 'readme.txt', size: 7, method: 'inline' },
			]),
		);
		const stored = storedAttachments(SUPPORT, 'Big file');
		const archive = stored.find((a) => a.name === 'archive.zip')!;
		expect(archive.size).toBe(size);
		expect(createHash('sha256').update(archive.content).digest('hex')).toBe(sha256(patternBytes(size)));
		const readme = stored.find((a) => a.name === 'readme.txt')!;
		expect(Buffer.from(readme.content).toString('utf8')).toBe('read me');
		expect(drafts(SUPPORT)).toHaveLength(0);

		const requests = (await graphLog(world)).filter((r) => r.seq > since);
		const puts = requests.filter((r) => r.kind === 'upload' && r.method === 'PUT');
		expect(puts.length).toBe(Math.ceil(size / (3840 * 1024)));
		for (const put of puts.slice(0, -1)) expect(put.bytesIn).toBe(3840 * 1024);
		expect(puts.reduce((n, p) => n + p.bytesIn, 0)).toBe(size);
		// Whole-file handling would put the file (4/3 of it as base64) on the heap at least once.
		const heapGrowthMb = (peakHeap - baseline.heapUsed) / 1048576;
		console.log(`${uploadMb} MB upload: peak heap growth ${heapGrowthMb.toFixed(1)} MB, ${puts.length} chunk PUTs`);
		expect(heapGrowthMb).toBeLessThan(24);
		assertNoSecrets(world, run);
	});

	it('replies with a large attachment through a reply draft, and forwards with a small one inline', async () => {
		await world.emu.admin('Deliver-Message', { To: SUPPORT, From: EXTERNAL, Subject: 'Need the logs' });
		const listed = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: { __rl: true, mode: 'id', value: 'inbox' },
			filters: { subjectContains: 'Need the logs' },
		});
		const messageId = listed.items[0].json.id as string;
		const logs = await binaryItem({ property: 'logs', fileName: 'logs.tar', sizeBytes: 4 * 1024 * 1024 + 7 });
		const reply = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'reply',
				mailbox: SUPPORT,
				messageId,
				replyType: 'reply',
				comment: 'Here they are.',
				additionalFields: { attachments: 'logs' },
			},
			{ items: [logs] },
		);
		expect(serialiseError(reply.error)).toBeUndefined();
		expect(reply.items[0].json).toMatchObject({ method: 'draft', action: 'reply' });
		const replied = storedAttachments(SUPPORT, 'RE: Need the logs');
		expect(replied.map((a) => [a.name, a.size])).toEqual([['logs.tar', 4 * 1024 * 1024 + 7]]);
		expect(sha256(replied[0].content)).toBe(sha256(patternBytes(4 * 1024 * 1024 + 7)));
		expect(drafts(SUPPORT)).toHaveLength(0);

		const note = await binaryItem({ property: 'data', fileName: 'note.txt', buffer: Buffer.from('note') });
		const forward = await world.run(
			'rbac',
			{
				resource: 'message',
				operation: 'forward',
				mailbox: SUPPORT,
				messageId,
				toRecipients: EXTERNAL,
				comment: 'FYI',
				additionalFields: { attachments: 'data' },
			},
			{ items: [note] },
		);
		expect(serialiseError(forward.error)).toBeUndefined();
		expect(forward.items[0].json).toMatchObject({ method: 'forward' });
		expect(storedAttachments(SUPPORT, 'FW: Need the logs').map((a) => a.name)).toContain('note.txt');
	});

	it('says that large attachments need Mail.ReadWrite when the identity only has Mail.Send', async () => {
		const big = await binaryItem({ property: 'data', fileName: 'scan.pdf', sizeBytes: 5 * 1024 * 1024 });
		const run = await world.run('mi', sendWith(NOTIFICATIONS, 'Too big for Mail.Send', 'data'), { items: [big] });
		expect(run.error).toBeDefined();
		expect(run.error!.message).toMatch(
			/Large attachments need Mail\.ReadWrite on mailbox notifications@contoso\.onmicrosoft\.com/,
		);
		expect(String((run.error as { description?: string }).description)).toMatch(/Application Mail\.ReadWrite/);
		const sent = await world.emu.admin<Array<{ Subject: string }>>('Get-SentMessages', { Mailbox: NOTIFICATIONS });
		expect(sent.some((m) => m.Subject === 'Too big for Mail.Send')).toBe(false);
	});

	it('lists and downloads attachments', async () => {
		const content = Buffer.from('%PDF-1.4 invoice');
		await world.emu.admin('Deliver-Message', {
			To: SUPPORT,
			From: 'vendor@fabrikam.example',
			Subject: 'Invoice 42',
			Attachments: [
				{ Name: 'invoice-42.pdf', ContentType: 'application/pdf', ContentBase64: content.toString('base64') },
			],
		});
		const listed = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			folder: { __rl: true, mode: 'id', value: 'inbox' },
			filters: { subjectContains: 'Invoice 42' },
			options: { downloadAttachments: true },
		});
		expect(serialiseError(listed.error)).toBeUndefined();
		expect(listed.items).toHaveLength(1);
		const messageId = listed.items[0].json.id as string;
		expect((await readBinary(listed.items[0].binary!.attachment_0)).equals(content)).toBe(true);

		const attachments = await world.run('rbac', {
			resource: 'attachment',
			operation: 'list',
			mailbox: SUPPORT,
			messageId,
		});
		expect(attachments.items.map((i) => i.json.name)).toEqual(['invoice-42.pdf']);
		const downloaded = await world.run('rbac', {
			resource: 'attachment',
			operation: 'download',
			mailbox: SUPPORT,
			messageId,
			attachmentId: attachments.items[0].json.id as string,
			binaryPropertyName: 'file',
		});
		expect(serialiseError(downloaded.error)).toBeUndefined();
		expect(downloaded.items[0].binary!.file.fileName).toBe('invoice-42.pdf');
		expect((await readBinary(downloaded.items[0].binary!.file)).equals(content)).toBe(true);

		const limited = await world.run('rbac', {
			resource: 'message',
			operation: 'get',
			mailbox: SUPPORT,
			messageId,
			options: { downloadAttachments: true, maxAttachmentSizeMb: 0 },
		});
		expect(limited.items[0].binary ?? {}).toEqual({});
		expect(limited.items[0].json.skippedAttachments).toEqual([
			expect.objectContaining({ name: 'invoice-42.pdf', reason: 'larger than the size limit' }),
		]);
	});
});
