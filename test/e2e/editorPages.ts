/**
 * What a person does in n8n's editor, as Playwright steps against the real n8n 2.41 UI: sign in, open a
 * workflow, open a node, pick from a resource locator, open a credential dialog, search the node creator.
 * Selectors are n8n's own data-test-id attributes; every wait is a locator with a timeout.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './n8nServer';

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test', '.tmp', 'screenshots');

/** Debian's Chromium, headless, with a fresh profile and no background traffic. */
export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; profile: string }> {
	const profile = mkdtempSync(join(tmpdir(), 'scoped-mailbox-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		headless: true,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
		viewport: { width: 1440, height: 900 },
	});
	const page = context.pages()[0] ?? (await context.newPage());
	page.setDefaultTimeout(30_000);
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	return { context, page, profile };
}

export async function shot(page: Page, name: string): Promise<string> {
	const path = join(SCREENSHOT_DIR, `${name}.png`);
	await page.screenshot({ path });
	return path;
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
	await page.goto(`${url}/signin`);
	await page.locator('#emailOrLdapLoginId').fill(email);
	await page.locator('#password').fill(password);
	await page.locator('[data-test-id="form-submit-button"]').click();
	await page.waitForURL((u) => !u.pathname.includes('signin'), { timeout: 60_000 });
}

export function canvasNode(page: Page, name: string): Locator {
	return page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
}

export async function openWorkflow(page: Page, url: string, id: string): Promise<void> {
	await page.goto(`${url}/workflow/${id}`);
	await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 });
}

/** Opens a node's panel (NDV) by double-clicking it on the canvas. */
export async function openNode(page: Page, name: string): Promise<Locator> {
	await canvasNode(page, name).dblclick();
	const ndv = page.locator('[data-test-id="ndv"]');
	await ndv.waitFor();
	return ndv;
}

export async function closeNode(page: Page): Promise<void> {
	await page.keyboard.press('Escape');
	await page.locator('[data-test-id="ndv"]').waitFor({ state: 'hidden' });
}

/** Credentials > Create credential > pick the type by its display name > Continue: the empty dialog. */
export async function createCredential(page: Page, url: string, displayName: string): Promise<Locator> {
	await page.goto(`${url}/home/credentials/create`);
	await page.locator('[data-test-id="new-credential-type-select"]').click();
	await page.keyboard.type(displayName);
	await page.locator('[data-test-id="new-credential-type-select-option"]', { hasText: displayName }).first().click();
	await page.locator('[data-test-id="new-credential-type-button"]').click();
	const dialog = page.locator('[data-test-id="credential-edit-dialog"]');
	await dialog.waitFor();
	return dialog;
}

/** The labels of a credential dialog's visible fields, top to bottom. */
export async function fieldLabels(dialog: Locator): Promise<string[]> {
	const labels = await dialog.locator('[data-test-id="credential-connection-parameter"] label').allTextContents();
	return labels.map((text) => text.replace(/\*|FixedExpression/g, '').trim()).filter(Boolean);
}

export async function fillField(scope: Locator, name: string, value: string): Promise<void> {
	const input = scope
		.locator(`[data-test-id="parameter-input-${name}"] input, [data-test-id="parameter-input-${name}"] textarea`)
		.first();
	await input.fill(value);
}

export async function chooseOption(page: Page, scope: Locator, name: string, option: string): Promise<void> {
	await scope.locator(`[data-test-id="parameter-input-${name}"]`).click();
	await page
		.locator('.el-select-dropdown__item, [role="option"]', { hasText: option })
		.filter({ visible: true })
		.first()
		.click();
}
