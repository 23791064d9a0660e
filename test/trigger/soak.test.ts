/**
 * Soak: thousands of messages in bursts (each burst delivered in the same second), mail moved into the watched
 * folders, injected 429s, 503s and connection resets, two delta resets, token expiry, and n8n restarts from the
 * last saved static data. Every message that appeared in a watched folder must be emitted exactly once.
 * SOAK_MESSAGES (default 3000) and SOAK_SEED change the run.
 */
import { MAILBOX, deliver, newWorkflow, startTriggerEnv, triggerParameters, type TriggerEnv } from './setup';

const TOTAL = Number(process.env.SOAK_MESSAGES ?? 3000);
const SEED = Number(process.env.SOAK_SEED ?? 20261122);

let env: TriggerEnv;

beforeAll(async () => {
	env = await startTriggerEnv(0);
});

afterAll(async () => {
	await env?.close();
});

function prng(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

async function folderNamed(name: string): Promise<string> {
	const [seed] = await deliver(env, { Folder: name });
	await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: seed, Folder: 'deleteditems' });
	const folders = await env.emu.admin<Array<{ Id: string; DisplayName: string }>>('Get-MailboxFolders', {
		Mailbox: MAILBOX,
	});
	return folders.find((f) => f.DisplayName === name)!.Id;
}

