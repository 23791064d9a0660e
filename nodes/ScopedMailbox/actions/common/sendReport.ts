/**
 * What a send run did, item by item, for the error that stops it (n8n's default "stop on error" saves no output):
 * which items Graph accepted (202) or found already sent, which were not sent, which have an unknown outcome.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { isSendOutcomeUnknownError } from '../../transport';
import { httpStatusOf } from '../../helpers/httpStatus';
import { idempotencyKeyOfError } from './idempotency';

export const SEND_OPERATIONS = new Set(['send', 'reply', 'forward']);

type Outcome = 'accepted' | 'alreadySent' | 'notSent' | 'unknown';

/** A failed send's outcome: a lost connection or a 5xx answer may have sent it; anything else did not. */
export function failedSendOutcome(error: unknown): 'notSent' | 'unknown' {
	if (isSendOutcomeUnknownError(error)) return 'unknown';
	const status = httpStatusOf(error);
	// 429 and 503/504 with Retry-After are throttling: Graph refuses before acting. Other 5xx may have acted.
	if (status !== undefined && status >= 500 && !(error as { throttled?: boolean }).throttled) return 'unknown';
	return 'notSent';
}

function ranges(indices: number[]): string {
	const sorted = [...indices].sort((a, b) => a - b);
	const out: string[] = [];
	for (let i = 0; i < sorted.length; ) {
		let j = i;
		while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
		out.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
		i = j + 1;
	}
	return out.join(', ');
}

const MAX_KEYS_LISTED = 100;

export class SendReport {
	private readonly outcomes = new Map<number, { outcome: Outcome; key?: string }>();

	constructor(private readonly total: number) {}

	succeeded(itemIndex: number, output: INodeExecutionData[]): void {
		const json = (output[0]?.json ?? {}) as IDataObject;
		const outcome: Outcome = json.sendStatus === 'alreadySent' ? 'alreadySent' : 'accepted';
		this.outcomes.set(itemIndex, {
			outcome,
			key: typeof json.idempotencyKey === 'string' ? json.idempotencyKey : undefined,
		});
	}

	failed(itemIndex: number, error: unknown): void {
		this.outcomes.set(itemIndex, { outcome: failedSendOutcome(error), key: idempotencyKeyOfError(error) });
	}

	summary(): Record<Outcome, number[]> & { keys: Partial<Record<Outcome, string[]>> } {
		const by: Record<Outcome, number[]> = { accepted: [], alreadySent: [], notSent: [], unknown: [] };
		const keys: Partial<Record<Outcome, string[]>> = {};
		for (let i = 0; i < this.total; i++) {
			const entry = this.outcomes.get(i) ?? { outcome: 'notSent' as const };
			by[entry.outcome].push(i);
			if (entry.key) (keys[entry.outcome] ??= []).push(entry.key);
		}
		return { ...by, keys };
	}

	/** Adds the report to the error n8n will show and save: description text and `context.sendReport`. */
	annotate(error: Error): Error {
		const s = this.summary();
		const line = (label: string, outcome: Outcome) => {
			const list = s[outcome];
			if (!list.length) return '';
			const keys = s.keys[outcome] ?? [];
			const keyText = keys.length
				? `; idempotency keys: ${keys.slice(0, MAX_KEYS_LISTED).join(', ')}${keys.length > MAX_KEYS_LISTED ? `, … ${keys.length - MAX_KEYS_LISTED} more` : ''}`
				: '';
			return `\n- ${label} (${list.length}): items ${ranges(list)}${keyText}`;
		};
		const text =
			`Send report for the ${this.total} input items (item indexes from 0):` +
			line('Accepted by Microsoft Graph (202: submitted, delivery not confirmed)', 'accepted') +
			line('Already sent earlier (found in the mailbox, not sent again)', 'alreadySent') +
			line('Not sent', 'notSent') +
			line('Outcome unknown (check Sent Items before sending these again)', 'unknown') +
			(s.keys.accepted?.length || s.keys.notSent?.length
				? '\nWith Prevent Duplicate Sends on, running the workflow again sends only what is not in the mailbox.'
				: '\nTurn on Prevent Duplicate Sends to make a re-run skip what was sent.');
		const e = error as Error & { description?: string | null; context?: IDataObject };
		e.description = e.description ? `${e.description}\n\n${text}` : text;
		e.context = {
			...(e.context ?? {}),
			sendReport: {
				accepted: s.accepted,
				alreadySent: s.alreadySent,
				notSent: s.notSent,
				unknown: s.unknown,
				...(Object.keys(s.keys).length ? { idempotencyKeys: s.keys } : {}),
			},
		};
		return error;
	}
}
