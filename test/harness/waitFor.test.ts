import { waitFor, waitForRequests, type RequestLogEntry } from './waitFor';

describe('waitFor', () => {
	it('returns the first present value, counting 0 as present', async () => {
		let polls = 0;
		const value = await waitFor(() => (++polls < 3 ? undefined : 0), { what: 'the third poll', intervalMs: 1 });
		expect(value).toBe(0);
		expect(polls).toBe(3);
	});

	it('names what it waited for, and the context, when time runs out', async () => {
		await expect(
			waitFor(() => false, { what: 'a notification', timeoutMs: 30, intervalMs: 5, context: () => 'log: empty' }),
		).rejects.toThrow(/^timed out after \d+ ms waiting for a notification\nlog: empty$/);
	});
});

describe('waitForRequests', () => {
	it('polls Get-RequestLog (from a seq) until enough entries match, and returns them', async () => {
		const log: RequestLogEntry[] = [];
		const bodies: unknown[] = [];
		const emu = {
			async admin<T>(operation: string, body?: object): Promise<T> {
				expect(operation).toBe('Get-RequestLog');
				bodies.push(body);
				log.push({ seq: log.length + 1, method: 'GET', path: `/v1.0/users/a/messages`, status: 200, kind: 'graph' });
				return log.slice() as T;
			},
		};
		const entries = await waitForRequests(emu, (e) => e.kind === 'graph', {
			what: 'three Graph reads',
			count: 3,
			since: 7,
			intervalMs: 1,
		});
		expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
		expect(bodies).toEqual([{ Since: 7 }, { Since: 7 }, { Since: 7 }]);
	});

	it('lists what matched so far when it times out', async () => {
		const emu = {
			async admin<T>(): Promise<T> {
				return [{ seq: 1, method: 'POST', path: '/token', status: 200, kind: 'token' }] as T;
			},
		};
		await expect(
			waitForRequests(emu, () => true, { what: 'two token requests', count: 2, timeoutMs: 20, intervalMs: 5 }),
		).rejects.toThrow(/waiting for 2 request\(s\): two token requests\nmatching so far: POST \/token 200/);
	});
});
