/**
 * A host without a managed identity: nothing answers at the IMDS address (here a closed local port stands in for
 * 169.254.169.254, which on a non-Azure host times out or is unreachable).
 */
import { createServer } from 'node:net';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { everythingAbout, newStore, readInbox } from './helpers';
import { pressTest } from './testButton';
import { ScopedMailboxAppApi } from '../../credentials/ScopedMailboxAppApi.credentials';

const TYPE = 'scopedMailboxManagedIdentityApi';

async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

beforeAll(async () => {
	for (const name of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET'])
		delete process.env[name];
	process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = `http://127.0.0.1:${await closedPort()}`;
});

const credential = { cloud: 'global', identityType: 'system' } as ICredentialDataDecryptedObject;

it('fails with an actionable "no managed identity on this host" error, in the node and the Test button', async () => {
	const store = newStore().add({ id: 'n1', name: 'n1', type: TYPE, data: credential });
	const run = await readInbox(store, TYPE, 'n1', 'shared@contoso.com');
	expect(run.error?.message).toMatch(/No managed identity is available on this host: connection refused/);
	expect(run.error?.description).toMatch(/only when n8n runs in Azure/);
	// The hint names the credential a user would pick instead, as the credential list shows it.
	expect(run.error?.description).toContain(`"${new ScopedMailboxAppApi().displayName}"`);
	const continued = await readInbox(store, TYPE, 'n1', 'shared@contoso.com', { continueOnFail: true, items: 2 });
	expect(continued.error).toBeUndefined();
	expect(continued.items.map((i) => i.json.error)).toEqual([
		expect.stringMatching(/No managed identity is available/),
		expect.stringMatching(/No managed identity is available/),
	]);
	const test = await pressTest(TYPE, credential);
	expect(test.status).toBe('Error');
	expect(test.message).toMatch(/No managed identity is available on this host/);
	expect(everythingAbout(run.error)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
});
