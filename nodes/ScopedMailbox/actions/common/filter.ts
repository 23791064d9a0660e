import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { odataString } from '../../transport';

export interface ListFilters {
	unreadOnly?: boolean;
	from?: string;
	subjectContains?: string;
	receivedAfter?: string;
	receivedBefore?: string;
	hasAttachments?: boolean;
	importance?: string;
	customFilter?: string;
	search?: string;
}

export interface ListQuery {
	$filter?: string;
	$orderby?: string;
	$search?: string;
}

const IMPORTANCE = ['low', 'normal', 'high'];

function dateLiteral(this: IExecuteFunctions, value: string, field: string, itemIndex: number): string {
	const date = new Date(value);
	if (Number.isNaN(date.getTime())) {
		throw new NodeOperationError(this.getNode(), `"${value}" in ${field} is not a date`, {
			itemIndex,
			description: 'Use an ISO 8601 date, e.g. 2024-05-01T00:00:00Z.',
		});
	}
	// OData DateTimeOffset literals are unquoted; toISOString yields only digits, '-', ':', '.', 'T', 'Z'.
	return date.toISOString();
}

/**
 * Compiles the filter options into one $filter (user values escaped as OData string literals) plus $orderby
 * and $search. Graph rejects a $filter whose leading properties differ from $orderby ("InefficientFilter"),
 * so the ordered property is always the first clause; Graph cannot combine $search with $filter or $orderby.
 */
export function compileListQuery(
	this: IExecuteFunctions,
	filters: ListFilters,
	orderBy: string,
	itemIndex: number,
): ListQuery {
	const clauses: string[] = [];
	if (filters.unreadOnly) clauses.push('isRead eq false');
	if (filters.from) clauses.push(`from/emailAddress/address eq '${odataString(filters.from.trim())}'`);
	if (filters.subjectContains) clauses.push(`contains(subject, '${odataString(filters.subjectContains)}')`);
	if (filters.hasAttachments) clauses.push('hasAttachments eq true');
	if (filters.importance) {
		if (!IMPORTANCE.includes(filters.importance)) {
			throw new NodeOperationError(this.getNode(), `Importance "${filters.importance}" is not valid`, {
				itemIndex,
				description: 'Use low, normal or high.',
			});
		}
		clauses.push(`importance eq '${odataString(filters.importance)}'`);
	}
	const dateClauses: string[] = [];
	if (filters.receivedAfter) {
		dateClauses.push(
			`receivedDateTime ge ${dateLiteral.call(this, filters.receivedAfter, 'Received After', itemIndex)}`,
		);
	}
	if (filters.receivedBefore) {
		dateClauses.push(
			`receivedDateTime lt ${dateLiteral.call(this, filters.receivedBefore, 'Received Before', itemIndex)}`,
		);
	}
	const custom = filters.customFilter?.trim();
	const search = filters.search?.trim();

	if (search) {
		if (clauses.length || dateClauses.length || custom) {
			throw new NodeOperationError(this.getNode(), 'Search cannot be combined with filters', {
				itemIndex,
				description:
					'Microsoft Graph does not accept $search together with $filter on messages. Use either the Search option or the other filters, not both.',
			});
		}
		// Graph sorts search results by relevance and rejects $orderby with $search.
		return { $search: `"${search.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` };
	}

	const [orderProperty] = orderBy.split(' ');
	const ordered = [...dateClauses];
	const any = clauses.length > 0 || dateClauses.length > 0 || !!custom;
	if (orderProperty && any) {
		const leading = ordered.filter((c) => c.startsWith(`${orderProperty} `));
		if (leading.length === 0) {
			// A condition on the ordered property that every message meets keeps Graph's filter efficient.
			clauses.unshift(`${orderProperty} ge 1900-01-01T00:00:00Z`);
		}
	}
	const all = orderProperty === 'receivedDateTime' ? [...ordered, ...clauses] : [...clauses, ...ordered];
	if (orderProperty && orderProperty !== 'receivedDateTime' && any) {
		// keep the synthetic ordered-property clause first
		all.sort((a, b) => Number(b.startsWith(`${orderProperty} `)) - Number(a.startsWith(`${orderProperty} `)));
	}
	if (custom) all.push(`(${custom})`);
	const query: ListQuery = {};
	if (all.length) query.$filter = all.join(' and ');
	if (orderBy) query.$orderby = orderBy;
	return query;
}

export function toQs(query: ListQuery): IDataObject {
	const qs: IDataObject = {};
	for (const [k, v] of Object.entries(query)) if (v !== undefined) qs[k] = v;
	return qs;
}
