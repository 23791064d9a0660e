/** The trigger's parameters, read and checked once per poll. */
import {
	NodeOperationError,
	type IDataObject,
	type INodeParameterResourceLocator,
	type IPollFunctions,
} from 'n8n-workflow';

import { assertMailbox } from '../transport/paths';
import { DEFAULT_MAX_ATTACHMENT_MB, downloadOptions } from '../helpers/messageAttachments';
import { parseFilters, type TriggerFilters } from './filters';
import type { OutputOptions } from './output';
import type { PostAction } from './postActions';

export const DEFAULT_MAX_PER_POLL = 1000;
export const MAX_PER_POLL_LIMIT = 5000;

export interface TriggerConfig extends OutputOptions {
	mailbox: string;
	folders: string[];
	filters: TriggerFilters;
	postAction: PostAction;
	includeUnreadExisting: boolean;
	maxPerPoll: number;
}

function locatorValue(raw: unknown): string {
	const value = typeof raw === 'object' && raw !== null ? (raw as INodeParameterResourceLocator).value : raw;
	return String(value ?? '').trim();
}

export function readConfig(this: IPollFunctions): TriggerConfig {
	const node = this.getNode();
	const mailbox = assertMailbox(node, this.getNodeParameter('mailbox', ''), undefined, 'mailbox');
	const collection = this.getNodeParameter('folders', {}) as { folder?: Array<{ folder?: unknown }> };
	const folders = [...new Set((collection.folder ?? []).map((f) => locatorValue(f.folder)).filter(Boolean))];
	if (!folders.length) {
		throw new NodeOperationError(node, 'No folder to watch', {
			description:
				'Add at least one entry under "Folders to Watch": pick a folder or enter a well-known name such as inbox, or a folder ID.',
		});
	}
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const maxPerPoll = Number(options.maxMessagesPerPoll ?? DEFAULT_MAX_PER_POLL);
	if (!Number.isInteger(maxPerPoll) || maxPerPoll < 1 || maxPerPoll > MAX_PER_POLL_LIMIT) {
		throw new NodeOperationError(
			node,
			`"Max Messages per Poll" must be a whole number from 1 to ${MAX_PER_POLL_LIMIT}`,
			{
				description: 'More messages than this wait for the next poll; none are lost.',
			},
		);
	}
	const maxMb = Number(options.maxAttachmentSizeMb ?? DEFAULT_MAX_ATTACHMENT_MB);
	if (!Number.isFinite(maxMb) || maxMb < 0) {
		throw new NodeOperationError(node, '"Max Attachment Size (MB)" must be a number of 0 or more');
	}
	const kind = this.getNodeParameter('postAction', 'none') as string;
	let postAction: PostAction = { kind: 'none' };
	if (kind === 'markAsRead') postAction = { kind: 'markAsRead' };
	if (kind === 'move') {
		const destination = locatorValue(this.getNodeParameter('moveTo', ''));
		if (!destination) {
			throw new NodeOperationError(node, 'No folder to move new messages to', {
				description: 'Choose the folder under "Move To", or set "After Emitting" to do nothing.',
			});
		}
		if (folders.includes(destination)) {
			throw new NodeOperationError(node, '"Move To" is one of the watched folders', {
				description: 'Moving a message into a watched folder would make it a new message there; choose another folder.',
			});
		}
		postAction = { kind: 'move', destination };
	}
	const output = this.getNodeParameter('output', 'simple') as string;
	return {
		mailbox,
		folders,
		filters: parseFilters(this.getNodeParameter('filters', {}) as IDataObject),
		postAction,
		includeUnreadExisting: options.includeUnreadExisting === true,
		maxPerPoll,
		output: output === 'raw' ? 'raw' : 'simple',
		downloadAttachments: options.downloadAttachments === true,
		attachments: downloadOptions(options),
	};
}
