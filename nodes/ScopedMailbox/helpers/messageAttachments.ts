/**
 * A message's attachments for the action node and both triggers alike: every page of the list, each file's raw
 * bytes from `$value` (no base64 JSON to decode, a third less to transfer), the rest named as skipped.
 */
import type {
	IBinaryData,
	IBinaryKeyData,
	IDataObject,
	IExecuteFunctions,
	IPollFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

import { attachmentPath, graphRequest, graphRequestAllItems, messagePath, userPath } from '../transport';

/** Whatever reads mail: an operation, a poll, or a webhook woken by Graph. */
export type MailReader = IExecuteFunctions | IPollFunctions | IWebhookFunctions;

export interface AttachmentDownloadOptions {
	/** Binary property names are `${prefix}0`, `${prefix}1`, … in the order Graph lists the files. */
	prefix: string;
	maxBytes: number;
}

export const DEFAULT_ATTACHMENT_PREFIX = 'attachment_';
export const DEFAULT_MAX_ATTACHMENT_MB = 25;

const FILE_ATTACHMENT = '#microsoft.graph.fileAttachment';

export async function listAttachments(this: MailReader, mailbox: string, messageId: string): Promise<IDataObject[]> {
	return (await graphRequestAllItems.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(messageId)}/attachments`,
		qs: { $select: 'id,name,contentType,size,isInline,lastModifiedDateTime' },
		mailbox,
	})) as IDataObject[];
}

export async function downloadAttachment(
	this: MailReader,
	mailbox: string,
	messageId: string,
	attachment: IDataObject,
): Promise<IBinaryData> {
	const content = (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(messageId)}${attachmentPath(attachment.id as string)}/$value`,
		mailbox,
		responseType: 'buffer',
	})) as Buffer;
	return await this.helpers.prepareBinaryData(
		Buffer.from(content),
		(attachment.name as string) || 'attachment',
		(attachment.contentType as string) || undefined,
	);
}

/** Downloads a message's file attachments within the size limit; the rest are named in `skipped`, with why. */
export async function downloadMessageAttachments(
	this: MailReader,
	mailbox: string,
	messageId: string,
	options: AttachmentDownloadOptions,
): Promise<{ binary: IBinaryKeyData; skipped: IDataObject[] }> {
	const binary: IBinaryKeyData = {};
	const skipped: IDataObject[] = [];
	let index = 0;
	for (const attachment of await listAttachments.call(this, mailbox, messageId)) {
		const type = attachment['@odata.type'] as string | undefined;
		const size = Number(attachment.size ?? 0);
		// Graph names the derived type in a list of the base type; a missing annotation is the common fileAttachment.
		if (type && type !== FILE_ATTACHMENT) {
			skipped.push({ name: attachment.name, size, reason: 'not a file attachment (an item or a reference)' });
			continue;
		}
		if (size > options.maxBytes) {
			skipped.push({ name: attachment.name, size, reason: 'larger than the size limit' });
			continue;
		}
		binary[`${options.prefix}${index++}`] = await downloadAttachment.call(this, mailbox, messageId, attachment);
	}
	return { binary, skipped };
}

/** The shared "Attachment Prefix" and "Max Attachment Size (MB)" options, as the download wants them. */
export function downloadOptions(options: IDataObject): AttachmentDownloadOptions {
	const maxMb = Number(options.maxAttachmentSizeMb ?? DEFAULT_MAX_ATTACHMENT_MB);
	return {
		prefix: String(options.attachmentPrefix ?? '') || DEFAULT_ATTACHMENT_PREFIX,
		maxBytes: Math.floor((Number.isFinite(maxMb) ? maxMb : DEFAULT_MAX_ATTACHMENT_MB) * 1024 * 1024),
	};
}
