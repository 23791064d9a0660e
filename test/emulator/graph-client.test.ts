/**
 * Fidelity: the real @microsoft/microsoft-graph-client 3.0.7 against the emulator, changed only in its endpoint
 * (baseUrl + customHosts) — PageIterator, LargeFileUploadTask on an Outlook upload session, BatchRequestContent.
 */
import {
	BatchRequestContent,
	BatchResponseContent,
	Client,
	FileUpload,
	LargeFileUploadTask,
	PageIterator,
	type PageCollection,
} from '@microsoft/microsoft-graph-client';
import { ALICE, enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
let client: Client;

beforeAll(async () => {
	k = await startKit();
	const token = await k.token();
	client = Client.init({
		baseUrl: k.base,
		customHosts: new Set([new URL(k.base).hostname]),
		authProvider: (done) => done(null, token),
	});
});
afterAll(() => k.emu.close());

test('PageIterator walks every page by following @odata.nextLink', async () => {
	const { Ids } = await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: ALICE, Subject: 'page me', Count: 57 });
	const first: PageCollection = await client
		.api(`/users/${enc(ALICE)}/mailFolders/inbox/messages`)
		.select('id,subject')
		.top(10)
		.get();
	const seen: string[] = [];
	const iterator = new PageIterator(client, first, (m: { id: string }) => {
		seen.push(m.id);
		return true;
	});
	await iterator.iterate();
	expect(iterator.isComplete()).toBe(true);
	expect(seen).toHaveLength(57);
	expect(new Set(seen)).toEqual(new Set(Ids));
});

test('a filter with quotes and a hostile value goes through the client encoded', async () => {
	await k.emu.admin('Deliver-Message', { To: ALICE, Subject: "Tom's & Jerry's #1 100% done?" });
	const value = "Tom's & Jerry's #1 100% done?";
	const r = await client
		.api(`/users/${enc(ALICE)}/messages`)
		.filter(enc(`subject eq '${value.replace(/'/g, "''")}'`))
		.get();
	expect(r.value.map((m: { subject: string }) => m.subject)).toEqual([value]);
});

test('LargeFileUploadTask uploads an Outlook attachment in chunks under 4 MiB, then the draft is sent', async () => {
	const draft = await client
		.api(`/users/${enc(SHARED)}/messages`)
		.post({ subject: 'upload task', toRecipients: [{ emailAddress: { address: ALICE } }] });
	const size = 10 * 1024 * 1024 + 17;
	const bytes = Buffer.alloc(size);
	for (let i = 0; i < size; i++) bytes[i] = (i * 31) % 256;
	const session = await LargeFileUploadTask.createUploadSession(
		client,
		`/users/${enc(SHARED)}/messages/${enc(draft.id)}/attachments/createUploadSession`,
		{
			AttachmentItem: { attachmentType: 'file', name: 'report.bin', size },
		},
	);
	const progress: number[] = [];
	const task = new LargeFileUploadTask(
		client,
		new FileUpload(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size) as ArrayBuffer, 'report.bin', size),
		session,
		{
			rangeSize: 3 * 1024 * 1024,
			uploadEventHandlers: { progress: (range) => progress.push(range?.maxValue ?? -1) },
		},
	);
	const result = await task.upload();
	expect(result).toBeTruthy();
	expect(progress).toHaveLength(4);
	const atts = await client
		.api(`/users/${enc(SHARED)}/messages/${enc(draft.id)}/attachments`)
		.select('name,size')
		.get();
	expect(atts.value).toMatchObject([{ name: 'report.bin', size }]);
	await client.api(`/users/${enc(SHARED)}/messages/${enc(draft.id)}/send`).post(null);
	const delivered = (
		await k.emu.admin<Array<{ Subject: string; Attachments: { Size: number }[] }>>('Get-MailboxMessages', {
			Mailbox: ALICE,
		})
	).find((m) => m.Subject === 'upload task');
	expect(delivered?.Attachments.map((a) => a.Size)).toEqual([size]);
	const log = await k.emu.admin<Array<{ kind: string; status: number }>>('Get-RequestLog');
	expect(log.filter((e) => e.kind === 'upload').map((e) => e.status)).toEqual([200, 200, 200, 201]);
});

test('BatchRequestContent / BatchResponseContent with a dependency', async () => {
	const [id] = (await k.emu.admin<{ Ids: string[] }>('Deliver-Message', { To: SHARED, Subject: 'batched' })).Ids;
	const patch = new Request(`${k.base}/v1.0/users/${enc(SHARED)}/messages/${enc(id)}`, {
		method: 'PATCH',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ categories: ['Batched'] }),
	});
	const get = new Request(`${k.base}/v1.0/users/${enc(SHARED)}/messages/${enc(id)}?$select=categories`, {
		method: 'GET',
	});
	const folders = new Request(`${k.base}/v1.0/users/${enc(SHARED)}/mailFolders?$top=3`, { method: 'GET' });
	const batch = new BatchRequestContent([
		{ id: 'patch', request: patch },
		{ id: 'get', request: get, dependsOn: ['patch'] },
		{ id: 'folders', request: folders, dependsOn: ['get'] },
	]);
	const response = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()));
	expect(response.getResponseById('patch').status).toBe(200);
	const got = response.getResponseById('get');
	expect(got.status).toBe(200);
	expect(((await got.json()) as { categories: string[] }).categories).toEqual(['Batched']);
	expect(((await response.getResponseById('folders').json()) as { value: unknown[] }).value).toHaveLength(3);
});

test("Graph errors surface as GraphError with Graph's code", async () => {
	await expect(client.api(`/users/${enc('ghost@contoso.onmicrosoft.com')}/messages`).get()).rejects.toMatchObject({
		statusCode: 404,
		code: 'ErrorInvalidUser',
	});
});
