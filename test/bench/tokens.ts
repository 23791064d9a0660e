/**
 * Tokens: token-endpoint requests and 401 round trips over N executions spanning three access-token lifetimes
 * on the emulator clock, with ONE credential store across the executions (n8n's database), against acquiring a
 * token per execution (a node without a shared cache).
 */
import type { EmulatorInfo } from '../emulator';
import { admin, requestLog, startEmulatorProcess } from './emulator';
import { MAILBOX, CREDENTIALS, CREDENTIAL_ID, assertRunOk, loadPackage, newCredentialStore } from './pkg';
import { tokenPerExecution } from './naive';
import { median } from './stats';
import { figure, seconds, type BenchContext, type BenchmarkOutcome } from './types';

const SPAN_MARGIN_SECONDS = 120;

interface TokensInput {
	executions: number;
	stepSeconds: number;
}

interface TokensWorkerResult {
	ms: number;
	stats?: { preAuthentication: number; preAuthenticationForced: number; updates: number };
}

export const workerTasks = {
	async 'tokens.package'(input: TokensInput, info: EmulatorInfo): Promise<TokensWorkerResult> {
		const { harness, ScopedMailbox } = loadPackage();
		const store = newCredentialStore(info);
		const nodeType = new ScopedMailbox();
		const started = performance.now();
		for (let i = 0; i < input.executions; i++) {
			const run = await harness.runNode({
				nodeType,
				parameters: {
					authentication: 'scopedMailboxAppApi',
					resource: 'message',
					operation: 'list',
					mailbox: MAILBOX,
					folder: { __rl: true, mode: 'id', value: 'inbox' },
					returnAll: false,
					limit: 1,
					filters: {},
					options: {},
					simplify: true,
				},
				credentials: CREDENTIALS,
				store,
				mode: 'trigger',
			});
			assertRunOk(run, `execution ${i + 1}`);
			if (i % 50 === 0) harness.logCapture.clear();
			if (i < input.executions - 1) await admin(info, 'Advance-Clock', { Seconds: input.stepSeconds });
		}
		return { ms: performance.now() - started, stats: store.stats(CREDENTIAL_ID) };
	},

	async 'tokens.naive'(input: TokensInput, info: EmulatorInfo): Promise<TokensWorkerResult> {
		const started = performance.now();
		for (let i = 0; i < input.executions; i++) {
			await tokenPerExecution(info, MAILBOX);
			if (i < input.executions - 1) await admin(info, 'Advance-Clock', { Seconds: input.stepSeconds });
		}
		return { ms: performance.now() - started };
	},
};

