/**
 * The package as n8n loads it: the compiled files in dist/ (`npm run bench` builds first), run in n8n-core's
 * engine through the test harness. Loaded lazily so that the naive baselines' processes do without n8n.
 * BENCH_PACKAGE_DIR points elsewhere (a private build) when set.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ICredentialType, INodeCredentials, INodeType } from 'n8n-workflow';

import type * as Harness from '../harness';
import type { EmulatorInfo } from '../emulator';
import { ROOT } from './emulator';

export const MAILBOX = 'support@contoso.onmicrosoft.com';
export const EXTERNAL_RECIPIENT = 'someone@fabrikam.example';
export const CREDENTIAL_ID = 'bench-app';
export const CREDENTIALS: INodeCredentials = {
	scopedMailboxAppApi: { id: CREDENTIAL_ID, name: 'Bench app (RBAC-scoped)' },
};

export function packageDir(): string {
	return resolve(process.env.BENCH_PACKAGE_DIR ?? join(ROOT, 'dist'));
}

const NODE_FILE = 'nodes/ScopedMailbox/ScopedMailbox.node.js';

export function packageBuild(): { dir: string; builtAt: string } {
	const file = join(packageDir(), NODE_FILE);
	if (!existsSync(file)) throw new Error(`No compiled package at ${file}: run \`npm run build\` (npm run bench does).`);
	return { dir: packageDir(), builtAt: statSync(file).mtime.toISOString() };
}

export interface LoadedPackage {
	harness: typeof Harness;
	ScopedMailbox: new () => INodeType;
	ScopedMailboxTrigger: new () => INodeType;
	ScopedMailboxAppApi: new () => ICredentialType;
}

let loaded: LoadedPackage | undefined;

export function loadPackage(): LoadedPackage {
	if (loaded) return loaded;
	packageBuild();
	const dir = packageDir();
	// The harness first: it sets n8n's environment (user folder, binary mode) before n8n-core reads it.
	const harness = require('../harness') as typeof Harness;
	const node = require(join(dir, NODE_FILE)) as typeof import('../../nodes/ScopedMailbox/ScopedMailbox.node');
	const trigger = require(
		join(dir, 'nodes/ScopedMailbox/ScopedMailboxTrigger.node.js'),
	) as typeof import('../../nodes/ScopedMailbox/ScopedMailboxTrigger.node');
	const credential = require(
		join(dir, 'credentials/ScopedMailboxAppApi.credentials.js'),
	) as typeof import('../../credentials/ScopedMailboxAppApi.credentials');
	loaded = {
		harness,
		ScopedMailbox: node.ScopedMailbox,
		ScopedMailboxTrigger: trigger.ScopedMailboxTrigger,
		ScopedMailboxAppApi: credential.ScopedMailboxAppApi,
	};
	return loaded;
}

/** Where builds keep simplify.js: helpers/ since issue 15, actions/common/ in builds of older refs (bench:compare). */
const SIMPLIFY_FILES = ['nodes/ScopedMailbox/helpers/simplify.js', 'nodes/ScopedMailbox/actions/common/simplify.js'];

/** The fields the List operation selects by default (Simplify on), so the naive list asks for the same. */
export function simpleSelect(): string[] {
	const file = SIMPLIFY_FILES.map((f) => join(packageDir(), f)).find((f) => existsSync(f));
	if (!file)
		throw new Error(`No simplify.js in the build at ${packageDir()} (looked for ${SIMPLIFY_FILES.join(', ')})`);
	const simplify = require(file) as typeof import('../../nodes/ScopedMailbox/helpers/simplify');
	return [...simplify.SIMPLE_SELECT];
}

/** "The credentials table" with one app credential (client secret), its token not yet acquired. */
export function newCredentialStore(info: EmulatorInfo): Harness.CredentialStore {
	const { harness, ScopedMailboxAppApi } = loadPackage();
	const app = info.scenario.apps.rbac;
	return new harness.CredentialStore().add(
		{
			id: CREDENTIAL_ID,
			name: 'Bench app (RBAC-scoped)',
			type: 'scopedMailboxAppApi',
			data: {
				cloud: 'custom',
				authorityHost: info.authorityHost,
				graphBaseUrl: info.graphBaseUrl,
				tenantId: info.scenario.tenant.id,
				clientId: app.appId,
				authMethod: 'secret',
				clientSecret: app.secret!,
				accessToken: '',
			},
		},
		new ScopedMailboxAppApi(),
	);
}

/** Throws with the node's own message when a run failed: a benchmark of a failing run measures nothing. */
export function assertRunOk(run: Harness.NodeRun, what: string) {
	if (run.error) {
		const e = run.error as { message?: string; description?: string };
		throw new Error(`${what}: the node failed: ${e.message}${e.description ? ` (${e.description})` : ''}`);
	}
}
