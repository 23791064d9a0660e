/** The trigger's parameters as n8n shows them. */
import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_MAX_PER_POLL, MAX_PER_POLL_LIMIT } from './config';
import {
	ATTACHMENT_PREFIX_OPTION,
	DOWNLOAD_ATTACHMENTS_OPTION,
	IMPORTANCE_OPTIONS,
	MAX_ATTACHMENT_SIZE_OPTION,
} from '../helpers/descriptions';
import { folderLocator } from '../helpers/locators';
import { OUTPUT_OPTIONS } from '../helpers/output';
import { AUTHENTICATION_OPTIONS, DEFAULT_CREDENTIAL_TYPE } from '../auth/registry';

/** The action node's folder picker, with the same default (From list: Inbox). */
function triggerFolder(name: string, displayName: string, description: string): INodeProperties {
	return folderLocator({ name, displayName, description });
}

export const triggerProperties: INodeProperties[] = [
	{
		// n8n's node creator lists a trigger's events from a "Trigger On" option and shows each one's `action`;
		// without one it shows a generic "On new Scoped Mailbox event".
		displayName: 'Trigger On',
		name: 'event',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'New Message',
				value: 'newMessage',
				action: 'On new message in a shared mailbox',
				description: 'A message arrives in, or is moved into, a watched folder of the mailbox',
			},
		],
		default: 'newMessage',
	},
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		options: AUTHENTICATION_OPTIONS,
		default: DEFAULT_CREDENTIAL_TYPE,
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. shared@contoso.com',
		description:
			'User principal name (e.g. shared@contoso.com) or Entra object ID of the mailbox to watch, usually a shared mailbox',
	},
	{
		displayName: 'Folders to Watch',
		name: 'folders',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Folder',
		default: { folder: [{ folder: { __rl: true, mode: 'list', value: 'inbox', cachedResultName: 'Inbox' } }] },
		description: 'Each folder is watched on its own (subfolders can be picked; they are not included automatically)',
		options: [
			{
				displayName: 'Folder',
				name: 'folder',
				values: [
					triggerFolder(
						'folder',
						'Folder',
						'A folder of the mailbox: well-known name (inbox, junkemail, ...) or folder ID',
					),
				],
			},
		],
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		// The action node's model; Selected Fields waits for the trigger's read path to take a $select.
		options: OUTPUT_OPTIONS.filter((option) => option.value !== 'selected'),
		default: 'simple',
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		description:
			'Checked when a message arrives; a message that does not match never triggers, even if it changes later',
		options: [
			{
				displayName: 'From',
				name: 'from',
				type: 'string',
				default: '',
				placeholder: 'e.g. billing@contoso.com, @fabrikam.com',
				description: 'Sender addresses (comma-separated); an entry starting with @ matches a whole domain',
			},
			{
				displayName: 'Has Attachments',
				name: 'hasAttachments',
				type: 'boolean',
				default: true,
				description: 'Whether to trigger only on messages with attachments',
			},
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'high',
			},
			{
				displayName: 'Subject Contains',
				name: 'subjectContains',
				type: 'string',
				default: '',
				description: 'Text the subject must contain (case-insensitive)',
			},
			{
				displayName: 'Unread Only',
				name: 'unreadOnly',
				type: 'boolean',
				default: true,
				description: 'Whether to trigger only on messages that are unread when the trigger sees them',
			},
		],
	},
	{
		displayName: 'After Emitting',
		name: 'postAction',
		type: 'options',
		options: [
			{ name: 'Do Nothing', value: 'none' },
			{ name: 'Mark as Read', value: 'markAsRead', description: 'Needs Mail.ReadWrite on the mailbox' },
			{ name: 'Move to Folder', value: 'move', description: 'Needs Mail.ReadWrite on the mailbox' },
		],
		default: 'none',
		description: 'What to do with each message once the trigger has taken it (never makes it trigger again)',
	},
	{
		...triggerFolder('moveTo', 'Move To', 'Folder to move taken messages to; it must not be a watched folder'),
		default: { mode: 'list', value: '' },
		displayOptions: { show: { postAction: ['move'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			ATTACHMENT_PREFIX_OPTION,
			DOWNLOAD_ATTACHMENTS_OPTION,
			{
				displayName: 'Include Unread Existing Mail',
				name: 'includeUnreadExisting',
				type: 'boolean',
				default: false,
				description:
					'Whether the first activation also emits the unread messages already in the folder (read ones never trigger)',
			},
			MAX_ATTACHMENT_SIZE_OPTION,
			{
				displayName: 'Max Messages per Poll',
				name: 'maxMessagesPerPoll',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_PER_POLL_LIMIT },
				default: DEFAULT_MAX_PER_POLL,
				description:
					'More new messages than this wait for the next poll, in arrival order; none are lost. All messages of one poll start one execution together, so this also bounds its memory.',
			},
		],
	},
];
