/**
 * A real n8n server with this package installed the way n8n installs community packages, next to the
 * emulator running as its own process. Used by the end-to-end tests and by `npm run demo`.
 *
 * - The emulator runs as `tsx test/emulator/cli.ts` (its first stdout line is the info JSON).
 * - The package is built (when dist/ is stale), packed with `npm pack`, and installed into
 *   `$N8N_USER_FOLDER/.n8n/nodes/node_modules/<name>` exactly as n8n 2.41's installer does: extract the
 *   tarball, drop dev/peer/optional dependencies from its package.json, `npm install` its runtime
 *   dependencies inside it, record it in the nodes folder's package.json.
 * - n8n (Node 24 from the install cache) runs with a temporary user folder, trusts the emulator's CA via
 *   NODE_EXTRA_CA_CERTS, gets the App Service managed-identity variables (IDENTITY_ENDPOINT + IDENTITY_HEADER)
 *   and an owner created from the environment.
 * - Credentials and workflows go in through n8n's CLI (`import:credentials`, `import:workflow`), runs go through
 *   `n8n execute --id` in a second process on the same database, activation and execution history through the
 *   REST API as the owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EmulatorInfo } from '../emulator/index';
import { ensureCa, issueServerCertificate } from '../emulator/core/tls';
import { ensureN8n, npmEnv, type N8nInstall } from './install-n8n';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const PACKAGE_NAME = 'n8n-nodes-scoped-mailbox';

export type Log = (line: string) => void;
const quiet: Log = () => undefined;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolvePort(port));
		});
	});
}

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a command to completion; rejects only when it cannot start. */
export function runCommand(
	cmd: string,
	args: string[],
	options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<Run> {
	return new Promise((resolveRun, reject) => {
		const child = spawn(cmd, args, {
			cwd: options.cwd ?? REPO_ROOT,
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			uid: options.uid,
			gid: options.gid,
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (c) => (stdout += c));
		child.stderr.on('data', (c) => (stderr += c));
		const timer = options.timeoutMs
			? setTimeout(() => {
					stderr += `\n[killed after ${options.timeoutMs} ms]`;
					child.kill('SIGKILL');
				}, options.timeoutMs)
			: undefined;
		child.on('error', reject);
		child.on('close', (code) => {
			if (timer) clearTimeout(timer);
			resolveRun({ code, stdout, stderr });
		});
	});
}

async function mustRun(cmd: string, args: string[], options: Parameters<typeof runCommand>[2] = {}): Promise<Run> {
	const run = await runCommand(cmd, args, options);
	if (run.code !== 0)
		throw new Error(
			`${cmd} ${args.join(' ')} exited with ${run.code}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`,
		);
	return run;
}

/** The environment without what a parent npm/jest/tsx process would leak into children. */
function cleanEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('npm_') || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
		// Under jest NODE_ENV is 'test', which makes n8n refuse to load nodes ("Not available in tests").
		if (key === 'NODE_ENV' || key.startsWith('JEST_')) continue;
		// Azure identity variables of the host must not decide which source msal picks inside n8n.
		if (/^(IDENTITY_|MSI_|IMDS_|AZURE_)/.test(key)) continue;
		if (key.startsWith('N8N_') || key.startsWith('DB_')) continue;
		env[key] = value;
	}
	return env;
}

// ---------------------------------------------------------------------------------------------------------
// Emulator as a process

export interface EmulatorProcess {
	info: EmulatorInfo;
	admin<T = unknown>(operation: string, body?: object): Promise<T>;
	close(): Promise<void>;
}

