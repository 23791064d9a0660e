/**
 * The transport through n8n-core (test/harness) against the emulator: authentication through n8n, retries,
 * outcome-unknown sends, mailbox concurrency, the first-request gate, $batch, upload chunks and error mapping.
 * The credential type here is a minimal client-credentials one, so these tests do not depend on auth/.
 */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestHelper,
	type INodeExecutionData,
	type INodeType,
} from 'n8n-workflow';

import { startEmulator, type EmulatorHandle } from '../emulator';
import { CredentialStore, runNode } from '../harness';
import {
	graphBatch,
	graphRequest,
	graphRequestAllPages,
	isSendOutcomeUnknownError,
	messagePath,
	runForItems,
	uploadChunk,
	userPath,
	folderPath,
} from '../../nodes/ScopedMailbox/transport';

let emu: EmulatorHandle;
let tenantId: string;
let app: { appId: string; secret: string };
const SUPPORT = 'support@contoso.onmicrosoft.com';
const FINANCE = 'finance@contoso.onmicrosoft.com';

const testGraphAppApi: ICredentialType = {
	name: 'testGraphAppApi',
	displayName: 'Test Graph App',
	properties: [
		{ displayName: 'Cloud', name: 'cloud', type: 'string', default: 'custom' },
		{ displayName: 'Authority Host', name: 'authorityHost', type: 'string', default: '' },
		{ displayName: 'Graph Base URL', name: 'graphBaseUrl', type: 'string', default: '' },
		{ displayName: 'Tenant', name: 'tenantId', type: 'string', default: '' },
		{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	],
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const form = new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: credentials.clientId as string,
			client_secret: credentials.clientSecret as string,
			scope: `${credentials.graphBaseUrl as string}/.default`,
		});
		const answer = (await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.authorityHost as string}/${credentials.tenantId as string}/oauth2/v2.0/token`,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: form.toString(),
			json: true,
		})) as { access_token: string };
		return { accessToken: answer.access_token };
	},
	authenticate: { type: 'generic', properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } } },
};

type Op = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[] | INodeExecutionData[]>;
const ops = new Map<string, Op>();

/** Runs the operation registered under the `op` parameter for each item, through runForItems. */
const transportNode: INodeType = {
	description: {
		displayName: 'Transport Probe',
		name: 'transportProbe',
		group: ['transform'],
		version: 1,
		description: 'Calls the transport',
		defaults: { name: 'Transport Probe' },
		inputs: ['main' as never],
		outputs: ['main' as never],
		credentials: [{ name: 'testGraphAppApi', required: true }],
		properties: [
			{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'testGraphAppApi' },
			{ displayName: 'Op', name: 'op', type: 'string', default: '' },
			{ displayName: 'Mailbox', name: 'mailbox', type: 'string', default: SUPPORT },
			{ displayName: 'Sequential', name: 'sequential', type: 'boolean', default: false },
			// Read by the transport, as the real node declares it (actions/common/throttleWait.ts).
			{ displayName: 'Max Wait', name: 'throttleWaitMinutes', type: 'number', default: 5 },
		],
	},
	async execute(this: IExecuteFunctions) {
		const items = this.getInputData();
		const op = ops.get(this.getNodeParameter('op', 0) as string)!;
		const toItems = (value: Awaited<ReturnType<Op>>): INodeExecutionData[] =>
			(Array.isArray(value) ? value : [value]).map((v) =>
				'json' in v && typeof v.json === 'object' ? (v as INodeExecutionData) : { json: v as IDataObject },
			);
		const out = await runForItems(
			items,
			(i) => this.getNodeParameter('mailbox', i) as string,
			async (i) => toItems(await op.call(this, i)),
			{
				perMailbox: (this.getNodeParameter('sequential', 0) as boolean) ? 1 : undefined,
				onError: (error, i) =>
					this.continueOnFail()
						? {
								json: {
									error: error.message,
									name: error.name,
									description: (error as { description?: string }).description ?? '',
								},
								pairedItem: { item: i },
							}
						: undefined,
			},
		);
		return [out];
	},
};

let store: CredentialStore;
const credentials = { testGraphAppApi: { id: 'app1', name: 'RBAC app' } };

function newStore(extra: IDataObject = {}) {
	return new CredentialStore().add(
		{
			id: 'app1',
			name: 'RBAC app',
			type: 'testGraphAppApi',
			data: {
				cloud: 'custom',
				authorityHost: emu.info.authorityHost,
				graphBaseUrl: emu.info.graphBaseUrl,
				tenantId,
				clientId: app.appId,
				clientSecret: app.secret,
				...extra,
			},
		},
		testGraphAppApi,
	);
}

async function run(
	op: string,
	items: IDataObject[] = [{}],
	extra: { continueOnFail?: boolean; parameters?: IDataObject } = {},
) {
	return await runNode({
		nodeType: transportNode,
		parameters: { op, ...(extra.parameters ?? {}) } as never,
		credentials,
		items,
		store,
		continueOnFail: extra.continueOnFail,
	});
}

async function log(kind?: string) {
	const entries =
		await emu.admin<Array<{ method: string; path: string; status: number; kind: string; query: string }>>(
			'Get-RequestLog',
		);
	return kind ? entries.filter((e) => e.kind === kind) : entries;
}

beforeAll(async () => {
	emu = await startEmulator({ scenario: 'rbac', port: 0, httpPort: 0 });
	tenantId = emu.info.scenario.tenant.id;
	const rbac = emu.info.scenario.apps.rbac;
	app = { appId: rbac.appId, secret: rbac.secret! };
	ops.set('list', async function (i) {
		const mailbox = this.getNodeParameter('mailbox', i) as string;
		const result = await graphRequestAllPages.call(this, {
			method: 'GET',
			path: `${userPath.call(this, mailbox)}${folderPath('inbox')}/messages`,
			qs: { $select: 'id,subject', $top: 10 },
			mailbox,
			itemIndex: i,
		});
		return { count: result.items.length, pages: result.pages, subjects: result.items.map((m) => m.subject as string) };
	});
	ops.set('get', async function (i) {
		const mailbox = this.getNodeParameter('mailbox', i) as string;
		const body = await graphRequest.call(this, {
			method: 'GET',
			path: `${userPath.call(this, mailbox)}${folderPath('inbox')}`,
			mailbox,
			itemIndex: i,
		});
		return { index: i, name: body.displayName as string };
	});
	ops.set('slowGet', async function (i) {
		const body = await graphRequest.call(this, {
			method: 'GET',
			path: `${userPath(SUPPORT)}${folderPath('inbox')}`,
			mailbox: SUPPORT,
			itemIndex: i,
			timeoutMs: 700,
		});
		return { name: body.displayName as string };
	});
	ops.set('slowSend', async function (i) {
		try {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath(SUPPORT)}/sendMail`,
				body: {
					message: { subject: 'slow', toRecipients: [{ emailAddress: { address: 'adele@contoso.onmicrosoft.com' } }] },
				},
				mailbox: SUPPORT,
				idempotent: false,
				itemIndex: i,
				timeoutMs: 700,
			});
			return { sent: true };
		} catch (error) {
			if (isSendOutcomeUnknownError(error))
				return {
					sent: 'unknown',
					message: (error as Error).message,
					description: (error as { description?: string }).description ?? '',
				};
			throw error;
		}
	});
	ops.set('send', async function (i) {
		const mailbox = this.getNodeParameter('mailbox', i) as string;
		try {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath.call(this, mailbox)}/sendMail`,
				body: {
					message: {
						subject: `item ${i}`,
						body: { contentType: 'text', content: 'hi' },
						toRecipients: [{ emailAddress: { address: 'adele@contoso.onmicrosoft.com' } }],
					},
					saveToSentItems: true,
				},
				mailbox,
				idempotent: false,
				itemIndex: i,
			});
			return { sent: true };
		} catch (error) {
			if (isSendOutcomeUnknownError(error)) return { sent: 'unknown', message: (error as Error).message };
			throw error;
		}
	});
});

afterAll(async () => {
	await emu?.close();
});

beforeEach(async () => {
	store = newStore();
	await emu.admin('Clear-Faults');
	await emu.admin('Clear-RequestLog');
});

describe('graphRequest through n8n-core', () => {
	it('authenticates through n8n, follows nextLinks and requests one token', async () => {
		await emu.admin('Deliver-Message', { To: SUPPORT, Subject: 'paged', Count: 23 });
		const result = await run('list');
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.count).toBeGreaterThanOrEqual(23);
		expect(result.items[0].json.pages).toBeGreaterThanOrEqual(3);
		expect(store.stats('app1')).toMatchObject({ preAuthentication: 1, updates: 1 });
		const tokens = await log('token');
		expect(tokens).toHaveLength(1);
	});

	it('maps 403 ErrorAccessDenied to a message naming the app and mailbox, without secrets', async () => {
		const result = await run('get', [{}], { parameters: { mailbox: FINANCE } });
		expect(result.error?.name).toBe('NodeApiError');
		expect(result.error?.message).toContain(`This identity (app ${app.appId}`);
		expect(result.error?.message).toContain(`mailbox ${FINANCE}`);
		expect(result.error?.message).toContain('Exchange scoping');
		expect((result.error as { description?: string }).description).toMatch(/ErrorAccessDenied/);
		const token = store.data('app1').accessToken as string;
		expect(token.length).toBeGreaterThan(20);
		for (const secret of [token, app.secret]) {
			expect(result.errorText).not.toContain(secret);
			expect(result.logText).not.toContain(secret);
		}
		expect(result.errorText).not.toMatch(/"authorization"|Bearer /i);
	});

	it('maps 404 ErrorInvalidUser to "mailbox not found"', async () => {
		const result = await run('get', [{}], { parameters: { mailbox: 'nobody@contoso.onmicrosoft.com' } });
		expect(result.error?.message).toBe('Mailbox nobody@contoso.onmicrosoft.com was not found');
		expect((result.error as { httpCode?: string }).httpCode).toBe('404');
	});

	it.each([
		['support@contoso.onmicrosoft.com/../finance@contoso.onmicrosoft.com'],
		['support@contoso.onmicrosoft.com?$select=id'],
		['support@contoso.onmicrosoft.com#x'],
		['..'],
		['sup\u0000port@contoso.onmicrosoft.com'],
		['users/finance@contoso.onmicrosoft.com'],
	])('rejects the hostile mailbox %j before any request', async (mailbox) => {
		const result = await run('get', [{}], { parameters: { mailbox } });
		expect(result.error?.name).toBe('NodeOperationError');
		expect(result.error?.message).toMatch(/^The Mailbox ".*" is not valid/);
		expect((result.error as { description?: string }).description).toContain('parameter "mailbox"');
		expect(await log('graph')).toHaveLength(0);
	});

	it('retries 429 after Retry-After and succeeds', async () => {
		await emu.admin('Add-Fault', {
			Method: 'GET',
			PathRegex: 'mailFolders/inbox$',
			Status: 429,
			Headers: { 'Retry-After': '1' },
			Count: 2,
			Body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
		});
		const started = Date.now();
		const result = await run('get');
		expect(result.error).toBeUndefined();
		expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
		expect((await log('graph')).map((e) => e.status)).toEqual([429, 429, 200]);
	});

	it('gives up on persistent 429 with a throttling error', async () => {
		await emu.admin('Add-Fault', {
			Method: 'GET',
			PathRegex: 'mailFolders/inbox$',
			Status: 429,
			Headers: { 'Retry-After': '0' },
			Body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
		});
		const result = await run('get', [{}], { parameters: { throttleWaitMinutes: 0.05 } });
		expect(result.error?.message).toMatch(
			/kept throttling requests to mailbox support@contoso.onmicrosoft.com \(ApplicationThrottled\): the node waited \d+ s in \d+ retries and its Max Wait on Throttling \(0.05 min\) is spent/,
		);
		// Retry-After: 0 is honoured once, then at least a second apart: no hot loop through the budget.
		const attempts = (await log('graph')).length;
		expect(attempts).toBeGreaterThanOrEqual(3);
		expect(attempts).toBeLessThanOrEqual(5);
	});

	it('retries 503 without Retry-After on GET, but not on POST', async () => {
		await emu.admin('Add-Fault', { PathRegex: 'mailFolders/inbox$|sendMail', Status: 503, Count: 2 });
		const get = await run('get');
		expect(get.error).toBeUndefined();
		await emu.admin('Clear-RequestLog');
		await emu.admin('Add-Fault', { PathRegex: 'sendMail', Status: 503, Count: 2 });
		const send = await run('send');
		expect(send.error?.message).toMatch(/Microsoft Graph failed \(503/);
		expect(send.error?.message).not.toMatch(/outcome|may or may not/);
		expect((await log('graph')).filter((e) => e.path.endsWith('/sendMail'))).toHaveLength(1);
	});

	it('never re-sends a send after a connection reset: outcome unknown', async () => {
		await emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', Reset: true, Count: 1 });
		const result = await run('send');
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.sent).toBe('unknown');
		expect(result.items[0].json.message).toMatch(/may or may not have been carried out/);
		const sends = (await log()).filter((e) => e.path.endsWith('/sendMail'));
		expect(sends.length).toBeLessThanOrEqual(1);
	});

	it('a send that times out is reported as outcome unknown and not repeated; a GET is retried', async () => {
		await emu.admin('Add-Fault', { Method: 'POST', PathRegex: 'sendMail', DelayMs: 1500, Count: 1 });
		const send = await run('slowSend');
		expect(send.error).toBeUndefined();
		expect(send.items[0].json.sent).toBe('unknown');
		expect(send.items[0].json.message).toMatch(/request timed out before an answer came/);
		await new Promise((r) => setTimeout(r, 1200));
		const sent = await emu.admin<unknown[]>('Get-SentMessages', { Mailbox: SUPPORT });
		expect(sent.filter((m) => JSON.stringify(m).includes('slow'))).toHaveLength(1);

		await emu.admin('Add-Fault', { Method: 'GET', PathRegex: 'mailFolders/inbox$', DelayMs: 1500, Count: 1 });
		const get = await run('slowGet');
		expect(get.error).toBeUndefined();
		expect(get.items[0].json.name).toBeDefined();
	});

	it('maps a persistent 401 (after n8n re-authenticated once) and a 413', async () => {
		await emu.admin('Add-Fault', {
			Method: 'GET',
			PathRegex: 'mailFolders/inbox$',
			Status: 401,
			Count: 2,
			Body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } },
		});
		const denied = await run('get');
		expect(denied.error?.message).toMatch(/^Microsoft Graph rejected the access token of app /);
		expect((denied.error as { httpCode?: string }).httpCode).toBe('401');
		expect(store.stats('app1').preAuthenticationForced).toBe(1);

		ops.set('huge', async function () {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath(SUPPORT)}/sendMail`,
				body: {
					message: {
						subject: 'huge',
						body: { contentType: 'text', content: 'x'.repeat(5 * 1024 * 1024) },
						toRecipients: [{ emailAddress: { address: 'adele@contoso.onmicrosoft.com' } }],
					},
				},
				mailbox: SUPPORT,
				idempotent: false,
			});
			return {};
		});
		const huge = await run('huge');
		expect(huge.error?.message).toBe(
			`The request to mailbox ${SUPPORT} is too large for Microsoft Graph (ErrorRequestEntityTooLarge)`,
		);
		expect((huge.error as { description?: string }).description).toMatch(/upload session/);
	});

	it('retries an idempotent GET after a connection reset', async () => {
		await emu.admin('Add-Fault', { Method: 'GET', PathRegex: 'mailFolders/inbox$', Reset: true, Count: 1 });
		const result = await run('get');
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.name).toBeDefined();
	});
});

