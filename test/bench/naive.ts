/**
 * The naive way, for comparison: plain fetch against the same emulator, no package code. What a quick
 * script or a simple node would do: a token from the token endpoint, then one request at a time.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

import type { EmulatorInfo } from '../emulator';

export const CHUNK_BYTES = 12 * 320 * 1024;

function graph(info: EmulatorInfo, path: string) {
	return `${info.graphBaseUrl}/v1.0${path}`;
}

async function expectStatus(response: Response, ok: number[], what: string): Promise<void> {
	if (!ok.includes(response.status)) {
		throw new Error(`naive ${what}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
	}
}

/** Client-credentials token for the scenario's RBAC app, straight from the token endpoint. */
export async function fetchToken(info: EmulatorInfo): Promise<string> {
	const app = info.scenario.apps.rbac;
	const response = await fetch(`${info.authorityHost}/${info.scenario.tenant.id}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: app.appId,
			client_secret: app.secret!,
			scope: `${info.graphBaseUrl}/.default`,
		}),
	});
	await expectStatus(response, [200], 'token');
	return ((await response.json()) as { access_token: string }).access_token;
}

export async function sendMail(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	to: string,
	subject: string,
): Promise<void> {
	const response = await fetch(graph(info, `/users/${encodeURIComponent(mailbox)}/sendMail`), {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({
			message: {
				subject,
				body: { contentType: 'text', content: 'Benchmark message' },
				toRecipients: [{ emailAddress: { address: to } }],
			},
			saveToSentItems: true,
		}),
	});
	await expectStatus(response, [202], 'sendMail');
}

/** One sendMail after the other. */
export async function sequentialSend(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	to: string,
	subjects: string[],
): Promise<void> {
	for (const subject of subjects) await sendMail(info, token, mailbox, to, subject);
}

/** Every message of a folder with Graph's default page size ($top omitted: 10), following @odata.nextLink. */
export async function listAllDefaultPage(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	folderId: string,
	query: Record<string, string>,
): Promise<{ messages: unknown[]; requests: number }> {
	let url: string | undefined =
		`${graph(info, `/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folderId)}/messages`)}?${new URLSearchParams(query)}`;
	const messages: unknown[] = [];
	let requests = 0;
	while (url) {
		const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
		requests++;
		await expectStatus(response, [200], 'list');
		const page = (await response.json()) as { value: unknown[]; '@odata.nextLink'?: string };
		messages.push(...page.value);
		url = page['@odata.nextLink'];
	}
	return { messages, requests };
}

/** One execution of a node without a shared token cache: a new token, then the request. */
export async function tokenPerExecution(info: EmulatorInfo, mailbox: string): Promise<void> {
	const token = await fetchToken(info);
	const response = await fetch(
		graph(info, `/users/${encodeURIComponent(mailbox)}/mailFolders/inbox/messages?%24top=1&%24select=id`),
		{
			headers: { Authorization: `Bearer ${token}` },
		},
	);
	await expectStatus(response, [200], 'list');
	await response.arrayBuffer();
}

interface Draft {
	messagePath: string;
	uploadUrl: string;
}

/** A draft with an upload session for one file attachment of `size` bytes. */
async function draftWithUploadSession(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	to: string,
	subject: string,
	fileName: string,
	size: number,
): Promise<Draft> {
	const user = `/users/${encodeURIComponent(mailbox)}`;
	const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
	const draftResponse = await fetch(graph(info, `${user}/messages`), {
		method: 'POST',
		headers: auth,
		body: JSON.stringify({
			subject,
			body: { contentType: 'text', content: 'Benchmark attachment' },
			toRecipients: [{ emailAddress: { address: to } }],
		}),
	});
	await expectStatus(draftResponse, [201], 'create draft');
	const draftId = ((await draftResponse.json()) as { id: string }).id;
	const messagePath = `${user}/messages/${encodeURIComponent(draftId)}`;
	const sessionResponse = await fetch(graph(info, `${messagePath}/attachments/createUploadSession`), {
		method: 'POST',
		headers: auth,
		body: JSON.stringify({
			AttachmentItem: { attachmentType: 'file', name: fileName, size, contentType: 'application/octet-stream' },
		}),
	});
	await expectStatus(sessionResponse, [201], 'createUploadSession');
	const { uploadUrl } = (await sessionResponse.json()) as { uploadUrl: string };
	return { messagePath, uploadUrl };
}

async function putChunk(uploadUrl: string, chunk: Buffer, start: number, total: number): Promise<void> {
	const put = await fetch(uploadUrl, {
		method: 'PUT',
		headers: {
			'Content-Range': `bytes ${start}-${start + chunk.length - 1}/${total}`,
			'Content-Type': 'application/octet-stream',
		},
		body: chunk,
	});
	await expectStatus(put, [200, 201], 'upload chunk');
	await put.arrayBuffer();
}

async function sendDraft(info: EmulatorInfo, token: string, draft: Draft): Promise<void> {
	const send = await fetch(graph(info, `${draft.messagePath}/send`), {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}` },
	});
	await expectStatus(send, [202], 'send draft');
}

/**
 * A large attachment the simple way: the whole file read into memory and base64-encoded (how n8n's in-memory
 * binary mode holds it and what an inline fileAttachment needs). Graph refuses request bodies over 4 MB, so
 * the bytes still go through a draft and an upload session, sliced from the in-memory buffer.
 */
export async function wholeFileAttachment(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	to: string,
	subject: string,
	path: string,
	fileName: string,
): Promise<{ base64Length: number }> {
	const whole = await readFile(path);
	const base64 = whole.toString('base64');
	const draft = await draftWithUploadSession(info, token, mailbox, to, subject, fileName, whole.length);
	for (let start = 0; start < whole.length; start += CHUNK_BYTES) {
		await putChunk(
			draft.uploadUrl,
			whole.subarray(start, Math.min(start + CHUNK_BYTES, whole.length)),
			start,
			whole.length,
		);
	}
	await sendDraft(info, token, draft);
	// Held until the message is out, as an item holding its binary data would be.
	return { base64Length: base64.length };
}

/**
 * Reference, not naive: the least a streaming upload can do in plain Node (fs stream read in chunk-size pieces,
 * each PUT with fetch, no copies of our own). What the package's memory is compared with to see its own share.
 */
export async function streamedAttachment(
	info: EmulatorInfo,
	token: string,
	mailbox: string,
	to: string,
	subject: string,
	path: string,
	fileName: string,
): Promise<void> {
	const size = (await stat(path)).size;
	const draft = await draftWithUploadSession(info, token, mailbox, to, subject, fileName, size);
	let start = 0;
	for await (const piece of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
		const chunk = piece as Buffer;
		await putChunk(draft.uploadUrl, chunk, start, size);
		start += chunk.length;
	}
	await sendDraft(info, token, draft);
}
