import type { Clock, EmuRequest, EmuResponse } from '../core/context';
import { newGuid } from '../core/ids';

/**
 * Entra ID's error body: `{error, error_description: "AADSTSnnnn: ...", error_codes, timestamp, trace_id, correlation_id,
 * error_uri}`. invalid_client answers 401, everything else 400 unless told.
 */
export function aadError(
	clock: Clock,
	req: EmuRequest | undefined,
	error: string,
	code: number,
	message: string,
	status = error === 'invalid_client' ? 401 : 400,
	headers: Record<string, string> = {},
): EmuResponse {
	const traceId = newGuid();
	const correlationId = req?.headers['client-request-id'] ?? newGuid();
	const timestamp = new Date(clock.now())
		.toISOString()
		.replace('T', ' ')
		.replace(/\.\d+Z$/, 'Z');
	return {
		status,
		headers: { 'x-ms-request-id': traceId, 'client-request-id': correlationId, ...headers },
		body: {
			error,
			error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
			error_codes: [code],
			timestamp,
			trace_id: traceId,
			correlation_id: correlationId,
			error_uri: `${req?.baseUrl ?? 'https://login.microsoftonline.com'}/error?code=${code}`,
		},
	};
}
