/** The trigger's Graph requests, all through the package transport (n8n's authentication, retries, errors). */
import type { IDataObject, IPollFunctions, IWebhookFunctions } from 'n8n-workflow';

/** What reads a watched folder: the polling trigger's poll, or a webhook (an instant trigger woken by Graph). */
export type MailContext = IPollFunctions | IWebhookFunctions;

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
 * as created there; it does not filter out everything else (read-state changes, @removed entries come too), so
 * the trigger decides what is new itself (state.ts, isNewToFolder).
 */
export async function readDeltaPage(
	this: MailContext,
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
	this: MailContext,
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
	this: MailContext,
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

export async function markAsRead(this: MailContext, mailbox: string, id: string): Promise<void> {
	await graphRequest.call(this, {
		method: 'PATCH',
		path: `${userPath.call(this, mailbox)}${messagePath(id)}`,
		body: { isRead: true },
		mailbox,
		idempotent: true,
	});
}

/**
 * Returns the moved message. With the immutable-id preference every request carries, its id is the one it had;
 * without it Exchange would give it a new one and the old id would answer 404.
 */
export async function moveMessage(
	this: MailContext,
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

/**
 * Messages of a folder received in [from, to] (epoch ms), oldest first, one page of up to `top`; `link` continues
 * a previous page. Reads a burst in a few requests instead of one GET per message.
 */
export async function readReceivedBetween(
	this: MailContext,
	mailbox: string,
	folder: string,
	window: { from: number; to: number; top: number; select?: string[] },
	link?: string,
): Promise<{ value: IDataObject[]; next?: string }> {
	const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
	const page = (await graphRequest.call(this, {
		method: 'GET',
		path: link ?? `${userPath.call(this, mailbox)}${folderPath(folder)}/messages`,
		qs: link
			? undefined
			: {
					$filter: `receivedDateTime ge ${iso(window.from)} and receivedDateTime le ${iso(window.to)}`,
					$orderby: 'receivedDateTime asc',
					$top: window.top,
					...(window.select ? { $select: window.select.join(',') } : {}),
				},
		mailbox,
		idempotent: true,
	})) as { value?: IDataObject[]; '@odata.nextLink'?: string };
	return { value: page.value ?? [], next: page['@odata.nextLink'] };
}
