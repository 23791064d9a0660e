/** The item a new message becomes: simplified or raw Graph JSON, optionally with its files as binary data. */
import type { IBinaryKeyData, IDataObject, INodeExecutionData, IPollFunctions, IWebhookFunctions } from 'n8n-workflow';

import { SIMPLE_SELECT, simplifyMessage } from '../helpers/simplify';
import { httpStatusOf } from '../helpers/httpStatus';
import { asNodeError } from './errors';
import { listAttachments, readAttachment, readMessage } from './graph';

export interface OutputOptions {
	output: 'simple' | 'raw';
	downloadAttachments: boolean;
	attachmentPrefix: string;
	maxAttachmentBytes: number;
}

const SIMPLE_FIELDS = [...SIMPLE_SELECT, 'body', 'createdDateTime'];

/** What reads messages: the polling trigger's poll, or a webhook (an instant trigger woken by Graph). */
export type MailContext = IPollFunctions | IWebhookFunctions;

/** The fields read for an item: the simplified output's, or (raw) everything Graph returns by default. */
export function outputSelect(options: OutputOptions): string[] | undefined {
	return options.output === 'simple' ? SIMPLE_FIELDS : undefined;
}

/** Returns undefined when the message is gone (moved or deleted between the delta read and now). */
export async function buildItem(
	this: MailContext,
	mailbox: string,
	folder: string,
	id: string,
	options: OutputOptions,
): Promise<INodeExecutionData | undefined> {
	let message: IDataObject;
	try {
		message = await readMessage.call(this, mailbox, id, outputSelect(options));
	} catch (error) {
		if (httpStatusOf(error) === 404) return undefined;
		throw asNodeError(this.getNode(), error);
	}
	return await itemFromMessage.call(this, mailbox, folder, message, options);
}

/** The item for a message already read (by a GET or in a list page): output shape, then attachments if asked. */
export async function itemFromMessage(
	this: MailContext,
	mailbox: string,
	folder: string,
	message: IDataObject,
	options: OutputOptions,
): Promise<INodeExecutionData> {
	const json: IDataObject = options.output === 'simple' ? { ...simplifyMessage(message), mailbox, folder } : message;
	const item: INodeExecutionData = { json };
	if (options.downloadAttachments && message.hasAttachments === true) {
		await addAttachments.call(this, mailbox, String(message.id), item, options);
	}
	return item;
}

async function addAttachments(
	this: MailContext,
	mailbox: string,
	id: string,
	item: INodeExecutionData,
	options: OutputOptions,
): Promise<void> {
	const binary: IBinaryKeyData = {};
	const skipped: IDataObject[] = [];
	let index = 0;
	for (const meta of await listAttachments.call(this, mailbox, id)) {
		const name = String(meta.name ?? `attachment_${index}`);
		const size = Number(meta.size ?? 0);
		const isFile = meta['@odata.type'] === '#microsoft.graph.fileAttachment' || meta['@odata.type'] === undefined;
		if (!isFile) {
			skipped.push({ name, size, reason: 'not a file (item or reference attachment)' });
			continue;
		}
		if (size > options.maxAttachmentBytes) {
			skipped.push({ name, size, reason: `larger than the limit of ${options.maxAttachmentBytes} bytes` });
			continue;
		}
		const full = await readAttachment.call(this, mailbox, id, String(meta.id));
		const content = Buffer.from(String(full.contentBytes ?? ''), 'base64');
		binary[`${options.attachmentPrefix}${index}`] = await this.helpers.prepareBinaryData(
			content,
			name,
			String(meta.contentType ?? full.contentType ?? 'application/octet-stream'),
		);
		index++;
	}
	if (index > 0) item.binary = binary;
	if (skipped.length) item.json.skippedAttachments = skipped;
}
