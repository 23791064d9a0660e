import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';

import { folderPath, graphRequestAllItems, userPath } from '../transport';
import { WELL_KNOWN_FOLDERS } from '../actions/common/descriptions';

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

export async function getFolders(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return (await searchFolders.call(this)).results;
}
