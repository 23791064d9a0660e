/**
 * What the editor offers for messages: the message picker (listSearch in n8n-core's real LoadOptionsContext),
 * the three ways to name a message (list, ID, Outlook on the web link) plus the plain string of workflows
 * saved before the picker, and the Output model (Simplified / Raw / Selected Fields, old Simplify toggle).
 */
import { randomUUID } from 'node:crypto';
import { LoadOptionsContext } from 'n8n-core';
import type { INodeParameters } from 'n8n-workflow';
import { buildAdditionalData, buildNode, buildWorkflow, HarnessNodeTypes, typeNameOf } from '../harness/engine';
import { ensureEnvironment } from '../harness';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import { messageIdFromUrl } from '../../nodes/ScopedMailbox/helpers/locators';
import { assertNoSecrets, FINANCE, graphLog, serialiseError, startWorld, SUPPORT, type World } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

async function pickerContext(parameters: INodeParameters) {
	await ensureEnvironment();
	const nodeType = new ScopedMailbox();
	const nodeTypes = new HarnessNodeTypes();
	nodeTypes.register(typeNameOf(nodeType), nodeType);
	const node = buildNode({
		nodeType,
		parameters: { authentication: 'scopedMailboxAppApi', ...parameters },
		credentials: { scopedMailboxAppApi: { id: 'rbac', name: 'rbac' } },
	});
	const workflow = buildWorkflow([node], nodeTypes, undefined, false);
	const additionalData = buildAdditionalData(world.store, workflow, 'manual', randomUUID());
	additionalData.currentNodeParameters = node.parameters;
	return { context: new LoadOptionsContext(workflow, node, additionalData, 'messageId'), nodeType };
}

