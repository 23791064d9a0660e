/**
 * The harness itself: a tiny node and a tiny credential type (hidden expirable accessToken, preAuthentication,
 * generic authenticate) against a local HTTP server, through n8n-core's real engine.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	NodeApiError,
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IExecuteFunctions,
	type IHttpRequestHelper,
	type INodeExecutionData,
	type INodeType,
	type IPollFunctions,
} from 'n8n-workflow';

import {
	CredentialStore,
	PollingWorkflow,
	binaryItem,
	readBinary,
	runNode,
	runPoll,
	sha256,
	patternBytes,
} from './index';

interface Seen {
	method: string;
	url: string;
	authorization?: string;
	body: Buffer;
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
let tokenCounter = 0;
let validToken = '';
let rotatingRefresh = 0;

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
	});
}

beforeAll(async () => {
	server = createServer(async (req, res) => {
		const body = await readBody(req);
		seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
		const send = (status: number, payload: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(payload));
		};
		if (req.url === '/token') {
			tokenCounter++;
			validToken = `token-${tokenCounter}`;
			rotatingRefresh++;
			send(200, { access_token: validToken, refresh_token: `refresh-${rotatingRefresh}`, expires_in: 3600 });
			return;
		}
		if (req.url === '/oauth/token') {
			const form = new URLSearchParams(body.toString());
			tokenCounter++;
			validToken = `oauth-token-${tokenCounter}`;
			send(200, {
				access_token: validToken,
				refresh_token: `${form.get('refresh_token')}-next`,
				token_type: 'Bearer',
				expires_in: 3600,
			});
			return;
		}
		if (req.headers.authorization !== `Bearer ${validToken}`) {
			send(401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
			return;
		}
		if (req.url?.startsWith('/echo')) {
			send(200, { ok: true, url: req.url, bytes: body.length, sha256: sha256(body) });
			return;
		}
		if (req.url === '/forbidden') {
			send(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } });
			return;
		}
		if (req.url === '/items') {
			send(200, { value: [{ id: 'a' }, { id: 'b' }] });
			return;
		}
		send(404, { error: { code: 'NotFound' } });
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
	seen.length = 0;
});

const testTokenApi: ICredentialType = {
	name: 'testTokenApi',
	displayName: 'Test Token API',
	properties: [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Secret', name: 'secret', type: 'string', typeOptions: { password: true }, default: '' },
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'hidden',
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
		const answer = (await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.baseUrl as string}/token`,
			body: { secret: credentials.secret },
			json: true,
		})) as { access_token: string; refresh_token: string };
		return { accessToken: answer.access_token, refreshToken: answer.refresh_token };
	},
	authenticate: {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } },
	},
};

const testOAuth2Api: ICredentialType = {
	name: 'testOAuth2Api',
	displayName: 'Test OAuth2',
	extends: ['oAuth2Api'],
	properties: [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: '={{$self.baseUrl}}/oauth/token',
		},
	],
};

/** Calls `${baseUrl}${path}` with the credential named by the `authentication` parameter, once per item. */
const tinyNode: INodeType = {
	description: {
		displayName: 'Tiny',
		name: 'tiny',
		group: ['transform'],
		version: [1, 2],
		description: 'Harness test node',
		defaults: { name: 'Tiny' },
		inputs: ['main' as never],
		outputs: ['main' as never],
		credentials: [
			{ name: 'testTokenApi', required: true, displayOptions: { show: { authentication: ['testTokenApi'] } } },
			{ name: 'testOAuth2Api', required: true, displayOptions: { show: { authentication: ['testOAuth2Api'] } } },
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{ name: 'Token', value: 'testTokenApi' },
					{ name: 'OAuth2', value: 'testOAuth2Api' },
				],
				default: 'testTokenApi',
			},
			{ displayName: 'Path', name: 'path', type: 'string', default: '/echo' },
			{ displayName: 'Binary Property', name: 'binaryProperty', type: 'string', default: '' },
			{ displayName: 'Download', name: 'download', type: 'boolean', default: false },
		],
	},
	async execute(this: IExecuteFunctions) {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		const authentication = this.getNodeParameter('authentication', 0) as string;
		const credentials = await this.getCredentials(authentication);
		for (let i = 0; i < items.length; i++) {
			try {
				const path = this.getNodeParameter('path', i) as string;
				if (path === 'throw-operation') throw new NodeOperationError(this.getNode(), 'Bad path', { itemIndex: i });
				const binaryProperty = this.getNodeParameter('binaryProperty', i) as string;
				let body: Buffer | undefined;
				if (binaryProperty) {
					const meta = this.helpers.assertBinaryData(i, binaryProperty);
					const stream = meta.id ? await this.helpers.getBinaryStream(meta.id) : undefined;
					const chunks: Buffer[] = [];
					if (stream) for await (const chunk of stream) chunks.push(chunk as Buffer);
					body = stream ? Buffer.concat(chunks) : await this.helpers.getBinaryDataBuffer(i, binaryProperty);
				}
				const response = await this.helpers.httpRequestWithAuthentication.call(this, authentication, {
					method: body ? 'POST' : 'GET',
					url: `${credentials.baseUrl as string}${path}`,
					body,
					json: !body,
				});
				const json = typeof response === 'string' ? JSON.parse(response) : response;
				const item: INodeExecutionData = { json, pairedItem: { item: i } };
				if (this.getNodeParameter('download', i) as boolean) {
					item.binary = { data: await this.helpers.prepareBinaryData(patternBytes(2 * 1024 * 1024), 'out.bin') };
				}
				out.push(item);
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				if (error instanceof NodeOperationError) throw error;
				throw new NodeApiError(this.getNode(), error as never, { itemIndex: i });
			}
		}
		return [out];
	},
};

