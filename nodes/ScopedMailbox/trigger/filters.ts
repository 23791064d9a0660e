/**
 * Filters applied to delta entries on our side: Graph's delta query accepts no $filter but receivedDateTime,
 * so from / subject / attachments / importance / unread are checked against the fields the delta returns.
 */
import type { IDataObject } from 'n8n-workflow';

export interface TriggerFilters {
	/** Lower-case addresses, or '@domain' entries that match a whole domain. */
	from: string[];
	subjectContains: string;
	hasAttachments: boolean;
	importance: string;
	unreadOnly: boolean;
}

/** Fields every delta entry carries: what the filters, the emission rules and the output need to decide. */
export const DELTA_SELECT = [
	'createdDateTime',
	'receivedDateTime',
	'subject',
	'from',
	'hasAttachments',
	'importance',
	'isRead',
];

export function parseFilters(raw: IDataObject): TriggerFilters {
	const from = String(raw.from ?? '')
		.split(/[,;\s]+/)
		.map((s) => s.trim().toLowerCase())
		.filter(Boolean);
	return {
		from,
		subjectContains: String(raw.subjectContains ?? '').toLowerCase(),
		hasAttachments: raw.hasAttachments === true,
		importance: typeof raw.importance === 'string' ? raw.importance : '',
		unreadOnly: raw.unreadOnly === true,
	};
}

function senderOf(message: IDataObject): string {
	const from = message.from as { emailAddress?: { address?: string } } | undefined;
	return (from?.emailAddress?.address ?? '').toLowerCase();
}

export function matchesFilters(message: IDataObject, filters: TriggerFilters): boolean {
	if (filters.from.length) {
		const sender = senderOf(message);
		const ok = filters.from.some((f) => (f.startsWith('@') ? sender.endsWith(f) : sender === f));
		if (!ok) return false;
	}
	if (
		filters.subjectContains &&
		!String(message.subject ?? '')
			.toLowerCase()
			.includes(filters.subjectContains)
	)
		return false;
	if (filters.hasAttachments && message.hasAttachments !== true) return false;
	if (filters.importance && String(message.importance ?? '').toLowerCase() !== filters.importance) return false;
	if (filters.unreadOnly && message.isRead !== false) return false;
	return true;
}