describe('message picker', () => {
	it("lists the mailbox's newest messages with subject, sender and date, and searches subject and sender", async () => {
		await world.emu.admin('Deliver-Message', {
			To: SUPPORT,
			From: "o'neil@fabrikam.example",
			Subject: 'Picker: quarterly report',
		});
		await world.emu.admin('Deliver-Message', {
			To: SUPPORT,
			From: 'billing@contoso.example',
			Subject: 'Picker: invoice',
		});
		const { context, nodeType } = await pickerContext({ resource: 'message', operation: 'get', mailbox: SUPPORT });

		const all = await nodeType.methods.listSearch.searchMessages.call(context);
		expect(all.results[0].name).toMatch(/^Picker: invoice — billing@contoso\.example · \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
		expect(all.results[1].name).toMatch(/^Picker: quarterly report — o'neil@fabrikam\.example · /);
		expect(all.results[0].url).toMatch(/^https:\/\/outlook\.office365\.com\/owa\/\?ItemID=/);

		const bySubject = await nodeType.methods.listSearch.searchMessages.call(context, 'quarterly');
		expect(bySubject.results.map((r) => r.name)).toEqual([expect.stringMatching(/^Picker: quarterly report/)]);

		const before = (await graphLog(world)).at(-1)?.seq ?? 0;
		const bySender = await nodeType.methods.listSearch.searchMessages.call(context, "o'neil");
		expect(bySender.results).toHaveLength(1);
		const [request] = (await graphLog(world)).filter((r) => r.seq > before);
		const filter = new URLSearchParams(request.query).get('$filter')!;
		// The quote is doubled inside the OData literal; the sort property leads, as Exchange requires.
		expect(filter).toContain("contains(from/emailAddress/address,'o''neil')");
		expect(filter.startsWith('receivedDateTime ge ')).toBe(true);

		// The chosen entry runs as it is stored: { __rl, mode: 'list', value, cachedResultName }.
		const chosen = all.results[1];
		const got = await world.run('rbac', {
			resource: 'message',
			operation: 'get',
			mailbox: SUPPORT,
			messageId: { __rl: true, mode: 'list', value: chosen.value, cachedResultName: chosen.name },
		});
		expect(serialiseError(got.error)).toBeUndefined();
		expect(got.items[0].json.subject).toBe('Picker: quarterly report');
	});

	it('accepts a message by ID, by Outlook on the web link, and as the plain string of older workflows', async () => {
		await world.emu.admin('Deliver-Message', { To: SUPPORT, Subject: 'Picker: by link' });
		const listed = await world.run('rbac', {
			resource: 'message',
			operation: 'list',
			mailbox: SUPPORT,
			limit: 1,
			output: 'selected',
			fields: ['subject', 'webLink'],
		});
		const { id, webLink } = listed.items[0].json as { id: string; webLink: string };
		const owaPath = `https://outlook.office.com/mail/inbox/id/${encodeURIComponent(id.replace(/-/g, '/').replace(/_/g, '+'))}`;
		const values = [
			{ __rl: true, mode: 'id', value: id },
			{ __rl: true, mode: 'url', value: webLink },
			{ __rl: true, mode: 'url', value: owaPath },
			id,
			webLink,
		];
		for (const messageId of values) {
			const got = await world.run('rbac', { resource: 'message', operation: 'get', mailbox: SUPPORT, messageId });
			expect(serialiseError(got.error)).toBeUndefined();
			expect(got.items[0].json).toMatchObject({ id, subject: 'Picker: by link' });
		}
		// The editor checks a link as it is typed; n8n refuses to run a node whose link fails that check.
		await expect(
			world.run('rbac', {
				resource: 'message',
				operation: 'get',
				mailbox: SUPPORT,
				messageId: { __rl: true, mode: 'url', value: 'https://example.com/not-outlook' },
			}),
		).rejects.toThrow(/Not an Outlook on the web message link/);
		const bad = await world.run('rbac', {
			resource: 'message',
			operation: 'get',
			mailbox: SUPPORT,
			messageId: 'https://example.com/owa/nothing-here',
		});
		expect(bad.error?.message).toMatch(/not an Outlook on the web message link/);
		const empty = await world.run('rbac', {
			resource: 'message',
			operation: 'delete',
			mailbox: SUPPORT,
			messageId: { __rl: true, mode: 'id', value: '={{ $json.nothing }}' },
		});
		expect(empty.error?.message).toBe('No message chosen in "Message"');
	});

	it('reads the item ID from both kinds of Outlook on the web link', () => {
		expect(messageIdFromUrl('https://outlook.office365.com/owa/?ItemID=AAMk%2BAB%2FC%3D&exvsurl=1')).toBe('AAMk_AB-C=');
		expect(messageIdFromUrl('https://outlook.office.com/mail/sharedmailbox/id/AAMk%2BX%3D')).toBe('AAMk_X=');
		expect(messageIdFromUrl('https://contoso.com/mail/id/x')).toBe('x');
		expect(messageIdFromUrl('AAMkAD')).toBeUndefined();
	});
});

describe('Output', () => {
	it('puts what a person reads first, returns only chosen fields, and keeps the old Simplify toggle', async () => {
		await world.emu.admin('Deliver-Message', { To: SUPPORT, From: 'alerts@contoso.example', Subject: 'Output order' });
		const base = { resource: 'message', operation: 'list', mailbox: SUPPORT, limit: 1 };
		const simple = await world.run('rbac', base);
		expect(Object.keys(simple.items[0].json).slice(0, 5)).toEqual([
			'subject',
			'from',
			'fromName',
			'receivedDateTime',
			'bodyPreview',
		]);
		expect(Object.keys(simple.items[0].json).at(-1)).toBe('internetMessageId');

		const selected = await world.run('rbac', { ...base, output: 'selected', fields: ['subject', 'from'] });
		expect(Object.keys(selected.items[0].json).sort()).toEqual(['from', 'id', 'subject']);

		const raw = await world.run('rbac', { ...base, output: 'raw' });
		expect(raw.items[0].json.from).toEqual({
			emailAddress: expect.objectContaining({ address: 'alerts@contoso.example' }),
		});
		const legacyRaw = await world.run('rbac', { ...base, simplify: false });
		expect(legacyRaw.items[0].json.from).toEqual(raw.items[0].json.from);
		// n8n drops the old "Options > Fields" when it loads the workflow: the item is the whole simplified message.
		const legacyFields = await world.run('rbac', { ...base, options: { fields: ['subject'] } });
		expect(legacyFields.items[0].json).toMatchObject({ subject: 'Output order', from: 'alerts@contoso.example' });
	});
});

describe('Test Access shows what the credential Test button finds', () => {
	it('carries identity, permissions, token expiry and certificate days left', async () => {
		const run = await world.run('rbacCert', {
			resource: 'mailbox',
			operation: 'testAccess',
			mailbox: SUPPORT,
			expectedCapabilities: ['readMetadata'],
		});
		expect(serialiseError(run.error)).toBeUndefined();
		const check = run.items[0].json.credentialCheck as {
			summary: string;
			tokenExpiresInMinutes: number;
			certificate: { daysLeft: number; renewSoon: boolean; thumbprintSha1: string };
		};
		expect(check.summary).toMatch(/^Identity: app .*\(app ID [0-9a-f-]{36}, object ID [0-9a-f-]{36}\) in tenant /);
		expect(check.summary).toMatch(
			/Token expires .* \(in \d+ min\)\. Certificate [0-9A-F]{40} expires \d{4}-\d{2}-\d{2} \(\d+ days left\)\./,
		);
		expect(check.tokenExpiresInMinutes).toBeGreaterThan(0);
		expect(check.certificate.daysLeft).toBeGreaterThan(0);
		assertNoSecrets(world, run);
	});
});

describe('a denied mailbox', () => {
	it('comes with the Exchange commands filled in for this app, this mailbox and the role the request needs', async () => {
		const appId = world.emu.info.scenario.apps.rbac.appId;
		const read = await world.run('rbac', { resource: 'message', operation: 'list', mailbox: FINANCE, limit: 1 });
		const description = (read.error as { description?: string }).description ?? '';
		expect(description).toContain(`Test-ServicePrincipalAuthorization -Identity '${appId}' -Resource '${FINANCE}'`);
		expect(description).toContain(
			`New-ManagementScope -Name 'n8n ${FINANCE}' -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${FINANCE}'"`,
		);
		expect(description).toContain(
			`New-ManagementRoleAssignment -App '${appId}' -Role 'Application Mail.Read' -CustomResourceScope 'n8n ${FINANCE}'`,
		);
		expect(description).toContain(`Test-ApplicationAccessPolicy -Identity '${FINANCE}' -AppId '${appId}'`);
		expect(description).not.toMatch(/<appId>|<mailbox>/);

		const send = await world.run('mi', {
			resource: 'message',
			operation: 'send',
			mailbox: FINANCE,
			toRecipients: SUPPORT,
			subject: 'must be denied',
			bodyContent: 'x',
		});
		// The world's managed-identity credential is the system-assigned one: the fix names its app ID.
		const miAppId = world.emu.info.scenario.managedIdentities.system.clientId;
		expect((send.error as { description?: string }).description).toContain(
			`New-ManagementRoleAssignment -App '${miAppId}' -Role 'Application Mail.Send'`,
		);
	});
});
