/**
 * The Microsoft emulator: Entra ID token endpoints, Azure managed-identity endpoints, Graph mail with Exchange's
 * scoping rules, and an admin API. Tests start it in-process; cli.ts starts it as a process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminRegistry } from './core/admin';
import { createClock } from './core/clock';
import type { EmulatorContext } from './core/context';
import { Faults } from './core/faults';
import { createGraphTokenVerifier } from './core/graphToken';
import { newGuid, randomToken } from './core/ids';
import { TokenSigner } from './core/jwt';
import { RequestLog } from './core/requestLog';
import { graphErrorFactory } from './core/responses';
import { createRouter } from './core/router';
import { createStore, loadScenario, readScenario, type LoadedScenario, type Scenario } from './core/scenario';
import { createPipeline } from './core/server';
import { registerCoreAdmin } from './core/settingsAdmin';
import type { EmulatorState } from './core/state';
import { ensureCa, issueServerCertificate, type ServerCertificate } from './core/tls';
import { registerExchange } from './exchange';
import { registerGraph } from './graph';
import { registerSubscriptions } from './graph/subscriptions';
import { registerIdentity } from './identity';

export type { Scenario, LoadedScenario } from './core/scenario';
export type { EmulatorState } from './core/state';

export interface EmulatorOptions {
	scenario: string | Scenario;
	port?: number;
	httpPort?: number;
	host?: string;
	latencyMs?: number;
	caDir?: string;
}

export interface EmulatorInfo {
	authorityHost: string;
	graphBaseUrl: string;
	adminUrl: string;
	caCertPath: string;
	imdsEndpoint: string;
	appServiceEndpoint: string;
	identityHeader: string;
	scenario: LoadedScenario;
}

export interface EmulatorHandle {
	info: EmulatorInfo;
	admin<T = unknown>(operation: string, body?: object): Promise<T>;
	state: EmulatorState;
	/** The context the feature modules registered on (tests of the modules may use it). */
	context: EmulatorContext;
	close(): Promise<void>;
}

// Issuing a server certificate costs an RSA key; one per CA and process is enough.
const serverCertificates = new Map<string, ServerCertificate>();

function listen(server: Server, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

export async function startEmulator(opts: EmulatorOptions): Promise<EmulatorHandle> {
	const host = opts.host ?? '127.0.0.1';
	const ca = ensureCa(opts.caDir);
	let serverCert = serverCertificates.get(ca.certPath + host);
	if (!serverCert) {
		serverCert = issueServerCertificate(ca, [...new Set([host, '127.0.0.1', 'localhost', '::1'])]);
		serverCertificates.set(ca.certPath + host, serverCert);
	}

	const clock = createClock();
	const signer = new TokenSigner();
	const log = new RequestLog();
	const faults = new Faults(() => clock.now());
	const admin = new AdminRegistry();
	const router = createRouter();
	let certificateDir: string | undefined;
	const scenario = typeof opts.scenario === 'string' ? readScenario(opts.scenario) : opts.scenario;
	const { state, loaded, seeds } = loadScenario(scenario, {
		now: clock.now(),
		certificateDir: () => (certificateDir ??= mkdtempSync(join(tmpdir(), 'scoped-mailbox-emu-'))),
	});
	loaded.certificateDir = certificateDir;
	if (opts.latencyMs !== undefined) state.settings.latencyMs = opts.latencyMs;

	let httpsBase = '';
	let httpBase = '';
	const graphError = graphErrorFactory(clock);
	const sleep = (ms: number) =>
		new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
	const context: EmulatorContext = {
		state,
		clock,
		router,
		admin,
		verifyGraphToken: createGraphTokenVerifier(signer, clock, state, () => httpsBase, graphError),
		sleep,
		graphError,
		newId: newGuid,
		signJwt: (payload) => signer.sign(payload),
		ensureStore(mailboxId) {
			let store = state.stores.get(mailboxId);
			if (!store) {
				store = createStore(mailboxId);
				state.stores.set(mailboxId, store);
			}
			return store;
		},
		hooks: {},
		logRequest: (entry) => {
			log.add(entry);
		},
	};
	const identityHeader = randomToken(24);
	registerCoreAdmin(admin, state, clock, faults, log);
	registerIdentity(context, {
		signer,
		identityHeader,
		interactiveUser: loaded.interactiveUser,
		graphBaseUrl: () => httpsBase,
	});
	registerGraph(context);
	const subscriptions = registerSubscriptions(context, () => ca.certPath);
	registerExchange(context);

	for (const seed of seeds) {
		const mailbox = state.mailboxes.find((m) => m.id === seed.mailboxId)!;
		await context.hooks.seedMessages?.(mailbox, seed.folder, seed.count);
	}

	const deps = { router, admin, faults, log, clock, sleep };
	const https = createHttpsServer(
		{ key: serverCert.keyPem, cert: serverCert.certPem },
		createPipeline(deps, 'https', () => httpsBase),
	);
	const http = createHttpServer(createPipeline(deps, 'http', () => httpBase));
	const urlHost = host.includes(':') ? `[${host}]` : host;
	try {
		httpsBase = `https://${urlHost}:${await listen(https, opts.port ?? 0, host)}`;
		httpBase = `http://${urlHost}:${await listen(http, opts.httpPort ?? 0, host)}`;
	} catch (err) {
		await Promise.all([closeServer(https), closeServer(http)]);
		throw err;
	}

	const info: EmulatorInfo = {
		authorityHost: httpsBase,
		graphBaseUrl: httpsBase,
		adminUrl: `${httpsBase}/_emulator/admin`,
		caCertPath: ca.certPath,
		imdsEndpoint: httpBase,
		appServiceEndpoint: `${httpBase}/msi/token`,
		identityHeader,
		scenario: loaded,
	};
	let closed = false;
	return {
		info,
		state,
		context,
		// JSON round trip: in-process callers get exactly what the HTTP form answers, never live state.
		admin: async <T>(operation: string, body?: object) =>
			JSON.parse(JSON.stringify(await admin.run(operation, body ?? {}))) as T,
		async close() {
			if (closed) return;
			closed = true;
			subscriptions.stop();
			await Promise.all([closeServer(https), closeServer(http)]);
			if (certificateDir) rmSync(certificateDir, { recursive: true, force: true });
		},
	};
}