export function httpsJson<T>(
	url: string,
	options: { method?: string; body?: unknown; ca?: Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Record<string, string | string[] | undefined> }> {
	return new Promise((resolveRequest, reject) => {
		const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
		const req = httpsRequest(
			url,
			{
				method: options.method ?? 'POST',
				ca: options.ca,
				headers: {
					'content-type': 'application/json',
					...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
					...options.headers,
				},
			},
			(res) => {
				let text = '';
				res.on('data', (c) => (text += c));
				res.on('end', () => {
					let body: unknown = text;
					try {
						body = text ? JSON.parse(text) : undefined;
					} catch {
						// not JSON: keep the text
					}
					resolveRequest({ status: res.statusCode ?? 0, body: body as T, headers: res.headers });
				});
			},
		);
		req.on('error', reject);
		if (payload) req.write(payload);
		req.end();
	});
}

/** The emulator CLI as its own process (`tsx test/emulator/cli.ts`), with the machine's Node. */
export async function startEmulatorProcess(
	scenario: string,
	options: { log?: Log; port?: number } = {},
): Promise<EmulatorProcess> {
	const log = options.log ?? quiet;
	// One process (no tsx wrapper), so stopping it stops the emulator.
	const child = spawn(
		process.execPath,
		[
			'--import',
			'tsx',
			join(REPO_ROOT, 'test', 'emulator', 'cli.ts'),
			'--port',
			String(options.port ?? 0),
			'--scenario',
			scenario,
		],
		{
			cwd: REPO_ROOT,
			env: cleanEnv(),
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	killOnExit(child);
	let stderr = '';
	child.stderr!.on('data', (c) => {
		stderr = (stderr + c).slice(-4000);
	});
	const info = await new Promise<EmulatorInfo>((resolveInfo, reject) => {
		let buffer = '';
		const timer = setTimeout(
			() => reject(new Error(`emulator did not print its info line within 60 s\n${stderr}`)),
			60_000,
		);
		const onData = (chunk: Buffer) => {
			buffer += chunk;
			const newline = buffer.indexOf('\n');
			if (newline < 0) return;
			clearTimeout(timer);
			child.stdout!.off('data', onData);
			try {
				resolveInfo(JSON.parse(buffer.slice(0, newline)));
			} catch (error) {
				reject(new Error(`emulator's first line is not JSON: ${buffer.slice(0, 300)}`));
			}
		};
		child.stdout!.on('data', onData);
		child.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`emulator exited with ${code} before printing its info\n${stderr}`));
		});
	});
	// Keep draining the emulator's output so it never blocks on a full pipe.
	child.stdout!.on('data', (c) => log(String(c).trimEnd()));
	const ca = readFileSync(info.caCertPath);
	return {
		info,
		async admin<T>(operation: string, body: object = {}) {
			const res = await httpsJson<T>(`${info.adminUrl}/${operation}`, { body, ca });
			if (res.status >= 400)
				throw new Error(`emulator admin ${operation} answered ${res.status}: ${JSON.stringify(res.body)}`);
			return res.body;
		},
		close: () => stopChild(child),
	};
}

/** Children die with this process, even when a test run is cut short. */
function killOnExit(child: ChildProcess): void {
	const kill = () => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	};
	process.once('exit', kill);
	child.once('exit', () => process.off('exit', kill));
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolveStop) => {
		const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
		child.once('exit', () => {
			clearTimeout(timer);
			resolveStop();
		});
		child.kill('SIGTERM');
	});
}

// ---------------------------------------------------------------------------------------------------------
// Build and pack the package

function newestMtime(dir: string): number {
	let newest = 0;
	if (!existsSync(dir)) return newest;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
		const path = join(dir, entry.name);
		newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
	}
	return newest;
}

/**
 * Builds dist/ only when a source is newer than the compiled entry files n8n loads (tsc rewrites them on
 * every build), so a test run after `npm test`'s own build does not rebuild dist/ under other tests.
 */
export async function buildPackage(log: Log = quiet): Promise<{ built: boolean; seconds: number }> {
	const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[]; credentials: string[] };
	};
	const entries = [...manifest.n8n.nodes, ...manifest.n8n.credentials].map((file) => join(REPO_ROOT, file));
	const sources = Math.max(
		...['nodes', 'credentials', 'icons'].map((d) => newestMtime(join(REPO_ROOT, d))),
		...['package.json', 'gulpfile.js', 'tsconfig.build.json']
			.filter((f) => existsSync(join(REPO_ROOT, f)))
			.map((f) => statSync(join(REPO_ROOT, f)).mtimeMs),
	);
	const built = entries.every((file) => existsSync(file))
		? Math.min(...entries.map((file) => statSync(file).mtimeMs))
		: 0;
	if (built >= sources) return { built: false, seconds: 0 };
	const started = Date.now();
	log('building the package (npm run build)');
	await mustRun('npm', ['run', 'build'], { env: npmEnv(cleanEnv()), timeoutMs: 300_000 });
	return { built: true, seconds: Math.round((Date.now() - started) / 1000) };
}