describe('concurrency', () => {
	it('runs many items concurrently within the mailbox limit and keeps order and pairing', async () => {
		await emu.admin('Set-Settings', { LatencyMs: 150 });
		try {
			const items = Array.from({ length: 12 }, (_, i) => ({ i }));
			await emu.admin('Get-ConcurrencyPeak', { Reset: true });
			const result = await run('get', items);
			const peaks = Object.values((await emu.admin('Get-ConcurrencyPeak')) as Record<string, number>);
			expect(result.error).toBeUndefined();
			expect(result.items.map((item) => item.json.index)).toEqual(items.map((_, i) => i));
			expect(result.items.map((item) => item.pairedItem)).toEqual(items.map((_, i) => ({ item: i })));
			expect((await log('graph')).filter((e) => e.status === 429)).toHaveLength(0);
			// Concurrent, and never past Exchange's 4 per app and mailbox (read from the emulator, not from a clock).
			expect(Math.max(...peaks)).toBe(4);
		} finally {
			await emu.admin('Set-Settings', { LatencyMs: 0 });
		}
	});

	it('lets the first request of an execution go alone: an expired token costs one 401 and one token', async () => {
		// Obtain a token, then make it invalid the way an expiry does.
		await run('get');
		store.patch('app1', { accessToken: 'eyJhbGciOiJub25lIn0.eyJleHAiOjF9.expired' });
		await emu.admin('Clear-RequestLog');
		const before = store.stats('app1').preAuthentication;
		const result = await run(
			'get',
			Array.from({ length: 8 }, () => ({})),
		);
		expect(result.error).toBeUndefined();
		expect(store.stats('app1').preAuthentication - before).toBe(1);
		expect((await log('graph')).filter((e) => e.status === 401)).toHaveLength(1);
		expect(await log('token')).toHaveLength(1);
	});
});

