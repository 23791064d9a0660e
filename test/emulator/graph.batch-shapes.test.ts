/**
 * $batch dependency shapes, judged by Microsoft's own library: whatever @microsoft/microsoft-graph-client's
 * BatchRequestContent accepts (validateDependencies, reached through its public getContent) the emulator must
 * run, and whatever it refuses the emulator must refuse as a whole with Graph's 400 BadRequest "Batch should be
 * either fully sequential or fully parallel" (the Graph JSON batching known issue). Also the library's URL
 * handling that decision 9 relies on.
 */
import { BatchRequestContent, type BatchRequestStep } from '@microsoft/microsoft-graph-client';

import { enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
beforeAll(async () => {
	k = await startKit();
});
afterAll(() => k.emu.close());

/** A shape: request ids in array order, each with what it depends on. */
type Shape = Array<[id: string, dependsOn?: string[]]>;

const SEQUENTIAL_OR_PARALLEL = 'Batch should be either fully sequential or fully parallel';

const shapes: Array<{ name: string; shape: Shape; message?: string }> = [
	{ name: 'one request', shape: [['a']] },
	{ name: 'parallel', shape: [['a'], ['b'], ['c']] },
	{
		name: 'parallel, empty dependsOn arrays',
		shape: [
			['a', []],
			['b', []],
			['c', []],
		],
	},
	{ name: 'sequential', shape: [['a'], ['b', ['a']], ['c', ['b']], ['d', ['c']]] },
	{ name: 'same: all on the first', shape: [['a'], ['b', ['a']], ['c', ['a']], ['d', ['a']]] },
	{ name: 'same: all on a later one', shape: [['b', ['a']], ['a'], ['c', ['a']]] },
	{ name: 'same: the first on the second', shape: [['a', ['b']], ['b']] },
	{
		name: "4 lanes (the package's shape before issue 11)",
		shape: [['r0'], ['r1'], ['r2'], ['r3'], ['r4', ['r0']], ['r5', ['r1']]],
		message: SEQUENTIAL_OR_PARALLEL,
	},
	{ name: 'two chains', shape: [['a'], ['b'], ['c', ['a']], ['d', ['b']]], message: SEQUENTIAL_OR_PARALLEL },
	{
		name: 'some depend on one, others on none',
		shape: [['a'], ['b'], ['c', ['a']]],
		message: SEQUENTIAL_OR_PARALLEL,
	},
	{
		name: 'sequential with a skip',
		shape: [['a'], ['b', ['a']], ['c', ['a']], ['d', ['c']]],
		message: SEQUENTIAL_OR_PARALLEL,
	},
	{ name: 'chain out of array order', shape: [['a'], ['c', ['b']], ['b', ['a']]], message: SEQUENTIAL_OR_PARALLEL },
	{ name: 'two dependencies', shape: [['a'], ['b'], ['c', ['a', 'b']]], message: SEQUENTIAL_OR_PARALLEL },
	{ name: 'depends on itself', shape: [['a', ['a']]] },
	{ name: 'depends on an unknown id', shape: [['a'], ['b', ['zz']]] },
	{ name: 'empty', shape: [] },
];

const url = (id: string) => `/users/${enc(SHARED)}/mailFolders/inbox?$select=displayName&tag=${id}`;

async function libraryVerdict(shape: Shape): Promise<{ accepted: boolean; error?: string }> {
	try {
		const steps: BatchRequestStep[] = shape.map(([id, dependsOn]) => ({
			id,
			request: new Request(`${k.base}/v1.0${url(id)}`, { method: 'GET' }),
			...(dependsOn ? { dependsOn: [...dependsOn] } : {}),
		}));
		await new BatchRequestContent(steps).getContent();
		return { accepted: true };
	} catch (error) {
		return { accepted: false, error: (error as Error).name };
	}
}

const wire = (shape: Shape) => ({
	requests: shape.map(([id, dependsOn]) => ({ id, method: 'GET', url: url(id), ...(dependsOn ? { dependsOn } : {}) })),
});

describe('$batch dependency shapes: the emulator agrees with BatchRequestContent', () => {
	test.each(shapes)('$name', async ({ shape, message }) => {
		const library = await libraryVerdict(shape);
		const r = await k.call('POST', '/$batch', { body: wire(shape) });
		if (library.accepted) {
			expect(r.status).toBe(200);
			const responses = r.json.responses as Array<{ id: string; status: number }>;
			expect(responses.map((x) => x.id).sort()).toEqual(shape.map(([id]) => id).sort());
			expect(responses.every((x) => x.status === 200)).toBe(true);
		} else {
			expect(r.status).toBe(400);
			expect(r.json.error.code).toBe('BadRequest');
			expect(r.json.error.innerError).toMatchObject({ 'request-id': expect.any(String) });
			if (message) {
				expect(library.error).toBe('Invalid Dependency');
				expect(r.json.error.message).toBe(message);
			}
		}
	});

	test('the table covers both verdicts: 7 shapes accepted, the rest refused', async () => {
		const verdicts = await Promise.all(shapes.map(async (s) => (await libraryVerdict(s.shape)).accepted));
		expect(verdicts.filter(Boolean).length).toBe(7);
		expect(verdicts.filter((v) => !v).length).toBe(shapes.length - 7);
	});

	test('a refused batch runs none of its requests', async () => {
		const before = (await k.emu.admin<Array<{ seq: number }>>('Get-RequestLog')).length;
		const r = await k.call('POST', '/$batch', { body: wire([['a'], ['b'], ['c', ['a']], ['d', ['b']]]) });
		expect(r.status).toBe(400);
		const log = (await k.emu.admin<Array<{ kind: string }>>('Get-RequestLog')).slice(before);
		expect(log.filter((e) => e.kind === 'batch-inner')).toHaveLength(0);
	});

	test('the library refuses 21 requests, and so does the emulator', async () => {
		const many = Array.from({ length: 21 }, (_, i) => [`r${i}`] as [string]);
		expect((await libraryVerdict(many)).error).toBe('Limit Exceeded Error');
		expect((await k.call('POST', '/$batch', { body: wire(many) })).status).toBe(400);
	});
});

describe("BatchRequestContent's URL handling (decision 9)", () => {
	const serialisedUrl = async (absolute: string) => {
		const content = await new BatchRequestContent([
			{ id: '1', request: new Request(absolute, { method: 'GET' }) },
		]).getContent();
		return (content.requests as Array<{ url: string }>)[0].url;
	};

	test('it keeps everything after the host, version included, and a base URL with a path stays in the url', async () => {
		expect(await serialisedUrl('https://graph.microsoft.com/v1.0/users/a/messages')).toBe('/v1.0/users/a/messages');
		// A Graph base URL behind a path (a gateway): the path stays in the inner url, which Graph cannot resolve.
		expect(await serialisedUrl('https://gateway.example/graph/v1.0/users/a/messages')).toBe(
			'/graph/v1.0/users/a/messages',
		);
	});
});
