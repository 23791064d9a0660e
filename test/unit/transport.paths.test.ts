/** Pure parts of the transport: URL building with hostile values, OData escaping, retry rules, $batch chains. */
import { BatchRequestContent, type BatchRequestStep } from '@microsoft/microsoft-graph-client';
import { NodeOperationError, type INode, type INodeExecutionData } from 'n8n-workflow';

import {
	InvalidMailboxError,
	assertMailbox,
	encodeQuery,
	folderPath,
	messagePath,
	normaliseMailbox,
	odataString,
	parseRetryAfter,
	defaultGraphHeaders,
	planChains,
	wireChain,
	runForItems,
	scrubSecrets,
	userPath,
	DEFAULT_RETRY_POLICY,
} from '../../nodes/ScopedMailbox/transport';
import { decideOnStatus } from '../../nodes/ScopedMailbox/transport/retry';

const node: INode = { id: '1', name: 'Scoped Mailbox', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

describe('userPath', () => {
	it.each([
		['shared@contoso.com', '/users/shared%40contoso.com'],
		['  Shared.Box@Contoso.com ', '/users/Shared.Box%40Contoso.com'],
		["o'brien@contoso.com", "/users/o'brien%40contoso.com"],
		['a+tag&x=1@contoso.com', '/users/a%2Btag%26x%3D1%40contoso.com'],
		['8c7f7a4e-2f3b-4b8f-9d1e-1234567890ab', '/users/8c7f7a4e-2f3b-4b8f-9d1e-1234567890ab'],
		["$svc'x@contoso.com", "/users('%24svc''x%40contoso.com')"],
	])('encodes %j', (mailbox, path) => {
		expect(userPath(mailbox)).toBe(path);
	});

	it.each([
		['', 'empty'],
		['shared', 'neither an email address nor an object ID'],
		['a/b@contoso.com', "'/'"],
		['a@contoso.com/../b@contoso.com', "'/'"],
		['a@contoso.com?$top=1', "'?'"],
		['a@contoso.com#frag', "'#'"],
		['a..b@contoso.com', "'..'"],
		['a\\b@contoso.com', "'/'"],
		['a@contoso.com\r\nX-Injected: 1', 'control characters'],
		['a\u0000@contoso.com', 'control characters'],
		['a b@contoso.com', 'spaces'],
		['a@contoso', 'not a valid email address'],
		['a@-contoso.com', 'not a valid email address'],
		['%2e%2e@contoso.com', "'%'"],
	])('rejects %j', (mailbox, reason) => {
		expect(() => userPath(mailbox)).toThrow(InvalidMailboxError);
		try {
			userPath(mailbox);
		} catch (error) {
			expect((error as Error).message).toContain(reason === 'empty' ? 'it is empty' : reason);
			expect((error as InvalidMailboxError).description).toContain('shared@contoso.com');
		}
	});

	it('names the field and the fix as a NodeOperationError', () => {
		expect(() => assertMailbox(node, 'x/y', 2, 'sendAs')).toThrow(NodeOperationError);
		try {
			assertMailbox(node, 'x/y', 2, 'sendAs');
		} catch (error) {
			expect((error as NodeOperationError).description).toContain('parameter "sendAs"');
			expect((error as NodeOperationError).context.itemIndex).toBe(2);
		}
		expect(() => userPath.call({ getNode: () => node }, '../x')).toThrow(NodeOperationError);
		expect(normaliseMailbox(' A@b.co ')).toBe('A@b.co');
	});
});

describe('ids and query values', () => {
	it('encodes folder and message ids', () => {
		expect(folderPath('inbox')).toBe('/mailFolders/inbox');
		expect(messagePath('AAMk/ab+c==')).toBe('/messages/AAMk%2Fab%2Bc%3D%3D');
		expect(messagePath('../../users/other@x.com')).toBe('/messages/..%2F..%2Fusers%2Fother%40x.com');
		expect(folderPath('a?b#c')).toBe('/mailFolders/a%3Fb%23c');
		expect(() => messagePath('')).toThrow(/message ID is empty/);
	});

	it('escapes OData string literals', () => {
		expect(odataString("O'Brien")).toBe("O''Brien");
		expect(odataString("') or true or ('")).toBe("'') or true or (''");
		expect(`subject eq '${odataString("it's")}'`).toBe("subject eq 'it''s'");
	});

	it('percent-encodes query values, keeps $ in system query option names', () => {
		expect(encodeQuery({ $filter: "subject eq 'a&b=c'", $top: 5, empty: '', none: undefined })).toBe(
			"$filter=subject%20eq%20'a%26b%3Dc'&$top=5",
		);
		expect(encodeQuery({ $select: ['id', 'subject'] })).toBe('$select=id%2Csubject');
	});
});

describe('retry rules', () => {
	const none = { throttle: 0, server: 0 };
	it('reads Retry-After as seconds or date', () => {
		expect(parseRetryAfter('3')).toBe(3000);
		expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
		expect(parseRetryAfter('soon')).toBeUndefined();
		expect(parseRetryAfter(undefined)).toBeUndefined();
	});

	it('retries throttling for any request, 5xx only when idempotent', () => {
		expect(decideOnStatus(429, 1000, false, none, DEFAULT_RETRY_POLICY)).toMatchObject({ retry: true });
		expect(decideOnStatus(503, 1000, false, none, DEFAULT_RETRY_POLICY)).toMatchObject({ retry: true });
		expect(decideOnStatus(503, undefined, false, none, DEFAULT_RETRY_POLICY)).toEqual({ retry: false });
		expect(decideOnStatus(500, undefined, true, none, DEFAULT_RETRY_POLICY)).toMatchObject({ retry: true });
		expect(decideOnStatus(500, undefined, false, none, DEFAULT_RETRY_POLICY)).toEqual({ retry: false });
		expect(decideOnStatus(400, undefined, true, none, DEFAULT_RETRY_POLICY)).toEqual({ retry: false });
	});

	it('waits on throttling as long as the time budget lasts, not a count of retries', () => {
		const budget = DEFAULT_RETRY_POLICY.throttleBudgetMs;
		expect(
			decideOnStatus(429, 1000, true, { throttle: 40, server: 0, throttleWaitedMs: 40_000 }, DEFAULT_RETRY_POLICY),
		).toMatchObject({ retry: true });
		expect(
			decideOnStatus(429, 1000, true, { throttle: 4, server: 0, throttleWaitedMs: budget - 500 }, DEFAULT_RETRY_POLICY),
		).toEqual({ retry: false, budgetExhausted: true });
		expect(decideOnStatus(429, budget + 1000, true, none, DEFAULT_RETRY_POLICY)).toEqual({
			retry: false,
			budgetExhausted: true,
		});
		expect(decideOnStatus(429, 1000, true, none, { ...DEFAULT_RETRY_POLICY, throttleBudgetMs: 0 })).toEqual({
			retry: false,
			budgetExhausted: true,
		});
		const decision = decideOnStatus(429, 2000, true, none, DEFAULT_RETRY_POLICY);
		expect(decision.retry && decision.delayMs).toBeGreaterThanOrEqual(2000);
		expect(decision.retry && decision.delayMs).toBeLessThan(3000);
	});
});

describe('planChains / wireChain', () => {
	const req = (id: string) => ({ id, method: 'GET' as const, url: `/users/a%40b.com/messages/${id}` });
	const many = (n: number) => Array.from({ length: n }, (_, i) => req(`r${i}`));

	it('cuts into a multiple of 4 chains of even length, at most 20 each, in order', () => {
		const lengths = (n: number) => planChains(many(n)).map((c) => c.length);
		expect(lengths(1)).toEqual([1]);
		expect(lengths(3)).toEqual([1, 1, 1]);
		expect(lengths(12)).toEqual([3, 3, 3, 3]);
		expect(lengths(80)).toEqual([20, 20, 20, 20]);
		expect(lengths(81)).toEqual([11, 11, 11, 11, 11, 11, 11, 4]);
		expect(lengths(200)).toEqual(Array(11).fill(17).concat([13]));
		expect(planChains(many(45)).flat()).toEqual(many(45));
		expect(planChains(many(30), 1).map((c) => c.length)).toEqual([15, 15]);
	});

	// Microsoft's library is the judge: every batch the transport sends has a shape BatchRequestContent accepts.
	it.each([1, 2, 5, 12, 20, 37, 81])('%i requests: every chain is a shape Graph accepts', async (n) => {
		for (const chain of planChains(many(n))) {
			const wired = wireChain(chain).requests as Array<{ id: string; url: string; dependsOn?: string[] }>;
			expect(wired.length).toBeLessThanOrEqual(20);
			const steps: BatchRequestStep[] = wired.map((r) => ({
				id: r.id,
				request: new Request(`https://graph.microsoft.com/v1.0${r.url}`),
				...(r.dependsOn ? { dependsOn: r.dependsOn } : {}),
			}));
			await expect(new BatchRequestContent(steps).getContent()).resolves.toBeDefined();
		}
	});

	it('the shape of the 4 lanes used before issue 11 is one the library refuses', async () => {
		const steps: BatchRequestStep[] = many(6).map((r, i) => ({
			id: r.id,
			request: new Request(`https://graph.microsoft.com/v1.0${r.url}`),
			...(i >= 4 ? { dependsOn: [`r${i - 4}`] } : {}),
		}));
		await expect(new BatchRequestContent(steps).getContent()).rejects.toMatchObject({ name: 'Invalid Dependency' });
	});

	it("carries the headers every Graph request carries, under the request's own", () => {
		const wired = wireChain([
			{ id: '1', method: 'GET', url: '/users/x/messages/y' },
			{ id: '2', method: 'GET', url: '/users/x/messages/z', headers: { 'X-Own': 'kept' } },
		]).requests as Array<{ headers?: Record<string, string> }>;
		for (const request of wired) expect(request.headers ?? {}).toMatchObject(defaultGraphHeaders());
		expect(wired[1].headers?.['X-Own']).toBe('kept');
	});

	it('sets Content-Type for bodies', () => {
		const [patch] = wireChain([{ id: '1', method: 'PATCH', url: '/users/x/messages/y', body: { isRead: true } }])
			.requests as Array<{ headers: Record<string, string> }>;
		expect(patch.headers['Content-Type']).toBe('application/json');
	});
});

describe('runForItems', () => {
	const items: INodeExecutionData[] = Array.from({ length: 10 }, (_, i) => ({ json: { i } }));
	it('keeps order and pairing, and limits concurrency per mailbox', async () => {
		const running = new Map<string, number>();
		let peak = 0;
		const out = await runForItems(
			items,
			(i) => (i % 2 ? 'a@x.com' : 'b@x.com'),
			async (i) => {
				const key = i % 2 ? 'a' : 'b';
				running.set(key, (running.get(key) ?? 0) + 1);
				peak = Math.max(peak, running.get(key)!);
				await new Promise((r) => setTimeout(r, 30 - i * 2));
				running.set(key, running.get(key)! - 1);
				return { json: { i } };
			},
			{ perMailbox: 2 },
		);
		expect(out.map((o) => o.json.i)).toEqual(items.map((_, i) => i));
		expect(out.map((o) => o.pairedItem)).toEqual(items.map((_, i) => ({ item: i })));
		expect(peak).toBe(2);
	});

	it('continues on fail through onError, or throws the first failing item', async () => {
		const worker = async (i: number) => {
			if (i === 3 || i === 5) throw new Error(`boom ${i}`);
			return { json: { i } };
		};
		const out = await runForItems(items, () => 'a@x.com', worker, { onError: (e) => ({ json: { error: e.message } }) });
		expect(out[3].json.error).toBe('boom 3');
		expect(out[3].pairedItem).toEqual({ item: 3 });
		await expect(runForItems(items, () => 'a@x.com', worker)).rejects.toThrow('boom 3');
	});
});

describe('scrubSecrets', () => {
	it('removes tokens and named secrets', () => {
		const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl';
		expect(scrubSecrets(`Authorization: Bearer ${jwt} and ${jwt}`)).not.toContain(jwt);
		expect(scrubSecrets('client_secret=abc123secret', ['abc123secret'])).toBe('client_secret=[redacted]');
	});
});
