/** The item a new message becomes: simplified or raw Graph JSON, optionally with its files as binary data. */
import type { IBinaryKeyData, IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { SIMPLE_SELECT, simplifyMessage } from '../actions/common/simplify';
import { httpStatusOf } from '../actions/common/errors';
import { asNodeError } from './errors';
import { listAttachments, readAttachment, readMessage } from './graph';

export interface OutputOptions {
	output: 'simple' | 'raw';
	downloadAttachments: boolean;
	attachmentPrefix: string;
	maxAttachmentBytes: number;
}

const SIMPLE_FIELDS = [...SIMPLE_SELECT, 'body', 'createdDateTime'];

/** Returns undefined when the message is gone (moved or deleted between the delta read and now). */
export async function buildItem(
	this: IPollFunctions,
	mailbox: string,
	folder: string,
	id: string,
	options: OutputOptions,
): Promise<INodeExecutionData | undefined> {
	let message: IDataObject;
	try {
		message = await readMessage.call(this, mailbox, id, options.output === 'simple' ? SIMPLE_FIELDS : undefined);
	} catch (error) {
		if (httpStatusOf(error) === 404) return undefined;
		throw asNodeError(this.getNode(), error);
	}
	const json: IDataObject = options.output === 'simple' ? { ...simplifyMessage(message), mailbox, folder } : message;
	const item: INodeExecutionData = { json };
	if (options.downloadAttachments && message.hasAttachments === true) {
		await addAttachments.call(this, mailbox, id, item, options);
	}
	return item;
}

async function addAttachments(
	this: IPollFunctions,
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