const tinyTrigger: INodeType = {
	description: {
		displayName: 'Tiny Trigger',
		name: 'tinyTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Harness poll node',
		defaults: { name: 'Tiny Trigger' },
		polling: true,
		inputs: [],
		outputs: ['main' as never],
		credentials: [{ name: 'testTokenApi', required: true }],
		properties: [{ displayName: 'Emit', name: 'emit', type: 'boolean', default: true }],
	},
	async poll(this: IPollFunctions) {
		const data = this.getWorkflowStaticData('node');
		data.polls = ((data.polls as number) ?? 0) + 1;
		const credentials = await this.getCredentials('testTokenApi');
		const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'testTokenApi', {
			url: `${credentials.baseUrl as string}/items`,
			json: true,
		})) as { value: Array<{ id: string }> };
		if (!(this.getNodeParameter('emit') as boolean)) return null;
		return [this.helpers.returnJsonArray(response.value.map((v) => ({ ...v, poll: data.polls })))];
	},
};

/** Assigns a nested object on its first poll, then only changes it in place and emits. */
const nestedTrigger: INodeType = {
	description: {
		...tinyTrigger.description,
		displayName: 'Nested Trigger',
		name: 'nestedTrigger',
		defaults: { name: 'Nested Trigger' },
		properties: [],
	},
	async poll(this: IPollFunctions) {
		const data = this.getWorkflowStaticData('node');
		if (!data.state) {
			data.state = { count: 1 };
			return null;
		}
		(data.state as { count: number }).count++;
		return [this.helpers.returnJsonArray([{ count: (data.state as { count: number }).count }])];
	},
};

function newStore() {
	return new CredentialStore()
		.add(
			{ id: 'c1', name: 'Token', type: 'testTokenApi', data: { baseUrl, secret: 'sup3r-s3cret-value' } },
			testTokenApi,
		)
		.add(
			{
				id: 'o1',
				name: 'OAuth',
				type: 'testOAuth2Api',
				data: {
					baseUrl,
					clientId: 'client-1',
					clientSecret: 'oauth-client-secret',
					oauthTokenData: { access_token: 'stale-oauth-token', refresh_token: 'rt-0', token_type: 'Bearer' },
				},
			},
			testOAuth2Api,
		);
}

const tokenCredentials = { testTokenApi: { id: 'c1', name: 'Token' } };