test(`soak: ${TOTAL} messages, faults, resets, token expiry and restarts: each emitted exactly once`, async () => {
	const started = Date.now();
	const random = prng(SEED);
	const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
	const watched = [await folderNamed('Soak A'), await folderNamed('Soak B')];
	const side = await folderNamed('Soak Side');
	await deliver(env, { Folder: watched[0], Count: 40 });
	await deliver(env, { Folder: watched[1], Count: 40 });
	const params = triggerParameters({ options: { maxMessagesPerPoll: 120 } }, watched);

	const arrived = new Set<string>();
	const origin = new Map<string, string>();
	const emitted: string[] = [];
	const stats = { polls: 0, failedPolls: 0, restarts: 0, faults: 0, moves: 0, resets: 0 };
	let wf = newWorkflow(env, params);
	// With immutable ids a message keeps its id across folders: what must happen exactly once is a message's
	// emission from one folder, so arrivals and emissions are counted as folder|id.
	const poll = async () => {
		stats.polls++;
		const r = await wf.poll();
		if (r.error) stats.failedPolls++;
		emitted.push(...(r.items ?? []).map((i) => `${String(i.json.folder)}|${String(i.json.id)}`));
		return r;
	};
	const drain = async () => {
		for (let i = 0; i < 200; i++) {
			const r = await poll();
			if (!r.items && !r.error) return;
		}
		throw new Error('the trigger did not become quiet');
	};
	// Activation (n8n saves static data after the activation poll).
	const activation = await wf.poll();
	expect(activation.error).toBeUndefined();
	expect(activation.items).toBeNull();
	wf = newWorkflow(env, params, activation.memoryStaticData);

	const cursors = () =>
		Object.values(
			(
				(wf.memoryStaticData.scopedMailbox ?? { folders: {} }) as {
					folders: Record<string, { phase: string; resets: number }>;
				}
			).folders,
		);
	const resetCount = () => cursors().reduce((sum, c) => sum + c.resets, 0);
	let resetsExpected = 0;
	/** A reset was requested and the trigger has not yet re-synced every folder it hit. */
	const resyncPending = () => resetCount() < resetsExpected || cursors().some((c) => c.phase !== 'live');
	const rounds = Math.ceil(TOTAL / 110);
	const resetRounds = new Map([
		[Math.floor(rounds / 3), { Folder: watched[0], Mode: '410' }],
		[Math.floor((2 * rounds) / 3), { Mode: 'syncStateNotFound' }],
	]);
	const expiryRound = Math.floor(rounds / 2);
	let delivered = 0;
	for (let round = 0; delivered < TOTAL; round++) {
		const reset = resetRounds.get(round);
		if (reset) {
			// Resets come after a catch-up, so no mail moved in with an old createdDateTime is pending (the
			// documented limit); the burst below is then only partly taken when the reset happens.
			await env.emu.admin('Clear-Faults');
			await drain();
		}
		const count = Math.min(TOTAL - delivered, 20 + Math.floor(random() * 180));
		const into = pick(watched);
		const ids = await deliver(env, { Folder: into, Count: count });
		ids.forEach((id) => {
			arrived.add(`${into}|${id}`);
			origin.set(`${into}|${id}`, `burst of ${count}, round ${round}`);
		});
		delivered += count;
		if (!reset && random() < 0.4) {
			// Mail filed into a watched folder from elsewhere, and mail the workflow already took moved out and back
			// into the folder it was taken from (it is not new there: it must not trigger again).
			const fresh = await deliver(env, { Folder: side, Count: 1 + Math.floor(random() * 6) });
			for (const id of fresh) {
				const dest = pick(watched);
				const { ImmutableId } = await env.emu.admin<{ ImmutableId: string }>('Move-MailboxMessage', {
					Mailbox: MAILBOX,
					MessageId: id,
					Folder: dest,
				});
				arrived.add(`${dest}|${ImmutableId}`);
				origin.set(`${dest}|${ImmutableId}`, `moved in from side, round ${round}`);
				stats.moves++;
			}
			const taken = emitted.slice(-200).filter((id) => !(id in movedOut));
			// Old mail moved back in is only certain to be caught outside a re-sync (README, trigger limits).
			if (taken.length && !resyncPending()) {
				const key = pick(taken);
				movedOut[key] = true;
				const [from, id] = key.split('|');
				await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: id, Folder: side });
				await env.emu.admin('Move-MailboxMessage', { Mailbox: MAILBOX, MessageId: id, Folder: from });
				stats.moves += 2;
			}
		}
		if (random() < 0.5) {
			stats.faults++;
			await env.emu.admin('Add-Fault', {
				Method: 'GET',
				PathRegex: '/messages/delta',
				Status: 429,
				Headers: { 'Retry-After': '0' },
				Count: 1 + Math.floor(random() * 2),
			});
		}
		if (random() < 0.5) {
			stats.faults++;
			await env.emu.admin('Add-Fault', {
				Method: 'GET',
				PathRegex: '/messages/[^/]+$',
				Status: 503,
				Headers: { 'Retry-After': '0' },
				Count: 1 + Math.floor(random() * 2),
			});
		}
		if (random() < 0.3) {
			stats.faults++;
			await env.emu.admin('Add-Fault', {
				Method: 'GET',
				PathRegex: pick(['/messages/delta', '/messages/[^/]+$']),
				Reset: true,
				Count: 1,
			});
		}
		if (random() < 0.15) {
			// More throttling than the transport waits out: the poll fails, partly done or not at all.
			stats.faults++;
			await env.emu.admin('Add-Fault', {
				Method: 'GET',
				PathRegex: pick(['/messages/delta', '/messages/[^/]+$', '/messages$']),
				Status: 503,
				Headers: { 'Retry-After': '0' },
				Count: 6,
			});
		}
		if (round === expiryRound) await env.emu.admin('Advance-Clock', { Seconds: 3700 });
		const polls = 1 + Math.floor(random() * 2);
		for (let p = 0; p < polls; p++) {
			await poll();
			if (p === 0 && reset) {
				await env.emu.admin('Reset-DeltaState', { Mailbox: MAILBOX, ...reset });
				resetsExpected = resetCount() + (reset.Folder ? 1 : watched.length);
				stats.resets++;
			}
		}
		if (random() < 0.3) {
			// n8n restarts: what was not saved is gone.
			wf = newWorkflow(env, params, wf.staticData);
			stats.restarts++;
		}
	}
	await env.emu.admin('Clear-Faults');
	await drain();
	wf = newWorkflow(env, params, wf.staticData);
	await drain();

	const duplicates = emitted.filter((id, i) => emitted.indexOf(id) !== i);
	expect(duplicates).toEqual([]);
	const missing = [...arrived].filter((id) => !emitted.includes(id));
	const unexpected = emitted.filter((id) => !arrived.has(id));
	expect(missing.map((id) => `${id}: ${origin.get(id)}`)).toEqual([]);
	expect(unexpected).toEqual([]);
	expect(emitted.length).toBe(arrived.size);
	const stateBytes = JSON.stringify(wf.staticData).length;
	expect(stateBytes).toBeLessThan(120_000);
	console.log(
		`soak: ${arrived.size} arrivals (${TOTAL} delivered, ${stats.moves} moves), ${emitted.length} emitted, ${stats.polls} polls ` +
			`(${stats.failedPolls} failed), ${stats.restarts} restarts, ${stats.faults} faults, ${stats.resets} resets, ` +
			`state ${stateBytes} bytes, ${((Date.now() - started) / 1000).toFixed(1)} s`,
	);
}, 600_000);

const movedOut: Record<string, boolean> = {};
