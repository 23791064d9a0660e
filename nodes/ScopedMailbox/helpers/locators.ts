/**
 * The pickers (resource locators) of a folder and of a message, and how their values are read, the same in the
 * action node and the trigger: a folder picked from the mailbox's tree or typed as an ID / well-known name; a
 * message picked from the mailbox's recent messages, typed as a Graph ID, or pasted as an Outlook on the web link.
 */
import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeParameterResourceLocator,
	type INodeProperties,
} from 'n8n-workflow';

import { WELL_KNOWN_FOLDERS } from './folders';

/** The value of a resource locator, or of the plain string that workflows saved before the picker held. */
export function locatorValue(raw: unknown): string {
	const value = typeof raw === 'object' && raw !== null ? (raw as INodeParameterResourceLocator).value : raw;
	return String(value ?? '').trim();
}

/** A folder: picked from the mailbox's folder tree (subfolders included), or typed as an ID / well-known name. */
export function folderLocator(overrides: Partial<INodeProperties>): INodeProperties {
	return {
		displayName: 'Folder',
		name: 'folder',
		type: 'resourceLocator',
		default: { mode: 'list', value: 'inbox', cachedResultName: 'Inbox' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'searchFolders', searchable: true },
			},
			{
				displayName: 'ID or Well-Known Name',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. inbox, sentitems or AAMkAGI2...',
			},
		],
		description: `Folder of the mailbox. Well-known names: ${WELL_KNOWN_FOLDERS.map((f) => f.value).join(', ')}.`,
		...overrides,
	} as INodeProperties;
}

/** The folder an item's locator names: '' means the whole mailbox where the operation allows it. */
export function folderValue(this: IExecuteFunctions, name: string, itemIndex: number, required: boolean): string {
	const value = locatorValue(this.getNodeParameter(name, itemIndex, ''));
	if (!value && required) {
		throw new NodeOperationError(this.getNode(), 'No folder chosen', {
			itemIndex,
			description: 'Pick a folder from the list or enter a folder ID or well-known name such as inbox.',
		});
	}
	return value;
}

/** Outlook on the web links carry the item either as `?ItemID=` (Graph's webLink) or as a `/id/<id>` path segment. */
const OWA_URL = /^https?:\/\/[^/]+\/(?:owa\/|mail\/)/i;

export const messageLocator: INodeProperties = {
	displayName: 'Message',
	// The parameter keeps its old name and also accepts a plain string: workflows saved before the picker
	// stored the ID as text (see messageIdValue).
	name: 'messageId',
	type: 'resourceLocator',
	required: true,
	default: { mode: 'list', value: '' },
	description: 'The message to act on: pick it, enter its Graph ID, or paste its Outlook on the web link',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a message...',
			typeOptions: { searchListMethod: 'searchMessages', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. AAMkADU3MjE1... (the id field of Get Many)',
		},
		{
			displayName: 'By URL',
			name: 'url',
			type: 'string',
			placeholder: 'e.g. https://outlook.office.com/mail/inbox/id/AAQkADU3...',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^https?://[^/]+/(owa/|mail/).*((ItemID=)|(/id/)).+',
						errorMessage: 'Not an Outlook on the web message link (…/mail/…/id/… or …/owa/?ItemID=…)',
					},
				},
			],
		},
	],
};

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/**
 * The Graph ID inside an Outlook on the web link, or undefined when the text is not such a link. OWA writes
 * the EWS form of the ID (standard base64: '+' and '/'); Graph's REST form uses '-' and '_' in their place.
 */
export function messageIdFromUrl(url: string): string | undefined {
	const text = url.trim();
	if (!OWA_URL.test(text)) return undefined;
	let raw: string | undefined;
	try {
		const parsed = new URL(text);
		for (const [key, value] of parsed.searchParams) if (key.toLowerCase() === 'itemid' && value) raw = value;
		if (!raw) {
			const match = /\/id\/([^/?#]+)/.exec(parsed.pathname);
			if (match) raw = safeDecode(match[1]);
		}
	} catch {
		return undefined;
	}
	if (!raw) return undefined;
	return raw.replace(/\+/g, '_').replace(/\//g, '-');
}

/**
 * The message ID of an item: the resource locator's value, a pasted OWA link resolved to its ID, or the plain
 * string that workflows saved before the picker existed.
 */
export function messageIdValue(this: IExecuteFunctions, itemIndex: number, name = 'messageId'): string {
	const raw = this.getNodeParameter(name, itemIndex, '') as INodeParameterResourceLocator | string;
	const isLocator = typeof raw === 'object' && raw !== null;
	const mode = isLocator ? raw.mode : undefined;
	const value = String(isLocator ? (raw.value ?? '') : (raw ?? '')).trim();
	if (!value) {
		throw new NodeOperationError(this.getNode(), 'No message chosen in "Message"', {
			itemIndex,
			description:
				'Pick a message from the list, enter its ID (the id field that Get Many returns), or paste its Outlook on the web link.',
		});
	}
	if (mode === 'url' || (mode === undefined && /^https?:\/\//i.test(value))) {
		const id = messageIdFromUrl(value);
		if (!id) {
			throw new NodeOperationError(this.getNode(), 'The link in "Message" is not an Outlook on the web message link', {
				itemIndex,
				description:
					'Open the message in Outlook on the web and copy the address from the browser (…/mail/…/id/… or …/owa/?ItemID=…), or switch "Message" to By ID.',
			});
		}
		return id;
	}
	return value;
}