describe('runNode', () => {
	it('runs a node in WorkflowExecute and requests a token once per lifetime', async () => {
		const store = newStore();
		const run = await runNode({
			nodeType: tinyNode,
			parameters: { path: '=/echo?x={{ $json.n }}' },
			credentials: tokenCredentials,
			items: [{ n: 1 }, { n: 2 }, { n: 3 }],
			store,
		});
		expect(run.error).toBeUndefined();
		expect(run.items.map((i) => i.json.url)).toEqual(['/echo?x=1', '/echo?x=2', '/echo?x=3']);
		expect(run.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(store.stats('c1')).toMatchObject({ preAuthentication: 1, updates: 1 });
		expect(store.data('c1')).toMatchObject({ accessToken: validToken, refreshToken: `refresh-${rotatingRefresh}` });

		// A second execution reuses the saved token: no new token request.
		const again = await runNode({ nodeType: tinyNode, parameters: {}, credentials: tokenCredentials, store });
		expect(again.items).toHaveLength(1);
		expect(store.stats('c1').preAuthentication).toBe(1);
	});

	it('re-runs preAuthentication once after a 401 and persists the new token', async () => {
		const store = newStore();
		store.patch('c1', { accessToken: 'revoked-token' });
		const run = await runNode({ nodeType: tinyNode, parameters: {}, credentials: tokenCredentials, store });
		expect(run.error).toBeUndefined();
		expect(store.stats('c1')).toMatchObject({ preAuthentication: 1, preAuthenticationForced: 1, updates: 1 });
		expect(seen.filter((s) => s.url === '/echo').map((s) => s.authorization)).toEqual([
			'Bearer revoked-token',
			`Bearer ${validToken}`,
		]);
	});

	it('surfaces node errors, honours Continue On Fail, and keeps logs', async () => {
		const store = newStore();
		const failed = await runNode({
			nodeType: tinyNode,
			parameters: { path: '/forbidden' },
			credentials: tokenCredentials,
			store,
		});
		expect(failed.items).toEqual([]);
		expect(failed.error?.name).toBe('NodeApiError');
		expect((failed.error as NodeApiError).httpCode).toBe('403');
		expect(failed.errorText).toContain('403');

		const continued = await runNode({
			nodeType: tinyNode,
			parameters: { path: 'throw-operation' },
			credentials: tokenCredentials,
			items: [{ a: 1 }, { a: 2 }],
			continueOnFail: true,
			store,
		});
		expect(continued.error).toBeUndefined();
		expect(continued.items.map((i) => i.json.error)).toEqual(['Bad path', 'Bad path']);
		expect(Array.isArray(continued.logs)).toBe(true);
		expect(continued.logText).not.toContain('sup3r-s3cret-value');
	});

	it('runs n8n-core requestOAuth2: refresh on 401, token data saved', async () => {
		const store = newStore();
		const run = await runNode({
			nodeType: tinyNode,
			parameters: { authentication: 'testOAuth2Api' },
			credentials: { testOAuth2Api: { id: 'o1', name: 'OAuth' } },
			store,
		});
		expect(run.error).toBeUndefined();
		expect(store.stats('o1')).toMatchObject({ oauthTokenUpdates: 1 });
		const saved = store.data('o1').oauthTokenData as Record<string, string>;
		expect(saved.access_token).toBe(validToken);
		expect(saved.refresh_token).toBe('rt-0-next');
		const refresh = seen.find((s) => s.url === '/oauth/token')!;
		expect(new URLSearchParams(refresh.body.toString()).get('grant_type')).toBe('refresh_token');
	});

	it('streams filesystem binary data in and writes binary data out', async () => {
		const store = newStore();
		const item = await binaryItem({ sizeMb: 5, fileName: 'big.bin', json: { k: 'v' } });
		expect(item.binary!.data.id).toMatch(/^filesystem/);
		const run = await runNode({
			nodeType: tinyNode,
			parameters: { binaryProperty: 'data', download: true },
			credentials: tokenCredentials,
			items: [item],
			store,
		});
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ bytes: 5 * 1024 * 1024, sha256: sha256(patternBytes(5 * 1024 * 1024)) });
		const out = run.items[0].binary!.data;
		expect(out.id).toMatch(/^filesystem/);
		expect((await readBinary(out)).equals(patternBytes(2 * 1024 * 1024))).toBe(true);
	});

	it("resolves $('Start') references like in a workflow", async () => {
		const run = await runNode({
			nodeType: tinyNode,
			parameters: { path: "=/echo?from={{ $('Start').item.json.n }}" },
			credentials: tokenCredentials,
			items: [{ n: 7 }],
			store: newStore(),
		});
		expect(run.items[0].json.url).toBe('/echo?from=7');
	});

	it('does not persist a preAuthentication result without the expirable property (like n8n)', async () => {
		const noTokenType: ICredentialType = {
			...testTokenApi,
			name: 'noTokenApi',
			async preAuthentication() {
				return { refreshToken: 'would-be-lost' };
			},
		};
		const store = newStore().add({ id: 'n1', name: 'No token', type: 'noTokenApi', data: { baseUrl } }, noTokenType);
		const node: INodeType = {
			...tinyNode,
			description: {
				...tinyNode.description,
				credentials: [{ name: 'noTokenApi', required: true }],
				properties: [
					{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'noTokenApi' },
					...tinyNode.description.properties.slice(1),
				],
			},
		};
		const run = await runNode({
			nodeType: node,
			parameters: {},
			credentials: { noTokenApi: { id: 'n1', name: 'No token' } },
			store,
		});
		expect(store.stats('n1')).toMatchObject({ preAuthentication: 2, updates: 0 });
		expect(store.data('n1').refreshToken).toBeUndefined();
		expect(run.error?.name).toBe('NodeApiError');
	});

	it('runs a chosen type version', async () => {
		const run = await runNode({
			nodeType: tinyNode,
			typeVersion: 1,
			parameters: {},
			credentials: tokenCredentials,
			store: newStore(),
		});
		expect(run.error).toBeUndefined();
		expect(run.executionData.data.resultData.runData.Tiny[0].executionStatus).toBe('success');
	});
});