/** `npm pack` into a fresh directory; returns the tarball path. */
export async function packPackage(outDir: string): Promise<string> {
	mkdirSync(outDir, { recursive: true });
	// dist/ is fresh (buildPackage): skip prepack's second build.
	const run = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], {
		env: npmEnv(cleanEnv()),
		timeoutMs: 120_000,
	});
	const [packed] = JSON.parse(run.stdout) as { filename: string }[];
	return join(outDir, packed.filename);
}

/**
 * Installs the tarball into `<userFolder>/.n8n/nodes` the way n8n's CommunityPackagesService does
 * (downloadPackage in n8n 2.41): extract into node_modules/<name>, strip dev/peer/optional dependencies,
 * `npm install` the runtime dependencies there with the same flags, and record it in the folder's ledger.
 */
export async function installPackageIntoN8n(
	tarball: string,
	userFolder: string,
	env: NodeJS.ProcessEnv,
): Promise<string> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const packageDir = join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(packageDir, { recursive: true });
	await mustRun('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	const packageJsonPath = join(packageDir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...packageJson } = JSON.parse(
		readFileSync(packageJsonPath, 'utf8'),
	);
	void devDependencies;
	void peerDependencies;
	void optionalDependencies;
	writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2));
	await mustRun(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
		],
		{
			cwd: packageDir,
			env,
			timeoutMs: 300_000,
		},
	);
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify(
			{ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: packageJson.version } },
			null,
			2,
		),
	);
	return packageDir;
}

// ---------------------------------------------------------------------------------------------------------
// n8n

export interface Owner {
	email: string;
	password: string;
}

export interface N8nServerOptions {
	emulator: EmulatorProcess;
	log?: Log;
	/** Port for n8n's UI/REST (default: a free port). */
	port?: number;
	/** Listen address (default 127.0.0.1). */
	listenAddress?: string;
	owner?: Owner;
	/** Keep the user folder after stop (the demo prints it). */
	keepUserFolder?: boolean;
	/** Build, pack and install this package into n8n (default true; false only to check n8n itself). */
	withPackage?: boolean;
	/**
	 * Serve n8n (UI, REST and webhooks) over HTTPS with a certificate from the emulator's test CA
	 * (N8N_PROTOCOL=https, N8N_SSL_KEY, N8N_SSL_CERT) and set WEBHOOK_URL to it, as Graph's notifications need.
	 */
	https?: boolean;
	/** PostgreSQL instead of sqlite: queue mode needs one database that main and every worker share. */
	postgres?: { host: string; port: number; user: string; database: string; password?: string };
	/**
	 * Queue mode: main (`n8n start`, EXECUTIONS_MODE=queue) puts executions into Bull's queue in this Redis and
	 * `workers` processes of `n8n worker --concurrency=N` run them. All share the user folder, so every process
	 * loads the package installed in it, as every worker of a real deployment needs it.
	 */
	queue?: { redis: { host: string; port: number }; workers: number; concurrency?: number };
	/** More environment for every n8n process (main, workers, CLI commands). */
	env?: Record<string, string>;
}