describe('$batch and upload sessions', () => {
	beforeAll(() => {
		ops.set('batch', async function () {
			const mailbox = SUPPORT;
			const requests = Array.from({ length: 25 }, (_, n) => ({
				id: `r${n}`,
				method: 'GET' as const,
				url: `${userPath(mailbox)}${folderPath('inbox')}`,
			}));
			requests.push({ id: 'bad', method: 'GET', url: `${userPath(FINANCE)}${folderPath('inbox')}` });
			const results = await graphBatch.call(this, { requests, mailbox });
			return {
				statuses: results.map((r) => r.status),
				errors: results.filter((r) => r.error).map((r) => r.error!.message),
			};
		});
		ops.set('upload', async function (i) {
			const mailbox = SUPPORT;
			const draft = await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath(mailbox)}/messages`,
				body: {
					subject: 'with upload',
					toRecipients: [{ emailAddress: { address: 'adele@contoso.onmicrosoft.com' } }],
				},
				mailbox,
				idempotent: false,
			});
			const size = 5 * 1024 * 1024 + 123;
			const session = await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath(mailbox)}${messagePath(draft.id)}/attachments/createUploadSession`,
				body: { AttachmentItem: { attachmentType: 'file', name: 'big.bin', size } },
				mailbox,
				idempotent: false,
			});
			const content = Buffer.alloc(size, 7);
			const chunk = 12 * 320 * 1024;
			const statuses: number[] = [];
			for (let start = 0; start < size; start += chunk) {
				const piece = content.subarray(start, start + chunk);
				statuses.push(
					(
						await uploadChunk.call(this, {
							uploadUrl: session.uploadUrl,
							chunk: piece,
							start,
							total: size,
							mailbox,
							itemIndex: i,
						})
					).statusCode,
				);
			}
			const attachments = await graphRequest.call(this, {
				method: 'GET',
				path: `${userPath(mailbox)}${messagePath(draft.id)}/attachments`,
				qs: { $select: 'name,size' },
				mailbox,
			});
			return { statuses, attachments: attachments.value };
		});
	});

	it('sends 26 requests as sequential $batch chains (1, then 4 in flight), maps inner errors', async () => {
		const result = await run('batch');
		expect(result.error).toBeUndefined();
		const { statuses, errors } = result.items[0].json as { statuses: number[]; errors: string[] };
		expect(statuses.slice(0, 25).every((s) => s === 200)).toBe(true);
		expect(statuses[25]).toBe(403);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toContain(`mailbox ${SUPPORT}`.replace(SUPPORT, SUPPORT));
		// Sequential chains Graph accepts (none refused with 400): the execution's first request alone, then the
		// other 25 in 4 chains, one per Exchange slot.
		const batches = (await log('graph')).filter((e) => e.path.endsWith('$batch'));
		expect(batches.map((e) => e.status)).toEqual([200, 200, 200, 200, 200]);
	});

	it('uploads chunks without Authorization through the plain helper', async () => {
		const result = await run('upload');
		expect(result.error).toBeUndefined();
		const { statuses, attachments } = result.items[0].json as { statuses: number[]; attachments: IDataObject[] };
		expect(statuses[statuses.length - 1]).toBe(201);
		expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
		expect(attachments).toEqual([expect.objectContaining({ name: 'big.bin', size: 5 * 1024 * 1024 + 123 })]);
	});
});

describe('error hygiene', () => {
	it('a failing token request surfaces without the client secret', async () => {
		store = newStore({ clientSecret: 'definitely-wrong-secret-value' });
		const result = await run('get');
		expect(result.error).toBeDefined();
		expect(result.errorText).not.toContain('definitely-wrong-secret-value');
		expect(result.logText).not.toContain('definitely-wrong-secret-value');
	});

	it('continue on fail outputs the mapped error per item', async () => {
		const result = await run('get', [{ a: 1 }, { a: 2 }], { continueOnFail: true, parameters: { mailbox: FINANCE } });
		expect(result.items).toHaveLength(2);
		expect(result.items[0].json.error).toContain('is not allowed to use mailbox');
		expect(result.items[1].pairedItem).toEqual({ item: 1 });
	});

	it('NodeOperationError is what a hostile mailbox gives with userPath.call', () => {
		const ctx = {
			getNode: () => ({
				id: '1',
				name: 'n',
				type: 't',
				typeVersion: 1,
				position: [0, 0] as [number, number],
				parameters: {},
			}),
		};
		expect(() => userPath.call(ctx, 'a/b@c.com')).toThrow(NodeOperationError);
	});
});
