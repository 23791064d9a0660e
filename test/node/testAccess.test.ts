import {
	ADELE,
	EXTERNAL,
	FINANCE,
	NOTIFICATIONS,
	SUPPORT,
	assertNoSecrets,
	serialiseError,
	startWorld,
	type World,
} from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

const testAccess = (mailbox: string, controlMailbox: string, extra: Record<string, unknown> = {}) => ({
	resource: 'mailbox',
	operation: 'testAccess',
	mailbox,
	controlMailbox,
	expectedCapabilities: ['readMetadata', 'readContent'],
	...extra,
});

describe('Mailbox → Test Access', () => {
	it('reports "scoped correctly" for the managed identity restricted by an ApplicationAccessPolicy', async () => {
		const run = await world.run('mi', testAccess(NOTIFICATIONS, FINANCE));
		expect(serialiseError(run.error)).toBeUndefined();
		expect(run.items).toHaveLength(2);
		const [target, control] = run.items.map((i) => i.json);
		expect(target).toMatchObject({
			mailbox: NOTIFICATIONS,
			role: 'target',
			finding: 'scoped correctly',
			mailboxFinding: 'access granted',
			verdicts: { readMetadata: 'Granted', readContent: 'Granted', send: 'Not tested' },
		});
		expect(control).toMatchObject({
			mailbox: FINANCE,
			role: 'control',
			finding: 'scoped correctly',
			mailboxFinding: 'out of scope as expected',
			verdicts: { readMetadata: 'Denied', readContent: 'Denied' },
		});
		const mi = world.emu.info.scenario.managedIdentities.system;
		expect(target.identity).toMatchObject({
			kind: 'app',
			appId: mi.clientId,
			objectId: mi.objectId,
			roles: expect.arrayContaining(['Mail.Send', 'Mail.Read']),
		});
		expect(run.items.every((i) => i.pairedItem && (i.pairedItem as { item: number }).item === 0)).toBe(true);
		assertNoSecrets(world, run);
	});

	it('reports a scope leak for the unscoped app, with the PowerShell to fix it', async () => {
		const run = await world.run('unscoped', testAccess(NOTIFICATIONS, FINANCE));
		expect(serialiseError(run.error)).toBeUndefined();
		const [target, control] = run.items.map((i) => i.json);
		expect(target.finding).toBe('scope leak');
		expect(control).toMatchObject({
			finding: 'scope leak',
			mailboxFinding: 'scope leak',
			verdicts: { readMetadata: 'Granted', readContent: 'Granted' },
		});
		const app = world.emu.info.scenario.apps.unscoped;
		const fix = control.fix as { powershell: string; note: string };
		expect(fix.powershell).toContain(
			`New-ServicePrincipal -AppId '${app.appId}' -ObjectId '${app.servicePrincipalId}'`,
		);
		expect(fix.powershell).toContain(`-RecipientRestrictionFilter "PrimarySmtpAddress -eq '${NOTIFICATIONS}'"`);
		expect(fix.powershell).toMatch(
			new RegExp(`New-ManagementRoleAssignment -App '${app.appId}' -Role 'Application Mail.Send' -CustomResourceScope`),
		);
		expect(fix.powershell).toContain('Remove-MgServicePrincipalAppRoleAssignment');
		expect(fix.powershell).toContain('New-ApplicationAccessPolicy');
		expect(fix.note).toMatch(/two hours/);
		expect(String(control.explanation)).toMatch(/not narrowed|does not narrow/);
		assertNoSecrets(world, run);
	});

	it('reports "scoped correctly" for the RBAC-scoped app and "missing access" where it has none', async () => {
		const ok = await world.run('rbac', testAccess(SUPPORT, ADELE));
		expect(ok.items.map((i) => i.json.finding)).toEqual(['scoped correctly', 'scoped correctly']);
		const missing = await world.run('rbac', testAccess(`${SUPPORT}, ${FINANCE}`, ''));
		const rows = missing.items.map((i) => i.json);
		expect(rows.map((r) => r.mailboxFinding)).toEqual(['access granted', 'missing access']);
		expect(rows[1].finding).toBe('missing access');
		const fix = rows[1].fix as { powershell: string };
		const app = world.emu.info.scenario.apps.rbac;
		expect(fix.powershell).toContain(`-RecipientRestrictionFilter "PrimarySmtpAddress -eq '${FINANCE}'"`);
		expect(fix.powershell).toContain(`New-ManagementRoleAssignment -App '${app.appId}' -Role 'Application Mail.Read'`);
		expect(fix.powershell).toContain(
			`New-ManagementRoleAssignment -App '${app.appId}' -Role 'Application Mail.ReadBasic'`,
		);
	});

	it('tells metadata from content: an identity with only Mail.ReadBasic misses content access', async () => {
		const app = world.emu.info.scenario.apps.rbac;
		await world.emu.admin('New-ManagementScope', {
			Name: 'Finance only',
			RecipientRestrictionFilter: `PrimarySmtpAddress -eq '${FINANCE}'`,
		});
		await world.emu.admin('New-ManagementRoleAssignment', {
			App: app.appId,
			Role: 'Application Mail.ReadBasic',
			CustomResourceScope: 'Finance only',
		});
		const run = await world.run('rbac', testAccess(FINANCE, ADELE));
		const [target, control] = run.items.map((i) => i.json);
		expect(target).toMatchObject({
			finding: 'missing access',
			mailboxFinding: 'missing access',
			verdicts: { readMetadata: 'Granted', readContent: 'Denied' },
		});
		const fix = target.fix as { powershell: string };
		expect(fix.powershell).toContain(
			`New-ManagementRoleAssignment -App '${app.appId}' -Role 'Application Mail.Read' -CustomResourceScope`,
		);
		expect(fix.powershell).not.toContain("'Application Mail.ReadBasic'");
		expect(control.mailboxFinding).toBe('out of scope as expected');
	});

	it('probes sending only when asked, with a real probe message', async () => {
		const before = await world.emu.admin<unknown[]>('Get-RequestLog');
		const noSend = await world.run('mi', testAccess(NOTIFICATIONS, FINANCE));
		const after = await world.emu.admin<Array<{ path: string }>>('Get-RequestLog');
		expect(after.slice(before.length).some((r) => /sendMail/i.test(r.path))).toBe(false);
		expect(noSend.items[0].json.verdicts).toMatchObject({ send: 'Not tested' });

		const withSend = await world.run(
			'mi',
			testAccess(NOTIFICATIONS, FINANCE, {
				sendProbe: true,
				probeRecipient: EXTERNAL,
				expectedCapabilities: ['readMetadata', 'send'],
			}),
		);
		expect(serialiseError(withSend.error)).toBeUndefined();
		expect(withSend.items.map((i) => (i.json.verdicts as { send: string }).send)).toEqual(['Granted', 'Denied']);
		expect(withSend.items[0].json.finding).toBe('scoped correctly');

		const missingRecipient = await world.run(
			'mi',
			testAccess(NOTIFICATIONS, FINANCE, { sendProbe: true, probeRecipient: '={{ "" }}' }),
		);
		expect(missingRecipient.error!.message).toMatch(/send probe needs a recipient/);
	});

	it('never sends from the control mailbox, and still finds a send leak there', async () => {
		const subjectFrom = (messages: Array<{ Subject: string; From?: string }>, from: string) =>
			messages.filter((m) => /Scoped Mailbox access test/.test(m.Subject) && String(m.From).includes(from));
		const before = await world.emu.admin<Array<{ seq: number }>>('Get-RequestLog');
		const run = await world.run(
			'unscoped',
			testAccess(NOTIFICATIONS, FINANCE, { sendProbe: true, probeRecipient: ADELE, expectedCapabilities: ['send'] }),
		);
		expect(serialiseError(run.error)).toBeUndefined();
		// Nothing left the control mailbox: no delivery to the recipient, nothing in its Sent Items.
		const adeleInbox = await world.emu.admin<Array<{ Subject: string; From?: string }>>('Get-MailboxMessages', {
			Mailbox: ADELE,
		});
		expect(subjectFrom(adeleInbox, FINANCE)).toEqual([]);
		expect(subjectFrom(adeleInbox, NOTIFICATIONS)).toHaveLength(1);
		const financeSent = await world.emu.admin<Array<{ Subject: string }>>('Get-SentMessages', { Mailbox: FINANCE });
		expect(financeSent.filter((m) => /Scoped Mailbox access test/.test(m.Subject))).toEqual([]);
		const log = (await world.emu.admin<Array<{ path: string; status: number; kind: string }>>('Get-RequestLog')).slice(
			before.length,
		);
		const controlSends = log.filter((r) => r.kind === 'graph' && r.path.includes(`/users/${FINANCE}/sendMail`));
		expect(controlSends.map((r) => r.status)).toEqual([400]);

		const [target, control] = run.items.map((i) => i.json);
		expect(control).toMatchObject({ role: 'control', finding: 'scope leak', verdicts: { send: 'Granted' } });
		expect(String((control.details as { send: string }).send)).toMatch(/Nothing was sent/);
		expect((control.probes as { send: { request: string } }).send.request).toMatch(/without recipients/);
		expect((target.probes as { send: { request: string } }).send.request).toMatch(/probe recipient/);

		// A scoped identity is refused before the recipients are looked at.
		const scoped = await world.run(
			'mi',
			testAccess(NOTIFICATIONS, FINANCE, { sendProbe: true, probeRecipient: ADELE, expectedCapabilities: ['send'] }),
		);
		expect(scoped.items.map((i) => (i.json.verdicts as { send: string }).send)).toEqual(['Granted', 'Denied']);
		expect(scoped.items[1].json.finding).toBe('scoped correctly');
		assertNoSecrets(world, run);
	});

	it('reports a mailbox that does not exist, and refuses hostile mailbox values', async () => {
		const run = await world.run('unscoped', testAccess('nobody@contoso.onmicrosoft.com, ../me', ''));
		const rows = run.items.map((i) => i.json);
		expect(rows[0]).toMatchObject({
			mailboxFinding: 'mailbox not found',
			verdicts: { readMetadata: 'Mailbox not found' },
		});
		expect(rows[1].verdicts).toMatchObject({ readMetadata: 'Error' });
		expect(String((rows[1].details as { readMetadata: string }).readMetadata)).toMatch(/is not valid/);
	});
});
