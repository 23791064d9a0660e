/**
 * The action node's "Output" parameters (the model is helpers/output.ts). Workflows saved with the old
 * "Simplify" toggle off stay Raw (outputMode).
 */
import type { IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { OUTPUT_OPTIONS, type OutputMode } from '../../helpers/output';
import { SIMPLE_SELECT } from '../../helpers/simplify';

/** Graph message properties, labelled (Graph's name in the description, as $select needs it). */
const FIELD_LABELS: Record<string, string> = {
	bccRecipients: 'BCC Recipients',
	body: 'Body',
	bodyPreview: 'Body Preview',
	categories: 'Categories',
	ccRecipients: 'CC Recipients',
	conversationId: 'Conversation ID',
	createdDateTime: 'Created',
	flag: 'Flag',
	from: 'From',
	hasAttachments: 'Has Attachments',
	importance: 'Importance',
	internetMessageHeaders: 'Internet Message Headers',
	internetMessageId: 'Internet Message ID',
	isDraft: 'Is Draft',
	isRead: 'Is Read',
	lastModifiedDateTime: 'Last Modified',
	parentFolderId: 'Folder ID',
	receivedDateTime: 'Received',
	replyTo: 'Reply To',
	sender: 'Sender',
	sentDateTime: 'Sent',
	subject: 'Subject',
	toRecipients: 'To Recipients',
	webLink: 'Outlook Web Link',
};

export const MESSAGE_FIELD_OPTIONS: INodePropertyOptions[] = Object.entries(FIELD_LABELS)
	.map(([value, name]) => ({ name, value, description: `Graph property ${value}` }))
	.sort((a, b) => a.name.localeCompare(b.name));

/** Output of the action node's message operations; `withSelected` adds Selected Fields and its picker. */
export function outputFields(withSelected = true): INodeProperties[] {
	const fields: INodeProperties[] = [
		{
			displayName: 'Output',
			name: 'output',
			type: 'options',
			options: withSelected ? OUTPUT_OPTIONS : OUTPUT_OPTIONS.filter((o) => o.value !== 'selected'),
			default: 'simple',
		},
	];
	if (withSelected) {
		fields.push({
			displayName: 'Fields',
			name: 'fields',
			type: 'multiOptions',
			options: MESSAGE_FIELD_OPTIONS,
			default: ['subject', 'from', 'receivedDateTime', 'bodyPreview'],
			description: 'Graph message fields to return ($select); the ID is always included',
			displayOptions: { show: { output: ['selected'] } },
		});
	}
	fields.push({
		// Kept so workflows saved with the old "Simplify" toggle switched off stay Raw (see outputMode).
		displayName: 'Simplify',
		name: 'simplify',
		type: 'hidden',
		default: true,
	});
	return fields;
}

/**
 * The item's output mode. n8n fills in every default before a run, so a missing "Output" cannot be seen; the
 * hidden Simplify is false only in workflows saved with the old toggle off, and then means Raw.
 */
export function outputMode(this: IExecuteFunctions, itemIndex: number): OutputMode {
	if (this.getNodeParameter('simplify', itemIndex, true) === false) return 'raw';
	const mode = this.getNodeParameter('output', itemIndex, 'simple') as string;
	return mode === 'raw' || mode === 'selected' ? mode : 'simple';
}

/**
 * The $select for a mode: Selected Fields' choice, the simplified set, or nothing (Graph's default) for Raw.
 * The old "Options > Fields" is gone: n8n drops an unknown collection key when it loads a workflow, so such
 * workflows now get the whole simplified or raw message, a superset of what they selected.
 */
export function selectFor(
	this: IExecuteFunctions,
	itemIndex: number,
	mode: OutputMode,
	simpleSelect: string[] = SIMPLE_SELECT,
): string[] {
	if (mode === 'selected') {
		const chosen = this.getNodeParameter('fields', itemIndex, []) as string[];
		return ['id', ...chosen.filter((f) => f !== 'id')];
	}
	return mode === 'simple' ? simpleSelect : [];
}
