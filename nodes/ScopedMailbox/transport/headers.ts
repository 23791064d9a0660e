/**
 * Headers every Graph request of the package carries.
 *
 * `Prefer: IdType="ImmutableId"`: without it a message's id changes whenever the message moves to another folder
 * (the trigger's own "Move To", a user filing the mail, an inbox rule), so an id the package emitted or output
 * answers 404 afterwards. With it ids stay as long as the message stays in the mailbox; the header applies only to
 * the request it is on, so every request carries it (Microsoft Learn, "Obtain immutable identifiers for Outlook
 * resources"). Delta links and next links work with either id format.
 */
import type { IDataObject } from 'n8n-workflow';

export function defaultGraphHeaders(): Record<string, string> {
	return { Prefer: 'IdType="ImmutableId"' };
}

/**
 * The request's own headers over the defaults. `Prefer` is a list of preferences: a caller's Prefer (page size,
 * body type) is joined with the default one rather than replacing it, unless it already states an IdType.
 */
export function withDefaultGraphHeaders(headers: IDataObject | undefined): Record<string, string> {
	const out: Record<string, string> = { ...defaultGraphHeaders() };
	for (const [key, value] of Object.entries(headers ?? {})) {
		if (value === undefined) continue;
		const existing = Object.keys(out).find((k) => k.toLowerCase() === key.toLowerCase());
		if (existing && key.toLowerCase() === 'prefer') {
			const given = String(value);
			out[existing] = /\bIdType\s*=/i.test(given) ? given : `${out[existing]}, ${given}`;
			continue;
		}
		if (existing) delete out[existing];
		out[key] = String(value);
	}
	return out;
}

/**
 * Headers as they come back (n8n's response headers, a `$batch` inner response's headers) with lower-case names,
 * repeated headers joined as fetch's Headers joins them, so every reader looks a header up one way.
 */
export function headerRecord(raw: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!raw || typeof raw !== 'object') return out;
	for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
		if (value === undefined || value === null) continue;
		const name = key.toLowerCase();
		const given = Array.isArray(value) ? value.map(String).join(', ') : String(value);
		out[name] = out[name] !== undefined ? `${out[name]}, ${given}` : given;
	}
	return out;
}
