/** The item a new message becomes: simplified or raw Graph JSON, optionally with its files as binary data. */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { SIMPLE_SELECT, simplifyMessage } from '../helpers/simplify';
import { httpStatusOf } from '../helpers/httpStatus';
import { asNodeError } from './errors';
import { downloadMessageAttachments, type AttachmentDownloadOptions } from '../helpers/messageAttachments';
import { readMessage, type MailContext } from './graph';

export interface OutputOptions {
	output: 'simple' | 'raw';
	downloadAttachments: boolean;
	attachments: AttachmentDownloadOptions;
}

const SIMPLE_FIELDS = [...SIMPLE_SELECT, 'body', 'createdDateTime'];

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
		const { binary, skipped } = await downloadMessageAttachments.call(
			this,
			mailbox,
			String(message.id),
			options.attachments,
		);
		if (Object.keys(binary).length) item.binary = binary;
		if (skipped.length) item.json.skippedAttachments = skipped;
	}
	return item;
}
