import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { folderPath, graphRequest, graphRequestAllItems, odataString, userPath } from '../transport';
import { WELL_KNOWN_FOLDERS } from '../helpers/folders';

interface FolderEntry {
	id: string;
	path: string;
}

/** Graph lists only one level per request, so subfolders are found by walking childFolders breadth first. */
export async function allFolders(
	this: ILoadOptionsFunctions,
	mailbox: string,
	maxFolders = 2000,
): Promise<FolderEntry[]> {
	const base = userPath.call(this, mailbox);
	const out: FolderEntry[] = [];
	let level: Array<{ url: string; prefix: string }> = [{ url: `${base}/mailFolders`, prefix: '' }];
	while (level.length && out.length < maxFolders) {
		const next: typeof level = [];
		for (const { url, prefix } of level) {
			const folders = (await graphRequestAllItems.call(this, {
				method: 'GET',
				path: url,
				qs: { $select: 'id,displayName,childFolderCount', $top: 250 },
				mailbox,
			})) as IDataObject[];
			for (const folder of folders) {
				const path = prefix ? `${prefix} / ${folder.displayName as string}` : (folder.displayName as string);
				out.push({ id: folder.id as string, path });
				if (Number(folder.childFolderCount ?? 1) > 0) {
					next.push({ url: `${base}${folderPath(folder.id)}/childFolders`, prefix: path });
				}
			}
		}
		level = next;
	}
	return out.sort((a, b) => a.path.localeCompare(b.path));
}

function mailboxOf(this: ILoadOptionsFunctions): string {
	return String(this.getCurrentNodeParameter('mailbox') ?? '')
		.split(',')[0]
		.trim();
}

export async function searchFolders(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const mailbox = mailboxOf.call(this);
	const wellKnown = WELL_KNOWN_FOLDERS.map((f) => ({ name: `${f.name} (well-known)`, value: f.value }));
	// An expression (e.g. {{ $json.mailbox }}) has no value at design time: offer what every mailbox has.
	if (!mailbox || mailbox.startsWith('=')) return { results: wellKnown };
	const folders = await allFolders.call(this, mailbox);
	const needle = filter?.toLowerCase().trim();
	const results = [...wellKnown, ...folders.map((f) => ({ name: f.path, value: f.id }))].filter(
		(r) => !needle || r.name.toLowerCase().includes(needle),
	);
	return { results };
}

/** Messages offered per page of the message picker; the editor asks for more with the pagination token. */
export const MESSAGE_PAGE_SIZE = 50;

function pickerDate(value: unknown): string {
	const text = typeof value === 'string' ? value : '';
	// "2026-11-30 14:05" (UTC, as Graph sends it) reads at a glance and still fits the picker's width.
	return text ? `${text.slice(0, 10)} ${text.slice(11, 16)}` : '';
}

/**
 * The message picker: the mailbox's newest messages (every folder), "subject — sender · date", with a search
 * over subject and sender. The search is an OData filter, not $search, so results keep the newest-first order
 * (Graph refuses $orderby with $search); the sort property leads the filter, as Exchange requires.
 */
export async function searchMessages(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const mailbox = mailboxOf.call(this);
	if (!mailbox || mailbox.startsWith('=')) return { results: [] };
	let page: IDataObject;
	if (paginationToken) {
		page = (await graphRequest.call(this, { method: 'GET', path: paginationToken, mailbox })) as IDataObject;
	} else {
		const qs: IDataObject = {
			$select: 'id,subject,from,receivedDateTime,webLink',
			$orderby: 'receivedDateTime desc',
			$top: MESSAGE_PAGE_SIZE,
		};
		const needle = filter?.trim();
		if (needle) {
			const text = `'${odataString(needle)}'`;
			qs.$filter =
				`receivedDateTime ge 1900-01-01T00:00:00Z and (contains(subject,${text})` +
				` or contains(from/emailAddress/name,${text}) or contains(from/emailAddress/address,${text}))`;
		}
		page = (await graphRequest.call(this, {
			method: 'GET',
			path: `${userPath.call(this, mailbox)}/messages`,
			qs,
			mailbox,
		})) as IDataObject;
	}
	const messages = (page.value as IDataObject[] | undefined) ?? [];
	return {
		results: messages.map((message) => {
			const from = (message.from as { emailAddress?: { name?: string; address?: string } } | undefined)?.emailAddress;
			const sender = from?.name || from?.address || 'unknown sender';
			const subject = (message.subject as string | undefined)?.trim() || '(no subject)';
			const when = pickerDate(message.receivedDateTime);
			return {
				name: `${subject} — ${sender}${when ? ` · ${when}` : ''}`,
				value: message.id as string,
				url: typeof message.webLink === 'string' ? message.webLink : undefined,
			};
		}),
		paginationToken: page['@odata.nextLink'] as string | undefined,
	};
}
