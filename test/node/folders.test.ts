/**
 * The folder picker (listSearch / loadOptions) runs in n8n-core's real LoadOptionsContext, as the editor's
 * "From List" mode calls it, and walks childFolders so subfolders are offered too.
 */
import { randomUUID } from 'node:crypto';
import { LoadOptionsContext } from 'n8n-core';
import type { INodeParameters } from 'n8n-workflow';
import { buildAdditionalData, buildNode, buildWorkflow, HarnessNodeTypes, typeNameOf } from '../harness/engine';
import { ensureEnvironment } from '../harness';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import { FINANCE, NOTIFICATIONS, serialiseError, startWorld, type World } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => {
	await world?.close();
});

async function loadOptionsContext(parameters: INodeParameters, credentialType: string, credentialId: string) {
	await ensureEnvironment();
	const nodeType = new ScopedMailbox();
	const nodeTypes = new HarnessNodeTypes();
	nodeTypes.register(typeNameOf(nodeType), nodeType);
	const node = buildNode({
		nodeType,
		parameters: { authentication: credentialType, ...parameters },
		credentials: { [credentialType]: { id: credentialId, name: credentialId } },
	});
	const workflow = buildWorkflow([node], nodeTypes, undefined, false);
	const additionalData = buildAdditionalData(world.store, workflow, 'manual', randomUUID());
	additionalData.currentNodeParameters = node.parameters;
	return { context: new LoadOptionsContext(workflow, node, additionalData, 'folder'), nodeType };
}

describe('folder picker', () => {
	it('lists well-known names and every folder of the mailbox, subfolders included', async () => {
		const { context, nodeType } = await loadOptionsContext(
			{ resource: 'message', operation: 'list', mailbox: NOTIFICATIONS },
			'scopedMailboxManagedIdentityApi',
			'mi',
		);
		const result = await nodeType.methods.listSearch.searchFolders.call(context);
		const names = result.results.map((r) => r.name);
		expect(names).toEqual(expect.arrayContaining(['Inbox (well-known)', 'Inbox', 'Inbox / Invoices']));
		const invoices = result.results.find((r) => r.name === 'Inbox / Invoices')!;

		const filtered = await nodeType.methods.listSearch.searchFolders.call(context, 'invoic');
		expect(filtered.results.map((r) => r.name)).toEqual(['Inbox / Invoices']);

		const listed = await world.run('mi', {
			resource: 'message',
			operation: 'list',
			mailbox: NOTIFICATIONS,
			folder: { __rl: true, mode: 'list', value: invoices.value, cachedResultName: invoices.name },
			returnAll: true,
		});
		expect(serialiseError(listed.error)).toBeUndefined();
		expect(listed.items).toHaveLength(2);
		expect(listed.items.every((i) => i.json.parentFolderId === invoices.value)).toBe(true);
	});

	it('fails with the clear access error for a mailbox out of scope', async () => {
		const { context, nodeType } = await loadOptionsContext(
			{ resource: 'message', operation: 'list', mailbox: FINANCE },
			'scopedMailboxManagedIdentityApi',
			'mi',
		);
		await expect(nodeType.methods.listSearch.searchFolders.call(context)).rejects.toThrow(
			/not allowed to use mailbox finance/,
		);
	});
});
