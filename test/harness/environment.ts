/**
 * Process-wide set-up n8n-core expects from the n8n server: a user folder, an encryption key, a logger, the
 * binary data service (filesystem mode) and the legacy expression engine. Everything lives in a temp dir.
 *
 * Environment variables are set at import time, before anything reads n8n's config; import this module first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Under jest, inside the run's folder that its global teardown removes (jest workers skip exit handlers).
const userFolder = mkdtempSync(join(process.env.SCOPED_MAILBOX_TMP ?? tmpdir(), 'scoped-mailbox-n8n-'));
// Binary data of large-attachment tests would otherwise pile up in /tmp run after run.
process.once('exit', () => rmSync(userFolder, { recursive: true, force: true }));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'harness-encryption-key-not-a-secret';
process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
process.env.N8N_BINARY_DATA_SIGNING_SECRET ??= 'harness-binary-signing-secret';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
// n8n 2.x defaults the server to the isolated-vm engine; isolated-vm is not built on Node 20, and
// n8n-workflow's Expression keeps the in-process 'legacy' evaluator unless initExpressionEngine is called.
process.env.N8N_EXPRESSION_ENGINE = 'legacy';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import { LoggerProxy } from 'n8n-workflow';
import type { Logger as WorkflowLogger, LogMetadata } from 'n8n-workflow';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LogLine {
	level: LogLevel;
	message: string;
	/** Metadata serialised as n8n's JSON log format would write it (errors with message and stack). */
	metadata: string;
}

function serialise(metadata: LogMetadata | undefined): string {
	if (metadata === undefined) return '';
	try {
		return JSON.stringify(metadata, (_key, value: unknown) =>
			value instanceof Error ? { ...value, name: value.name, message: value.message, stack: value.stack } : value,
		);
	} catch {
		return String(metadata);
	}
}

/** Receives every line n8n-core and n8n-workflow log, through LoggerProxy and the DI Logger alike. */
export class LogCapture {
	readonly lines: LogLine[] = [];

	private readonly listeners = new Set<(line: LogLine) => void>();

	record(level: LogLevel, message: string, metadata?: LogMetadata) {
		const line = { level, message: String(message), metadata: serialise(metadata) };
		this.lines.push(line);
		for (const listener of this.listeners) listener(line);
	}

	/** Collects the lines logged while a run is in progress. */
	collect(): { lines: LogLine[]; stop(): void } {
		const lines: LogLine[] = [];
		const listener = (line: LogLine) => lines.push(line);
		this.listeners.add(listener);
		return { lines, stop: () => this.listeners.delete(listener) };
	}

	/** All captured text, for "no secret appears in any log line" assertions. */
	text(lines: LogLine[] = this.lines): string {
		return lines.map((l) => `${l.level} ${l.message} ${l.metadata}`).join('\n');
	}

	clear() {
		this.lines.length = 0;
	}
}

export const logCapture = new LogCapture();

class CapturingLogger implements WorkflowLogger {
	error = (message: string, metadata?: LogMetadata) => logCapture.record('error', message, metadata);
	warn = (message: string, metadata?: LogMetadata) => logCapture.record('warn', message, metadata);
	info = (message: string, metadata?: LogMetadata) => logCapture.record('info', message, metadata);
	debug = (message: string, metadata?: LogMetadata) => logCapture.record('debug', message, metadata);
	scoped() {
		return this;
	}
}

let ready: Promise<void> | undefined;

/** Idempotent: the first call wires the logger and starts the binary data service. */
export async function ensureEnvironment(): Promise<void> {
	ready ??= (async () => {
		const logger = new CapturingLogger();
		LoggerProxy.init(logger);
		Container.set(Logger, logger as unknown as Logger);
		await Container.get(BinaryDataService).init();
	})();
	await ready;
}

export const harnessUserFolder = userFolder;

/** For a jest afterAll in a process that wants its disk back; the folder is otherwise left to the OS. */
export function removeUserFolder() {
	rmSync(userFolder, { recursive: true, force: true });
}