describe('runPoll', () => {
	const pollCredentials = { testTokenApi: { id: 'c1', name: 'Token' } };

	it('saves static data when the poll emits in trigger mode', async () => {
		const store = newStore();
		const first = await runPoll({ nodeType: tinyTrigger, parameters: {}, credentials: pollCredentials, store });
		expect(first.error).toBeUndefined();
		expect(first.items?.map((i) => i.json.id)).toEqual(['a', 'b']);
		expect(first.saved).toBe(true);
		expect(first.staticData).toEqual({ 'node:Tiny Trigger': { polls: 1 } });
		const second = await runPoll({
			nodeType: tinyTrigger,
			parameters: {},
			credentials: pollCredentials,
			store,
			staticData: first.staticData,
		});
		expect(second.items?.[0].json.poll).toBe(2);
	});

	it('saves after the activation poll, then keeps changes of a null poll in memory only; a restart loses them', async () => {
		const store = newStore();
		const wf = new PollingWorkflow({
			nodeType: tinyTrigger,
			parameters: { emit: false },
			credentials: pollCredentials,
			store,
		});
		// n8n runs the first poll while activating and saves the static data when activation is done.
		const first = await wf.poll();
		expect(first.items).toBeNull();
		expect(first.saved).toBe(true);
		expect(first.staticData).toEqual({ 'node:Tiny Trigger': { polls: 1 } });
		const second = await wf.poll();
		expect(second.saved).toBe(false);
		expect(wf.memoryStaticData).toEqual({ 'node:Tiny Trigger': { polls: 2 } });
		expect(wf.staticData).toEqual({ 'node:Tiny Trigger': { polls: 1 } });
		wf.restart();
		expect(wf.memoryStaticData).toEqual({ 'node:Tiny Trigger': { polls: 1 } });
	});

	it('saves what a poll changed in objects it created itself in memory only when the poll flags them', async () => {
		// n8n wraps static data when it loads it; an object a poll assigns is not wrapped, so later in-place changes to
		// it are not noticed (n8n-workflow's ObservableObject). The harness behaves the same way.
		const store = newStore();
		const wf = new PollingWorkflow({ nodeType: nestedTrigger, parameters: {}, credentials: pollCredentials, store });
		await wf.poll(); // activation: assigns { nested: { count: 1 } } and is saved
		const second = await wf.poll(); // emits after mutating nested.count in place
		expect(second.items).toHaveLength(1);
		expect(second.saved).toBe(false);
		expect(wf.staticData).toEqual({ 'node:Nested Trigger': { state: { count: 1 } } });
	});

	it('never saves static data in manual mode', async () => {
		const store = newStore();
		const result = await runPoll({
			nodeType: tinyTrigger,
			parameters: {},
			credentials: pollCredentials,
			store,
			mode: 'manual',
		});
		expect(result.items).toHaveLength(2);
		expect(result.saved).toBe(false);
		expect(result.staticData).toEqual({});
	});
});