export async function runTokens(ctx: BenchContext): Promise<BenchmarkOutcome> {
	const started = Date.now();
	const { tokenExecutions: executions, tokenLifetimes: lifetimes } = ctx.scale;
	const emulator = await startEmulatorProcess('rbac', ctx.options.latencyMs);
	const { info } = emulator;
	const runs: Record<'package' | 'naive', Array<Record<string, unknown>>> = { package: [], naive: [] };
	const { runInWorker } = await import('./workers');
	let lifetime = 0;
	try {
		// Counts do not depend on latency (time is the emulator clock, advanced explicitly); 0 ms keeps the
		// 2 × runs × N sequential executions from dominating the whole benchmark.
		await admin(info, 'Set-Settings', { LatencyMs: 0 });
		lifetime = (await admin<{ accessTokenLifetimeSeconds: number }>(info, 'Get-Settings')).accessTokenLifetimeSeconds;
		// The executions span just under `lifetimes` lifetimes of the emulator clock: the clock also moves with real
		// time (worker start-up, the executions themselves), and a run crossing into a fourth lifetime would
		// rightly need a fourth token. The goal is checked against the lifetimes the run actually began.
		const stepSeconds = (lifetimes * lifetime - SPAN_MARGIN_SECONDS) / executions;
		for (let r = 0; r < ctx.options.runs; r++) {
			for (const variant of ['package', 'naive'] as const) {
				ctx.log(
					`tokens: ${variant} run ${r + 1}/${ctx.options.runs} (${executions} executions, clock +${stepSeconds} s each)`,
				);
				// Each run starts a whole lifetime after the last, so no earlier token is still valid on the clock.
				await admin(info, 'Advance-Clock', { Seconds: lifetime + 60 });
				await admin(info, 'Clear-RequestLog');
				const result = await runInWorker<TokensWorkerResult>(`tokens.${variant}`, { executions, stepSeconds }, info);
				const log = await requestLog(info);
				const graph = log.filter((e) => e.kind === 'graph');
				const spanSeconds = graph.length ? (graph[graph.length - 1].at - graph[0].at) / 1000 : 0;
				runs[variant].push({
					spanSeconds,
					lifetimesBegun: Math.floor(spanSeconds / lifetime) + 1,
					...result,
					tokenRequests: log.filter((e) => e.kind === 'token' && /\/oauth2\/v2\.0\/token$/i.test(e.path)).length,
					otherIdentityRequests: log.filter(
						(e) => e.kind === 'other' || (e.kind === 'token' && !/\/oauth2\/v2\.0\/token$/i.test(e.path)),
					).length,
					unauthorized401: graph.filter((e) => e.status === 401).length,
					graphRequests: graph.length,
					failed: graph.filter((e) => e.status >= 400 && e.status !== 401).length,
				});
			}
		}
	} finally {
		await emulator.stop();
	}
	const of = (variant: 'package' | 'naive', key: string) => runs[variant].map((r) => r[key] as number);
	const tokens = median(of('package', 'tokenRequests'));
	// Per run: at most one token and one 401 for each lifetime the run began on the emulator clock.
	const perLifetime = (key: string) =>
		Math.max(...runs.package.map((r) => (r[key] as number) / (r.lifetimesBegun as number)));
	const spanLifetimes = median(runs.package.map((r) => (r.spanSeconds as number) / lifetime));
	return {
		id: 'tokens',
		title: `Tokens: ${executions.toLocaleString('en-US')} executions over ${lifetimes} token lifetimes`,
		setup: `${executions} executions of Message → List (limit 1), one after the other, the emulator clock advanced ${((lifetimes * lifetime - SPAN_MARGIN_SECONDS) / executions).toFixed(2)} s between them, so they span ${spanLifetimes.toFixed(2)} access-token lifetimes of ${lifetime} s; one credential store for all, as n8n's database; naive: a new client-credentials token per execution. Graph latency 0 ms here: these are counts.`,
		figures: [
			figure('package (n8n node)', 'token requests', '', of('package', 'tokenRequests')),
			figure('package (n8n node)', '401 round trips', '', of('package', 'unauthorized401')),
			figure('package (n8n node)', 'Graph requests', '', of('package', 'graphRequests')),
			figure(
				'package (n8n node)',
				'time (0 ms latency)',
				's',
				runs.package.map((r) => seconds(r.ms as number)),
			),
			figure('naive token per execution', 'token requests', '', of('naive', 'tokenRequests')),
			figure('naive token per execution', '401 round trips', '', of('naive', 'unauthorized401')),
			figure(
				'naive token per execution',
				'time (0 ms latency)',
				's',
				runs.naive.map((r) => seconds(r.ms as number)),
			),
		],
		checks: [
			{
				text: 'package token requests per lifetime (worst run)',
				value: perLifetime('tokenRequests'),
				goal: '≤ 1',
				met: perLifetime('tokenRequests') <= 1,
			},
			{
				text: 'package 401 round trips per lifetime (worst run)',
				value: perLifetime('unauthorized401'),
				goal: '≤ 1',
				met: perLifetime('unauthorized401') <= 1,
			},
			{
				text: 'naive token requests / package token requests',
				value: median(of('naive', 'tokenRequests')) / tokens,
				unit: '×',
			},
		],
		notes: [
			"The first token is requested because the credential has none yet (no 401); each later one follows the 401 of the first request after the previous token expired, which n8n answers by running the credential's preAuthentication once and saving the new token.",
		],
		runs,
		durationMs: Date.now() - started,
	};
}