/** One n8n process (main or a worker). */
export interface N8nProcess {
	name: string;
	pid: number;
	/** What this process printed. */
	logs(): string;
	alive(): boolean;
	/** Sends the signal and resolves when the process has exited. */
	kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	/** SIGTERM, then SIGKILL after the grace time. */
	stop(graceMs?: number): Promise<void>;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ExecutionResult {
	/** The IRun n8n printed (`n8n execute --rawOutput`). */
	run: any;
	/** Output items (json) of each node's first run, first output. */
	outputs: Record<string, any[]>;
	/** Node errors by node name (nodes that stopped the workflow or recorded an error). */
	errors: Record<string, any>;
	seconds: number;
}

export interface N8nServer {
	url: string;
	owner: Owner;
	userFolder: string;
	install: N8nInstall;
	timings: Record<string, number>;
	/** Everything n8n printed so far (every process; worker lines start with `[worker-N] `). */
	logs(): string;
	/** The current main process (a new one after restartMain). */
	readonly main: N8nProcess;
	/** Queue-mode workers started so far (killed ones included; check alive()). */
	workers: N8nProcess[];
	/** Starts one more `n8n worker` on the same database, Redis and user folder. */
	startWorker(): Promise<N8nProcess>;
	/** Stops main with the signal, then starts it again on the same database and waits until it is ready. */
	restartMain(signal?: NodeJS.Signals): Promise<void>;
	/** Runs an n8n CLI command against the same database. */
	cli(args: string[], options?: { timeoutMs?: number }): Promise<Run>;
	importCredentials(credentials: object[]): Promise<void>;
	importWorkflow(workflow: object): Promise<void>;
	execute(workflowId: string): Promise<ExecutionResult>;
	/** `n8n export:credentials --decrypted` as parsed JSON. */
	exportCredentials(): Promise<Array<{ id: string; name: string; type: string; data: Record<string, any> }>>;
	/** REST API call as the owner (logged in on first use). */
	rest<T = any>(method: string, path: string, body?: unknown): Promise<T>;
	/** A raw request to n8n (path or absolute URL) carrying the owner's session cookie; redirects are not followed. */
	fetchAsOwner(pathOrUrl: string, init?: RequestInit): Promise<Response>;
	activate(workflowId: string): Promise<void>;
	deactivate(workflowId: string): Promise<void>;
	/** Stops the n8n server and starts it again on the same database and port (what a restart does). */
	restart(): Promise<void>;
	/** Execution summaries of a workflow, newest first. */
	executions(workflowId: string): Promise<any[]>;
	/** One execution with its run data. */
	execution(executionId: string): Promise<any>;
	/** The first finished execution started at or after `after` (ms) that `match` accepts. */
	waitForExecution(
		workflowId: string,
		options?: { after?: number; timeoutMs?: number; match?: (execution: any) => boolean },
	): Promise<any>;
	stop(): Promise<void>;
}

/** bcrypt hash with the bcryptjs n8n itself ships, as N8N_INSTANCE_OWNER_PASSWORD_HASH wants. */
export function bcryptHash(install: N8nInstall, password: string): string {
	const requireFromN8n = createRequire(join(install.root, 'n8n', 'node_modules', 'n8n', 'package.json'));
	const bcrypt = requireFromN8n('bcryptjs') as { hashSync(value: string, rounds: number): string };
	return bcrypt.hashSync(password, 10);
}

function extractJson(text: string): any {
	const start = text.indexOf('{');
	if (start < 0) throw new Error(`no JSON in n8n output:\n${text.slice(-3000)}`);
	return JSON.parse(text.slice(start, text.lastIndexOf('}') + 1));
}

export function outputsOf(run: any): Pick<ExecutionResult, 'outputs' | 'errors'> {
	const outputs: Record<string, any[]> = {};
	const errors: Record<string, any> = {};
	const runData = run?.data?.resultData?.runData ?? {};
	for (const [name, runs] of Object.entries<any[]>(runData)) {
		const first = runs[0];
		outputs[name] = (first?.data?.main?.[0] ?? []).map((item: any) => item.json);
		if (first?.error) errors[name] = first.error;
	}
	return { outputs, errors };
}

export async function startN8n(options: N8nServerOptions): Promise<N8nServer> {
	const log = options.log ?? quiet;
	const timings: Record<string, number> = {};
	const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
		const started = Date.now();
		try {
			return await work();
		} finally {
			timings[name] = Math.round((Date.now() - started) / 100) / 10;
		}
	};

	const install = await time('installN8n', () => ensureN8n({ log }));
	if (install.installed) log(`installed n8n in ${install.seconds} s (cached for next time in ${install.root})`);
	const withPackage = options.withPackage ?? true;
	if (withPackage) await time('build', () => buildPackage(log));

