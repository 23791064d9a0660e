/** The trigger's Graph requests, all through the package transport (n8n's authentication, retries, errors). */
import type { IDataObject, IPollFunctions } from 'n8n-workflow';

import { folderPath, graphRequest, messagePath, userPath } from '../transport';
import { DELTA_SELECT } from './filters';

export interface DeltaPage {
	value?: IDataObject[];
	'@odata.nextLink'?: string;
	'@odata.deltaLink'?: string;
}

/**
 * One page of the folder's delta. `link` is '' for a new round (baseline or after a reset), else the nextLink
 * or deltaLink Graph gave, sent back verbatim. changeType=created: Exchange reports mail moved into the folder
 * as created there (it gets a new id) and leaves out read/flag changes, our own post-actions included.
 */
export async function readDeltaPage(
	this: IPollFunctions,
	mailbox: string,
	folder: string,
	link: string,
	pageSize: number,
): Promise<DeltaPage> {
	const headers = { Prefer: `odata.maxpagesize=${pageSize}` };
	const errorHint = `(Watched folder "${folder.length > 80 ? `${folder.slice(0, 77)}...` : folder}" under "Folders to Watch".)`;
	if (link) {
		return (await graphRequest.call(this, {
			method: 'GET',
			path: link,
			headers,
			mailbox,
			idempotent: true,
			errorHint,
		})) as DeltaPage;
	}
	return (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${folderPath(folder)}/messages/delta`,
		qs: { $select: DELTA_SELECT.join(','), changeType: 'created' },
		headers,
		mailbox,
		idempotent: true,
		errorHint,
	})) as DeltaPage;
}

/** Newest messages of a folder, for "Fetch test event" (no state involved). */
export async function readNewest(
	this: IPollFunctions,
	mailbox: string,
	folder: string,
	top: number,
): Promise<IDataObject[]> {
	const page = (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${folderPath(folder)}/messages`,
		qs: { $select: DELTA_SELECT.join(','), $orderby: 'receivedDateTime desc', $top: top },
		mailbox,
		idempotent: true,
	})) as { value?: IDataObject[] };
	return page.value ?? [];
}

export async function readMessage(
	this: IPollFunctions,
	mailbox: string,
	id: string,
	select?: string[],
): Promise<IDataObject> {
	return (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}`,
		qs: select ? { $select: select.join(',') } : undefined,
		mailbox,
		idempotent: true,
	})) as IDataObject;
}

export async function listAttachments(this: IPollFunctions, mailbox: string, id: string): Promise<IDataObject[]> {
	const page = (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}/attachments`,
		qs: { $select: 'id,name,contentType,size,isInline' },
		mailbox,
		idempotent: true,
	})) as { value?: IDataObject[] };
	return page.value ?? [];
}

export async function readAttachment(
	this: IPollFunctions,
	mailbox: string,
	id: string,
	attachmentId: string,
): Promise<IDataObject> {
	return (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}/attachments/${encodeURIComponent(attachmentId)}`,
		mailbox,
		idempotent: true,
	})) as IDataObject;
}

export async function markAsRead(this: IPollFunctions, mailbox: string, id: string): Promise<void> {
	await graphRequest.call(this, {
		method: 'PATCH',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}`,
		body: { isRead: true },
		mailbox,
		idempotent: true,
	});
}

/** Returns the moved message (Exchange gives it a new id in the destination folder). */
export async function moveMessage(
	this: IPollFunctions,
	mailbox: string,
	id: string,
	destination: string,
): Promise<IDataObject> {
	return (await graphRequest.call(this, {
		method: 'POST',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}/move`,
		body: { destinationId: destination },
		mailbox,
		idempotent: false,
	})) as IDataObject;
}
