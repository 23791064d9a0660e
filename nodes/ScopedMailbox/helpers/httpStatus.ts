/** The HTTP status of an error from the transport (NodeApiError keeps it as text in httpCode). */
export function httpStatusOf(error: unknown): number | undefined {
	if (!error || typeof error !== 'object') return undefined;
	const e = error as { httpCode?: unknown; statusCode?: unknown; status?: unknown; cause?: unknown };
	for (const value of [e.httpCode, e.statusCode, e.status]) {
		const n = Number(value);
		if (Number.isInteger(n) && n >= 100) return n;
	}
	return e.cause && e.cause !== error ? httpStatusOf(e.cause) : undefined;
}
