/** What benchmark modules hand to the report. */
import type { BenchOptions } from './options';
import { summarize, type Summary } from './stats';

export interface Scale {
	bulkMessages: number;
	listMessages: number;
	triggerBurst: number;
	tokenExecutions: number;
	tokenLifetimes: number;
	attachmentMb: number;
	batchItems: number;
}

export const FULL_SCALE: Scale = {
	bulkMessages: 500,
	listMessages: 10_000,
	triggerBurst: 2_000,
	tokenExecutions: 1_000,
	tokenLifetimes: 3,
	attachmentMb: 100,
	batchItems: 100,
};

export const QUICK_SCALE: Scale = {
	bulkMessages: 50,
	listMessages: 1_000,
	triggerBurst: 200,
	tokenExecutions: 100,
	tokenLifetimes: 3,
	attachmentMb: 10,
	batchItems: 20,
};

export interface BenchContext {
	options: BenchOptions;
	scale: Scale;
	log(message: string): void;
}

/** One measured quantity of one variant, over the runs. */
export interface Figure {
	variant: string;
	metric: string;
	unit: string;
	summary: Summary;
	/** Computed rather than measured (e.g. Exchange's limit). */
	computed?: boolean;
}

/** A ratio or a goal: value against what it is compared with. */
export interface Check {
	text: string;
	value: number;
	unit?: string;
	goal?: string;
	met?: boolean;
}

export interface BenchmarkOutcome {
	id: string;
	title: string;
	setup: string;
	figures: Figure[];
	checks: Check[];
	notes: string[];
	/** Raw per-run results, for the JSON file. */
	runs: Record<string, unknown[]>;
	durationMs: number;
}

export function figure(variant: string, metric: string, unit: string, values: number[], computed = false): Figure {
	return { variant, metric, unit, summary: summarize(values), ...(computed ? { computed } : {}) };
}

export const MiB = 1024 * 1024;

export function seconds(ms: number) {
	return ms / 1000;
}