	const userFolder = mkdtempSync(join(tmpdir(), 'scoped-mailbox-e2e-n8n-'));
	const tarball = withPackage ? await time('pack', () => packPackage(join(userFolder, 'pack'))) : undefined;
	const port = options.port ?? (await freePort());
	const owner: Owner = options.owner ?? {
		email: 'owner@example.com',
		password: `Demo-${randomBytes(6).toString('hex')}`,
	};
	const { info } = options.emulator;
	const protocol = options.https ? 'https' : 'http';
	const url = `${protocol}://localhost:${port}`;
	const tlsEnv: NodeJS.ProcessEnv = {};
	if (options.https) {
		const certificate = issueServerCertificate(ensureCa(dirname(info.caCertPath)), ['localhost', '127.0.0.1']);
		const keyPath = join(userFolder, 'n8n-tls.key.pem');
		const certPath = join(userFolder, 'n8n-tls.cert.pem');
		writeFileSync(keyPath, certificate.keyPem, { mode: 0o600 });
		writeFileSync(certPath, certificate.certPem);
		Object.assign(tlsEnv, {
			N8N_PROTOCOL: 'https',
			N8N_SSL_KEY: keyPath,
			N8N_SSL_CERT: certPath,
			WEBHOOK_URL: `${url}/`,
		});
	}

	const baseEnv: NodeJS.ProcessEnv = {
		...cleanEnv(),
		PATH: `${install.nodeBinDir}:${process.env.PATH}`,
		NODE_EXTRA_CA_CERTS: info.caCertPath,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: options.listenAddress ?? '127.0.0.1',
		N8N_HOST: 'localhost',
		N8N_EDITOR_BASE_URL: url,
		GENERIC_TIMEZONE: 'UTC',
		N8N_LOG_LEVEL: 'info',
		// The App Service managed-identity environment n8n would have when hosted there.
		IDENTITY_ENDPOINT: info.appServiceEndpoint,
		IDENTITY_HEADER: info.identityHeader,
		...tlsEnv,
		...(options.postgres
			? {
					DB_TYPE: 'postgresdb',
					DB_POSTGRESDB_HOST: options.postgres.host,
					DB_POSTGRESDB_PORT: String(options.postgres.port),
					DB_POSTGRESDB_USER: options.postgres.user,
					DB_POSTGRESDB_PASSWORD: options.postgres.password ?? '',
					DB_POSTGRESDB_DATABASE: options.postgres.database,
				}
			: {}),
		...(options.queue
			? {
					EXECUTIONS_MODE: 'queue',
					QUEUE_BULL_REDIS_HOST: options.queue.redis.host,
					QUEUE_BULL_REDIS_PORT: String(options.queue.redis.port),
				}
			: {}),
		...options.env,
	};

	if (tarball) await time('installPackage', () => installPackageIntoN8n(tarball, userFolder, npmEnv(cleanEnv())));

	const serverEnv: NodeJS.ProcessEnv = {
		...baseEnv,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: owner.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: 'Demo',
		N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcryptHash(install, owner.password),
		...options.env,
	};

	let output = '';
	const collect = (prefix: string) => (chunk: Buffer) => {
		const text = String(chunk);
		// Bounded: the demo may keep n8n running for hours. Worker lines carry their name.
		output = (output + (prefix ? text.replace(/^(?=.)/gm, `[${prefix}] `) : text)).slice(-4_000_000);
		for (const line of text.split('\n')) if (line.trim()) log(`${prefix || 'n8n'} | ${line}`);
	};

