/** Graph's ways of saying "this delta token is no longer valid: start the round again". */
import { httpStatusOf } from '../helpers/httpStatus';

const RESET_CODES = /\b(syncStateNotFound|syncStateInvalid|resyncRequired)\b/i;

export function isDeltaReset(error: unknown): boolean {
	const status = httpStatusOf(error);
	if (status === 410) return true;
	if (status !== 400 && status !== 404) return false;
	const e = error as { message?: unknown; description?: unknown; errorResponse?: unknown; cause?: unknown };
	const text = [
		e.message,
		e.description,
		safeJson(e.errorResponse),
		safeJson((e.cause as { errorResponse?: unknown })?.errorResponse),
	]
		.filter((x) => typeof x === 'string')
		.join(' ');
	return RESET_CODES.test(text);
}

function safeJson(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	try {
		return JSON.stringify(value);
	} catch {
		return undefined;
	}
}
