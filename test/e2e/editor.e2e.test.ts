/**
 * The editor as a person meets it, in a real n8n 2.41 driven by Debian's Chromium (playwright-core): the demo's
 * n8n and workflows (logic-app scenario), signed in as the demo owner. Checks what a user must see: the demo's
 * denial on the canvas, the message picker listing messages, the trigger's event and folder, each credential
 * dialog's name and field order, a failing credential Test's message, and where "Outlook" ranks in the node
 * creator. Screenshots go to test/.tmp/screenshots/ for a person to look at. SCOPED_MAILBOX_SKIP_E2E=1 skips it.
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT, startEmulatorProcess, startN8n, type EmulatorProcess, type N8nServer } from './n8nServer';
import {
	canvasNode,
	chooseOption,
	createCredential,
	fieldLabels,
	fillField,
	launchBrowser,
	openNode,
	openWorkflow,
	shot,
	signIn,
} from './editorPages';
import {
	DEMO_STEPS,
	DEMO_WORKFLOW_IDS,
	demoWorkflows,
	managedIdentityCredential,
	messagePickerWorkflow,
} from './templates';

const skip = process.env.SCOPED_MAILBOX_SKIP_E2E === '1';
const describeE2e = skip ? describe.skip : describe;

const SETUP_TIMEOUT = 15 * 60_000;
const STEP_TIMEOUT = 2 * 60_000;
const PICKER_WORKFLOW = 'editorPickMessage';
const OWNER = { email: 'demo@example.com', password: 'Scoped-Mailbox-Demo-1' };

const CREDENTIALS = {
	app: 'Scoped Mailbox Entra App (Client Secret or Certificate) API',
	managedIdentity: 'Scoped Mailbox Azure Managed Identity API',
	refreshToken: 'Scoped Mailbox Delegated User (Seeded Refresh Token) API',
	oAuth2: 'Scoped Mailbox Delegated User (Entra Sign-In) OAuth2 API',
};

describeE2e('the editor in a real n8n and Chromium', () => {
	let emulator: EmulatorProcess;
	let n8n: N8nServer;
	let context: BrowserContext;
	let page: Page;
	let profile: string;
	let shared: string;

	beforeAll(async () => {
		mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
		const logFile = join(REPO_ROOT, 'test', '.tmp', 'editor-e2e.log');
		writeFileSync(logFile, '');
		const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
		emulator = await startEmulatorProcess('logic-app', { log });
		n8n = await startN8n({ emulator, log, owner: OWNER });
		// The demo's own credential and workflows, plus one with an empty message picker.
		const credential = managedIdentityCredential(emulator.info, 'Logic App managed identity (system-assigned)');
		const workflows = demoWorkflows(emulator.info, credential);
		shared = workflows.shared;
		await n8n.importCredentials([credential]);
		await n8n.importWorkflow(workflows.scenario);
		await n8n.importWorkflow(workflows.trigger);
		await n8n.importWorkflow(messagePickerWorkflow(PICKER_WORKFLOW, credential, shared));
		for (const number of [1040, 1041, 1042]) {
			await emulator.admin('Deliver-Message', {
				To: shared,
				From: 'vendor@fabrikam.com',
				Subject: `Invoice ${number}`,
			});
		}
		({ context, page, profile } = await launchBrowser());
		await signIn(page, n8n.url, OWNER.email, OWNER.password);
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		await context?.close();
		if (profile) rmSync(profile, { recursive: true, force: true });
		await n8n?.stop();
		await emulator?.close();
	}, 60_000);

	it(
		"shows the demo's denial as its own branch on the canvas",
		async () => {
			await openWorkflow(page, n8n.url, DEMO_WORKFLOW_IDS.scenario);
			await page.locator('[data-test-id="execute-workflow-button"]').click();
			// "Denied as expected" runs only when an item comes down the denied step's Error output.
			await canvasNode(page, DEMO_STEPS.deniedBranch)
				.locator('[data-test-id="canvas-node-status-success"]')
				.waitFor({ timeout: 90_000 });
			await canvasNode(page, DEMO_STEPS.testAccess).locator('[data-test-id="canvas-node-status-success"]').waitFor();
			await canvasNode(page, DEMO_STEPS.testAccess).getByText('Test access: ').waitFor();
			await shot(page, '01-demo-denied-branch');
			// The only edge into the branch leaves the denied step, whose outputs are labelled Success and Error.
			const intoBranch = page.locator(`[data-test-id="edge"][data-target-node-name="${DEMO_STEPS.deniedBranch}"]`);
			expect(await intoBranch.getAttribute('data-source-node-name')).toBe(DEMO_STEPS.denied);
			await canvasNode(page, DEMO_STEPS.denied).getByText('Error').waitFor();
		},
		STEP_TIMEOUT,
	);

	it(
		"lists the mailbox's messages in the message picker, with a search",
		async () => {
			await openWorkflow(page, n8n.url, PICKER_WORKFLOW);
			const ndv = await openNode(page, 'Get a message');
			const locator = ndv.locator('[data-test-id="resource-locator-messageId"]');
			await locator.locator('[data-test-id="rlc-input"]').click();
			const items = page.locator('[data-test-id="rlc-item"]');
			await items.filter({ hasText: 'Invoice 1042 — vendor@fabrikam.com · ' }).first().waitFor();
			await shot(page, '02-message-picker');
			const names = await items.allTextContents();
			expect(names.findIndex((n) => n.includes('Invoice 1042'))).toBeLessThan(
				names.findIndex((n) => n.includes('Invoice 1040')),
			);
			await page.locator('[data-test-id="rlc-search"]').locator('xpath=descendant-or-self::input').first().fill('1041');
			// The search is the server's: wait until every entry left is the one searched for.
			await items.filter({ hasNotText: '1041' }).first().waitFor({ state: 'detached', timeout: 15_000 });
			await items.filter({ hasText: 'Invoice 1041' }).first().click();
			const input = await locator
				.locator('[data-test-id="rlc-input"]')
				.locator('xpath=descendant-or-self::input')
				.first()
				.elementHandle();
			await page.waitForFunction((el) => (el as HTMLInputElement).value.includes('Invoice 1041'), input, {
				timeout: 15_000,
			});
			await shot(page, '03-message-chosen');
		},
		STEP_TIMEOUT,
	);

	it(
		'names the trigger event and starts from the Inbox, as the action node does',
		async () => {
			await openWorkflow(page, n8n.url, DEMO_WORKFLOW_IDS.trigger);
			const ndv = await openNode(page, 'New Mail');
			const values = async (testId: string) => {
				const scope = ndv.locator(`[data-test-id="${testId}"]`);
				await scope.locator('input').first().waitFor();
				return await scope.locator('input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
			};
			expect(await values('parameter-input-event')).toContain('New Message');
			expect(await values('resource-locator-folder')).toEqual(expect.arrayContaining(['From list', 'Inbox']));
			expect(await values('parameter-input-output')).toContain('Simplified');
			await shot(page, '04-trigger');
		},
		STEP_TIMEOUT,
	);

	it(
		'gives each credential type its identity name and the fields in the same order',
		async () => {
			const dialogs: Array<[keyof typeof CREDENTIALS, string[]]> = [
				['app', ['Cloud', 'Tenant ID', 'Client ID', 'Client Authentication', 'Client Secret']],
				['managedIdentity', ['Cloud', 'Identity']],
				['refreshToken', ['Cloud', 'Tenant ID', 'Client ID', 'Client Authentication', 'Delegated Permissions']],
				// n8n's oAuth2Api puts its Client ID and Client Secret first (docs/decisions.md).
				['oAuth2', ['Client ID', 'Client Secret', 'Allowed HTTP Request Domains', 'Cloud', 'Tenant ID']],
			];
			for (const [key, expected] of dialogs) {
				const dialog = await createCredential(page, n8n.url, CREDENTIALS[key]);
				const appName = CREDENTIALS[key].replace(/ (OAuth2 )?API$/, '');
				const title = page.locator('[data-test-id="credential-name"] [data-test-id="inline-edit-preview"]');
				await title.getByText(`${appName} account`).waitFor();
				const labels = await fieldLabels(dialog);
				expect(labels.slice(0, expected.length)).toEqual(expected);
				if (key === 'oAuth2') {
					await page.getByText('as a Web redirect URI of your Entra app registration').waitFor();
				}
				await shot(page, `05-credential-${key}`);
			}
		},
		STEP_TIMEOUT,
	);

	it(
		"says once, with the field's label, why a credential Test failed",
		async () => {
			const dialog = await createCredential(page, n8n.url, CREDENTIALS.app);
			const { info } = emulator;
			const app = info.scenario.apps.unscoped;
			await chooseOption(page, dialog, 'cloud', 'Custom');
			await fillField(dialog, 'authorityHost', info.authorityHost);
			await fillField(dialog, 'graphBaseUrl', info.graphBaseUrl);
			await fillField(dialog, 'tenantId', info.scenario.tenant.id);
			await fillField(dialog, 'clientId', app.appId);
			await fillField(dialog, 'clientSecret', 'Wrong8Q~not-the-secret-value-0000000000');
			await page.locator('[data-test-id="credential-save-button"]').click();
			// n8n writes it with a typographic apostrophe (Couldn’t).
			await page.getByText(/Couldn.t connect with these settings/).waitFor({ timeout: 60_000 });
			await page.getByText('More details').click();
			const message = page.getByText('The client secret is wrong (AADSTS7000215).');
			await message.waitFor();
			const text = (await message.textContent()) ?? '';
			expect(text).toContain('Check "Client Secret".');
			expect(text).not.toMatch(/\[field|Invalid client secret provided/);
			await shot(page, '06-credential-test-failed');
		},
		STEP_TIMEOUT,
	);

	it(
		'ranks n8n\'s Microsoft Outlook above Scoped Mailbox for "Outlook"',
		async () => {
			await openWorkflow(page, n8n.url, PICKER_WORKFLOW);
			await page.locator('[data-test-id="node-creator-plus-button"]').click();
			await page.keyboard.type('Outlook');
			const names = page.locator('[data-test-id="node-creator-item-name"]');
			await names.filter({ hasText: 'Scoped Mailbox' }).first().waitFor();
			await shot(page, '07-node-creator-outlook');
			const order = await names.allTextContents();
			const outlook = order.findIndex((n) => n.trim() === 'Microsoft Outlook');
			expect(outlook).toBeGreaterThanOrEqual(0);
			expect(outlook).toBeLessThan(order.findIndex((n) => n.includes('Scoped Mailbox')));
		},
		STEP_TIMEOUT,
	);
});