	/** Spawns one n8n process and waits until its readiness endpoint answers. */
	const spawnN8n = async (
		name: string,
		args: string[],
		env: NodeJS.ProcessEnv,
		readinessUrl: string,
	): Promise<N8nProcess> => {
		const child = spawn(install.nodeBin, [install.n8nBin, ...args], {
			cwd: userFolder,
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		killOnExit(child);
		let own = '';
		const forAll = collect(name === 'main' ? '' : name);
		const keep = (chunk: Buffer) => {
			own = (own + chunk).slice(-2_000_000);
			forAll(chunk);
		};
		child.stdout!.on('data', keep);
		child.stderr!.on('data', keep);
		const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
			child.once('exit', (code, signal) => resolveExit({ code, signal })),
		);
		const processHandle: N8nProcess = {
			name,
			pid: child.pid!,
			logs: () => own,
			alive: () => child.exitCode === null && child.signalCode === null,
			kill: async (signal) => {
				if (!processHandle.alive()) return exited;
				child.kill(signal);
				return exited;
			},
			stop: (graceMs = 20_000) => stopChild(child, graceMs),
			exited,
		};
		const deadline = Date.now() + 180_000;
		try {
			for (;;) {
				if (!processHandle.alive())
					throw new Error(`n8n ${name} exited with ${child.exitCode} during start:\n${own.slice(-5000)}`);
				try {
					const res = await fetch(readinessUrl);
					if (res.ok) break;
				} catch {
					// not listening yet
				}
				if (Date.now() > deadline)
					throw new Error(`n8n ${name} did not become ready within 180 s:\n${own.slice(-5000)}`);
				await sleep(500);
			}
		} catch (error) {
			await stopChild(child);
			throw error;
		}
		return processHandle;
	};

	const startMain = async () =>
		spawnN8n(
			'main',
			['start'],
			{ ...serverEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
			`${url}/healthz/readiness`,
		);

	let workerCounter = 0;
	const workers: N8nProcess[] = [];
	const startWorker = async () => {
		const name = `worker-${++workerCounter}`;
		const healthPort = await freePort();
		const worker = await spawnN8n(
			name,
			['worker', `--concurrency=${options.queue?.concurrency ?? 10}`],
			{
				...baseEnv,
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(healthPort),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			},
			`http://127.0.0.1:${healthPort}/healthz/readiness`,
		);
		workers.push(worker);
		return worker;
	};

	let main: N8nProcess;
	try {
		main = await time('startN8n', startMain);
		if (options.queue)
			await time('startWorkers', () => Promise.all(Array.from({ length: options.queue!.workers }, startWorker)));
	} catch (error) {
		await Promise.all(workers.map((w) => w.stop()));
		rmSync(userFolder, { recursive: true, force: true });
		throw error;
	}

	const cli = async (args: string[], cliOptions: { timeoutMs?: number } = {}) =>
		runCommand(install.nodeBin, [install.n8nBin, ...args], {
			cwd: userFolder,
			// Its own task-runner broker port: the server holds the default one.
			env: { ...baseEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
			timeoutMs: cliOptions.timeoutMs ?? 180_000,
		});
	const mustCli = async (args: string[]) => {
		const run = await cli(args);
		if (run.code !== 0)
			throw new Error(
				`n8n ${args.join(' ')} exited with ${run.code}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`,
			);
		return run;
	};

	let importCounter = 0;
	const writeInput = (kind: string, data: unknown) => {
		const path = join(userFolder, 'import', `${kind}-${++importCounter}.json`);
		mkdirSync(join(userFolder, 'import'), { recursive: true });
		writeFileSync(path, JSON.stringify(data, null, 2), { mode: 0o600 });
		return path;
	};

	let cookie: string | undefined;
	const login = async () => {
		if (!cookie) {
			const res = await fetch(`${url}/rest/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
			});
			if (!res.ok) throw new Error(`owner login failed: ${res.status} ${await res.text()}`);
			cookie = (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? ''])
				.map((c) => c.split(';')[0])
				.join('; ');
		}
		return cookie;
	};
	const fetchAsOwner = async (pathOrUrl: string, init: RequestInit = {}) =>
		fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${url}${pathOrUrl}`, {
			...init,
			redirect: 'manual',
			headers: { ...(init.headers as Record<string, string>), cookie: await login(), 'browser-id': 'e2e' },
		});
	const rest = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
		await login();
		const res = await fetch(`${url}/rest${path}`, {
			method,
			headers: { 'content-type': 'application/json', cookie: await login(), 'browser-id': 'e2e' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} /rest${path} answered ${res.status}: ${text.slice(0, 2000)}`);
		const parsed = text ? JSON.parse(text) : undefined;
		return (parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed) as T;
	};

	const server: N8nServer = {
		url,
		owner,
		userFolder,
		install,
		timings,
		logs: () => output,
		cli,
		async importCredentials(credentials) {
			await mustCli(['import:credentials', `--input=${writeInput('credentials', credentials)}`]);
		},
		async importWorkflow(workflow) {
			await mustCli(['import:workflow', `--input=${writeInput('workflow', workflow)}`]);
		},
		async execute(workflowId) {
			const started = Date.now();
			const run = await cli(['execute', `--id=${workflowId}`, '--rawOutput']);
			let parsed: any;
			try {
				parsed = extractJson(run.stdout);
			} catch (error) {
				throw new Error(
					`n8n execute --id=${workflowId} exited with ${run.code} and no run data:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`,
				);
			}
			return { run: parsed, ...outputsOf(parsed), seconds: Math.round((Date.now() - started) / 100) / 10 };
		},
		async exportCredentials() {
			const out = join(userFolder, 'export-credentials.json');
			await mustCli(['export:credentials', '--all', '--decrypted', `--output=${out}`]);
			const data = JSON.parse(readFileSync(out, 'utf8'));
			rmSync(out, { force: true });
			return data;
		},
		rest,
		fetchAsOwner,
		async activate(workflowId) {
			const workflow = await rest<{ versionId: string }>('GET', `/workflows/${workflowId}`);
			await rest('POST', `/workflows/${workflowId}/activate`, { versionId: workflow.versionId });
		},
		async deactivate(workflowId) {
			await rest('POST', `/workflows/${workflowId}/deactivate`, {});
		},
		async restart() {
			cookie = undefined;
			await server.restartMain('SIGTERM');
		},
		async executions(workflowId) {
			const filter = encodeURIComponent(JSON.stringify({ workflowId }));
			const list = await rest<{ results: any[] }>('GET', `/executions?filter=${filter}&limit=50`);
			return list.results ?? [];
		},
		async execution(executionId) {
			const full = await rest<any>('GET', `/executions/${executionId}`);
			if (typeof full.data === 'string') full.data = unflatten(full.data);
			return full;
		},
		async waitForExecution(workflowId, waitOptions = {}) {
			const deadline = Date.now() + (waitOptions.timeoutMs ?? 120_000);
			const after = waitOptions.after ?? 0;
			const checked = new Set<string>();
			for (;;) {
				const finished = (await server.executions(workflowId))
					.filter(
						(e) =>
							!['running', 'new', 'waiting'].includes(e.status) &&
							Date.parse(e.startedAt ?? e.createdAt) >= after &&
							!checked.has(String(e.id)),
					)
					.sort((a, b) => Number(a.id) - Number(b.id));
				for (const summary of finished) {
					checked.add(String(summary.id));
					const full = await server.execution(String(summary.id));
					if (!waitOptions.match || waitOptions.match(full)) return full;
				}
				if (Date.now() > deadline)
					throw new Error(
						`no matching execution of workflow ${workflowId} within the time limit (${checked.size} checked)`,
					);
				await sleep(1000);
			}
		},
		get main() {
			return main;
		},
		workers,
		startWorker,
		async restartMain(signal = 'SIGTERM') {
			const stopped = await main.kill(signal);
			log(`main stopped by ${signal}: ${JSON.stringify(stopped)}`);
			cookie = undefined;
			main = await startMain();
		},
		async stop() {
			await Promise.all([main.stop(), ...workers.map((w) => w.stop())]);
			if (!options.keepUserFolder) rmSync(userFolder, { recursive: true, force: true });
		},
	};
	return server;
}

/**
 * Execution data in n8n's REST answers is serialised with `flatted` (objects referenced by index).
 * A small reader, so the tests need no copy of that library.
 */
export function unflatten(text: string): any {
	const table = JSON.parse(text) as any[];
	const seen = new Map<number, any>();
	const revive = (index: number): any => {
		if (seen.has(index)) return seen.get(index);
		const value = table[index];
		if (typeof value === 'string') return value;
		if (value === null || typeof value !== 'object') return value;
		const out: any = Array.isArray(value) ? [] : {};
		seen.set(index, out);
		for (const [key, ref] of Object.entries(value)) {
			(out as any)[key] = typeof ref === 'string' && /^\d+$/.test(ref) ? revive(Number(ref)) : ref;
		}
		return out;
	};
	return revive(0);
}
