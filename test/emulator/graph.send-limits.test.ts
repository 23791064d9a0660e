/**
 * Exchange Online's sending limits as the emulator models them (docs/fidelity.md "Sends (i13-sends)"): 30
 * messages a minute per mailbox (the excess waits in the Outbox, sendMail still answers 202), 10,000 recipients
 * a day (the excess gets an NDR 554 5.2.0 in the sender's Inbox, sendMail still answers 202), Sent Items
 * filled after the 202, and the idempotency property on the sender's copy, filterable with any().
 */
import { ALICE, enc, SHARED, startKit, type Kit } from './graph/testkit';

let k: Kit;
beforeAll(async () => {
	k = await startKit();
});
afterAll(() => k.emu.close());

type AdminMsg = Record<string, any>;
const messages = (mailbox: string, folder?: string) =>
	k.emu.admin<AdminMsg[]>('Get-MailboxMessages', { Mailbox: mailbox, ...(folder ? { Folder: folder } : {}) });
const sendMail = (subject: string, extra: Record<string, unknown> = {}, to = ALICE) =>
	k.call('POST', `/users/${enc(SHARED)}/sendMail`, {
		body: { message: { subject, toRecipients: [{ emailAddress: { address: to } }], ...extra } },
	});
const sentCount = async (prefix: string) =>
	(await k.emu.admin<AdminMsg[]>('Get-SentMessages', { Mailbox: SHARED })).filter((m) =>
		String(m.Subject).startsWith(prefix),
	).length;

async function drain() {
	for (let i = 0; i < 50; i++) {
		const q = await k.emu.admin<{ Queued: number }>('Get-OutboundQueue', { Mailbox: SHARED });
		if (q.Queued === 0) return;
		await k.emu.admin('Advance-Clock', { Seconds: 60 });
	}
}

afterEach(async () => {
	await k.emu.admin('Set-Settings', { SentItemsDelaySeconds: 0, RecipientRatePerDay: 10_000 });
	await drain();
});

test('30 messages a minute: the 31st and later get 202, wait in the Outbox, and go out a minute later', async () => {
	for (let i = 0; i < 40; i++) expect((await sendMail(`rate-${i}`)).status).toBe(202);
	expect(await sentCount('rate-')).toBe(30);
	const outbox = (await messages(SHARED, 'outbox')).filter((m) => String(m.Subject).startsWith('rate-'));
	expect(outbox).toHaveLength(10);
	expect((await messages(ALICE, 'inbox')).filter((m) => String(m.Subject).startsWith('rate-'))).toHaveLength(30);
	// The window is 60 s from the first submission (real time passes too, so stay clear of the edge).
	await k.emu.admin('Advance-Clock', { Seconds: 30 });
	expect(await sentCount('rate-')).toBe(30);
	await k.emu.admin('Advance-Clock', { Seconds: 31 });
	expect(await sentCount('rate-')).toBe(40);
	expect((await messages(SHARED, 'outbox')).filter((m) => String(m.Subject).startsWith('rate-'))).toHaveLength(0);
	expect((await messages(ALICE, 'inbox')).filter((m) => String(m.Subject).startsWith('rate-'))).toHaveLength(40);
});

test('Sent Items fills after the 202: nothing in the mailbox for SentItemsDelaySeconds', async () => {
	await k.emu.admin('Advance-Clock', { Seconds: 120 });
	await k.emu.admin('Set-Settings', { SentItemsDelaySeconds: 5 });
	expect((await sendMail('late-0')).status).toBe(202);
	expect(await sentCount('late-')).toBe(0);
	expect((await messages(SHARED, 'outbox')).filter((m) => m.Subject === 'late-0')).toHaveLength(0);
	// Delivery does not wait for the sender's copy.
	expect((await messages(ALICE, 'inbox')).filter((m) => m.Subject === 'late-0')).toHaveLength(1);
	await k.emu.admin('Advance-Clock', { Seconds: 5 });
	expect(await sentCount('late-')).toBe(1);
});

test('10,000 recipients a day: over it, sendMail still answers 202 and an NDR 554 5.2.0 reaches the Inbox', async () => {
	await k.emu.admin('Advance-Clock', { Seconds: 120 });
	const { RecipientsLast24h: used } = await k.emu.admin<{ RecipientsLast24h: number }>('Get-OutboundQueue', {
		Mailbox: SHARED,
	});
	// Two more recipients fit in the day's window.
	await k.emu.admin('Set-Settings', { RecipientRatePerDay: used + 2 });
	expect((await sendMail('quota-0')).status).toBe(202);
	expect((await sendMail('quota-1')).status).toBe(202);
	expect((await sendMail('quota-2')).status).toBe(202);
	const atAlice = (await messages(ALICE, 'inbox')).filter((m) => String(m.Subject).startsWith('quota-'));
	expect(atAlice.map((m) => m.Subject).sort()).toEqual(['quota-0', 'quota-1']);
	const ndr = (await messages(SHARED, 'inbox')).find((m) => m.Subject === 'Undeliverable: quota-2');
	expect(ndr?.Body).toMatch(/554 5\.2\.0 STOREDRV\.Submission\.Exception:SubmissionQuotaExceededException/);
	// The sender's copy is kept: Sent Items does not tell a refused message from a delivered one.
	expect(await sentCount('quota-2')).toBe(1);
});

test('a single-value extended property stays on the sender copy (not the recipients) and is filterable', async () => {
	const id = 'String {8d3c5e71-2f4a-4b9e-a6d0-7c1e9b52f3a8} Name X-Test-Key';
	await k.emu.admin('Advance-Clock', { Seconds: 120 });
	expect((await sendMail('prop-0', { singleValueExtendedProperties: [{ id, value: 'K-1' }] })).status).toBe(202);
	expect((await sendMail('prop-1', { singleValueExtendedProperties: [{ id, value: 'K-2' }] })).status).toBe(202);
	const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${id}' and ep/value eq 'k-1')`;
	const found = await k.call('GET', `/users/${enc(SHARED)}/messages?$filter=${enc(filter)}&$select=subject`);
	expect(found.status).toBe(200);
	expect((found.json as { value: AdminMsg[] }).value.map((m) => m.subject)).toEqual(['prop-0']);
	const atAlice = (await messages(ALICE, 'inbox')).find((m) => m.Subject === 'prop-0');
	expect(atAlice?.ExtendedProperties).toEqual([]);
	const bad = await sendMail('prop-bad', { singleValueExtendedProperties: [{ id: 'X-Test-Key', value: 'v' }] });
	expect(bad.status).toBe(400);
});
