import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

export interface GraphRecipient {
	emailAddress: { address: string; name?: string };
}

// Deliberately loose: Exchange validates addresses; this only catches what is clearly not one.
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

/** Accepts "a@x.com, Name <b@x.com>" (string) or an array of those, as expressions often produce. */
export function parseRecipients(
	this: IExecuteFunctions,
	value: unknown,
	field: string,
	itemIndex: number,
): GraphRecipient[] {
	const parts: string[] = [];
	const collect = (v: unknown) => {
		if (v === undefined || v === null || v === '') return;
		if (Array.isArray(v)) v.forEach(collect);
		else if (typeof v === 'string') parts.push(...v.split(/[,;\n]/));
		else if (typeof v === 'object' && typeof (v as { address?: unknown }).address === 'string') {
			parts.push((v as { address: string }).address);
		} else parts.push(String(v));
	};
	collect(value);
	const recipients: GraphRecipient[] = [];
	for (const raw of parts) {
		const text = raw.trim();
		if (!text) continue;
		const named = /^(.*)<([^<>]+)>$/.exec(text);
		const address = (named ? named[2] : text).trim();
		const name = named ? named[1].trim().replace(/^"|"$/g, '') : undefined;
		if (!ADDRESS.test(address)) {
			throw new NodeOperationError(this.getNode(), `"${text}" in ${field} is not an email address`, {
				itemIndex,
				description: 'Use addresses like user@contoso.com, separated by commas; "Name <user@contoso.com>" works too.',
			});
		}
		recipients.push({ emailAddress: name ? { address, name } : { address } });
	}
	return recipients;
}

export function splitList(value: unknown): string[] {
	if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
	if (typeof value !== 'string') return [];
	return value
		.split(',')
		.map((v) => v.trim())
		.filter(Boolean);
}
