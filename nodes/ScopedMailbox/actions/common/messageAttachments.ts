import type { IBinaryKeyData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { attachmentPath, graphRequest, graphRequestAllItems, messagePath, userPath } from '../../transport';

export interface AttachmentDownloadOptions {
	prefix: string;
	maxBytes: number;
}

export async function listAttachments(this: IExecuteFunctions, mailbox: string, messageId: string) {
	return (await graphRequestAllItems.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${messagePath(messageId)}/attachments`,
		qs: { $select: 'id,name,contentType,size,isInline,lastModifiedDateTime' },
		mailbox,
	})) as IDataObject[];
}

export async function downloadAttachment(
	this: IExecuteFunctions,
	mailbox: string,
	messageId: string,
	attachment: IDataObject,
) {
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

/** Downloads a message's file attachments within the size limit; the rest are named in skippedAttachments. */
export async function downloadMessageAttachments(
	this: IExecuteFunctions,
	mailbox: string,
	messageId: string,
	options: AttachmentDownloadOptions,
): Promise<{ binary: IBinaryKeyData; skipped: IDataObject[] }> {
	const binary: IBinaryKeyData = {};
	const skipped: IDataObject[] = [];
	let index = 0;
	for (const attachment of await listAttachments.call(this, mailbox, messageId)) {
		const type = attachment['@odata.type'] as string | undefined;
		if (type && type !== '#microsoft.graph.fileAttachment') {
			skipped.push({ name: attachment.name, reason: 'not a file attachment' });
			continue;
		}
		if (Number(attachment.size ?? 0) > options.maxBytes) {
			skipped.push({ name: attachment.name, size: attachment.size, reason: 'larger than the size limit' });
			continue;
		}
		binary[`${options.prefix}${index++}`] = await downloadAttachment.call(this, mailbox, messageId, attachment);
	}
	return { binary, skipped };
}

export function downloadOptions(options: IDataObject): AttachmentDownloadOptions {
	return {
		prefix: (options.attachmentPrefix as string) || 'attachment_',
		maxBytes: Number(options.maxAttachmentSizeMb ?? 25) * 1024 * 1024,
	};
}
