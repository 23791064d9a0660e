/**
 * How a message is returned, the same model in the action node and the trigger: "Output" = Simplified, Raw
 * or (action node) Selected Fields.
 */
import type { IDataObject, INodePropertyOptions } from 'n8n-workflow';

import { simplifyMessage } from './simplify';

export type OutputMode = 'simple' | 'raw' | 'selected';

export const OUTPUT_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Simplified',
		value: 'simple',
		description: 'Flat fields a person reads first: subject, from, received, preview, then recipients, flags and IDs',
	},
	{ name: 'Raw', value: 'raw', description: 'The message as Microsoft Graph returns it' },
	{ name: 'Selected Fields', value: 'selected', description: 'Only the Graph fields you choose' },
];

export function shapeMessage(mode: OutputMode, message: IDataObject): IDataObject {
	if (mode === 'simple') return simplifyMessage(message);
	if (mode === 'selected') {
		const out: IDataObject = {};
		for (const [key, value] of Object.entries(message)) if (!key.startsWith('@odata.')) out[key] = value;
		return out;
	}
	return message;
}
