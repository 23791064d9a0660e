/** mailFolders: list (top level), get by well-known name or id, childFolders list and create. */
import type { EmuResponse } from '../core/context';
import type { MailboxStore, MailFolder } from '../core/state';
import { compileFilter, type FilterModel } from './filter';
import { jsonBody, odataContext, queryString, type MailboxCall } from './call';
import { badRequest, GraphFault } from './errors';
import { parseSelect, parseTop } from './query';
import { childFolders, createFolder, findFolder, messagesIn, rootFolderId } from './store';

/** $filter on mailFolders: the properties folder pickers filter on. */
function folderModel(store: MailboxStore): FilterModel<MailFolder> {
	return {
		typeName: 'microsoft.graph.mailFolder',
		scalars: {
			id: { type: 'string', get: (f) => f.id },
			displayName: { type: 'string', get: (f) => f.displayName },
			parentFolderId: { type: 'string', get: (f) => f.parentFolderId ?? rootFolderId(store) },
			childFolderCount: { type: 'number', get: (f) => childFolders(store, f.id).length },
			totalItemCount: { type: 'number', get: (f) => messagesIn(store, f.id).length },
			unreadItemCount: { type: 'number', get: (f) => messagesIn(store, f.id).filter((m) => !m.isRead).length },
			isHidden: { type: 'bool', get: () => false },
		},
		collections: {},
		enums: {},
	};
}
import { folderJson } from './serialize';

export function resolveFolder(call: MailboxCall, ref: string, parent?: MailFolder): MailFolder {
	const f = findFolder(call.store, ref);
	if (!f || (parent && f.parentFolderId !== parent.id))
		throw new GraphFault(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
	return f;
}

export function listFolders(call: MailboxCall, parent: MailFolder | undefined): EmuResponse {
	const settings = call.ctx.state.settings;
	const select = parseSelect(call.query, 'mailFolder');
	const top = parseTop(call.query, settings.pageSizeMax) ?? settings.pageSizeDefault;
	const rawSkip = call.query.get('$skip');
	if (rawSkip !== null && !/^\d+$/.test(rawSkip))
		throw badRequest(`Invalid value '${rawSkip}' for $skip query option found.`);
	const skip = Number(rawSkip ?? 0);
	const rawFilter = call.query.get('$filter');
	const filter = rawFilter !== null ? compileFilter(rawFilter, folderModel(call.store)) : undefined;
	const all = childFolders(call.store, parent?.id ?? rootFolderId(call.store))
		.filter((f) => !filter || filter.test(f))
		.sort((a, b) => a.displayName.localeCompare(b.displayName));
	const tail = parent ? `mailFolders('${parent.id}')/childFolders` : 'mailFolders';
	const body: Record<string, unknown> = {
		'@odata.context': odataContext(call, tail + (select ? `(${select.join(',')})` : '')),
	};
	if (/^true$/i.test(call.query.get('$count') ?? '')) body['@odata.count'] = all.length;
	body.value = all.slice(skip, skip + top).map((f) => folderJson(call.store, f, select));
	if (skip + top < all.length) {
		const next = [...call.query.entries()].filter(([k]) => k !== '$skip');
		next.push(['$skip', String(skip + top)]);
		body['@odata.nextLink'] = `${call.baseUrl}${call.rawPath}?${queryString(next)}`;
	}
	return { status: 200, body };
}

export function getFolder(call: MailboxCall, folder: MailFolder): EmuResponse {
	const select = parseSelect(call.query, 'mailFolder');
	return {
		status: 200,
		body: { '@odata.context': odataContext(call, 'mailFolders/$entity'), ...folderJson(call.store, folder, select) },
	};
}

export function createChildFolder(call: MailboxCall, parent: MailFolder | undefined): EmuResponse {
	const { displayName } = jsonBody<{ displayName?: unknown }>(call);
	if (typeof displayName !== 'string' || !displayName.trim())
		throw badRequest("The 'displayName' property is required.", 'ErrorInvalidParameter');
	const parentId = parent?.id ?? rootFolderId(call.store);
	if (childFolders(call.store, parentId).some((f) => f.displayName.toLowerCase() === displayName.toLowerCase())) {
		throw new GraphFault(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
	}
	const folder = createFolder(call.store, displayName, parent?.id);
	const tail = parent ? `mailFolders('${parent.id}')/childFolders/$entity` : 'mailFolders/$entity';
	return { status: 201, body: { '@odata.context': odataContext(call, tail), ...folderJson(call.store, folder) } };
}
