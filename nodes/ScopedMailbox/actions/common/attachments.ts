import type { Readable } from 'node:stream';
import {
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
} from 'n8n-workflow';

import { graphRequest, messagePath, uploadChunk, userPath } from '../../transport';
import { splitList } from './recipients';
import { httpStatusOf } from './errors';

/** Above this a file goes through an upload session (Graph's documented limit for inline attachments is 3 MB). */
export const INLINE_MAX_BYTES = 3 * 1024 * 1024;
/** sendMail / createMessage bodies must stay under 4 MB; base64 inflates by 4/3, so keep the raw total lower. */
export const INLINE_TOTAL_MAX_BYTES = 2.75 * 1024 * 1024;
export const UPLOAD_MAX_BYTES = 150 * 1024 * 1024;
/** Upload-session chunks must be multiples of 320 KiB and below 4 MB: 12 x 320 KiB = 3.75 MiB. */
export const UPLOAD_CHUNK_BYTES = 12 * 320 * 1024;

export interface AttachmentSource {
	property: string;
	fileName: string;
	mimeType: string;
	size: number;
	binary: IBinaryData;
}

export interface AttachmentPlan {
	/** Sent inside the sendMail / reply / forward request (base64). */
	inline: AttachmentSource[];
	/** Added to a draft one by one (small ones as fileAttachment, large ones through an upload session). */
	viaDraft: AttachmentSource[];
}

export async function collectAttachments(
	this: IExecuteFunctions,
	itemIndex: number,
	names: unknown,
): Promise<AttachmentSource[]> {
	const sources: AttachmentSource[] = [];
	for (const property of splitList(names)) {
		const binary = this.helpers.assertBinaryData(itemIndex, property);
		let size: number;
		if (binary.id) {
			size = (await this.helpers.getBinaryMetadata(binary.id)).fileSize;
		} else {
			size = Buffer.byteLength(binary.data, 'base64');
		}
		const fileName = binary.fileName ?? `${property}${binary.fileExtension ? `.${binary.fileExtension}` : ''}`;
		if (size > UPLOAD_MAX_BYTES) {
			throw new NodeOperationError(
				this.getNode(),
				`Attachment "${fileName}" (binary property "${property}") is ${(size / 1048576).toFixed(1)} MB: Microsoft Graph accepts at most 150 MB per attachment`,
				{ itemIndex, description: 'Send a link to the file instead, or split it.' },
			);
		}
		sources.push({ property, fileName, mimeType: binary.mimeType || 'application/octet-stream', size, binary });
	}
	return sources;
}

/** Smallest files go inline first, so a message with one big and several small files makes one upload session. */
export function planAttachments(sources: AttachmentSource[]): AttachmentPlan {
	const plan: AttachmentPlan = { inline: [], viaDraft: [] };
	let total = 0;
	for (const source of [...sources].sort((a, b) => a.size - b.size)) {
		if (source.size <= INLINE_MAX_BYTES && total + source.size <= INLINE_TOTAL_MAX_BYTES) {
			plan.inline.push(source);
			total += source.size;
		} else plan.viaDraft.push(source);
	}
	return plan;
}

export async function fileAttachment(this: IExecuteFunctions, itemIndex: number, source: AttachmentSource) {
	const buffer = await this.helpers.getBinaryDataBuffer(itemIndex, source.property);
	return {
		'@odata.type': '#microsoft.graph.fileAttachment',
		name: source.fileName,
		contentType: source.mimeType,
		contentBytes: buffer.toString('base64'),
	};
}

/** Re-cuts a stream into exact chunk-size pieces (fs streams may hand out shorter reads). */
async function* fixedChunks(stream: Readable, chunkSize: number): AsyncGenerator<Buffer> {
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	for await (const piece of stream) {
		let data = piece as Buffer;
		while (data.length) {
			const take = Math.min(chunkSize - pendingBytes, data.length);
			pending.push(data.subarray(0, take));
			pendingBytes += take;
			data = data.subarray(take);
			if (pendingBytes === chunkSize) {
				yield Buffer.concat(pending);
				pending = [];
				pendingBytes = 0;
			}
		}
	}
	if (pendingBytes) yield Buffer.concat(pending);
}

async function binaryChunks(this: IExecuteFunctions, source: AttachmentSource): Promise<AsyncIterable<Buffer>> {
	if (source.binary.id) {
		// Streamed from n8n's binary store: memory stays at about one chunk whatever the file size.
		const stream = await this.helpers.getBinaryStream(source.binary.id, UPLOAD_CHUNK_BYTES);
		return fixedChunks(stream, UPLOAD_CHUNK_BYTES);
	}
	// In-memory binary mode: the data is already in the item, so slicing it costs nothing more.
	const whole = Buffer.from(source.binary.data, 'base64');
	return (async function* () {
		for (let start = 0; start < whole.length; start += UPLOAD_CHUNK_BYTES) {
			yield whole.subarray(start, start + UPLOAD_CHUNK_BYTES);
		}
	})();
}

export async function uploadLargeAttachment(
	this: IExecuteFunctions,
	mailbox: string,
	draftId: string,
	source: AttachmentSource,
): Promise<void> {
	const session = (await graphRequest.call(this, {
		method: 'POST',
		path: `${userPath.call(this, mailbox)}${messagePath(draftId)}/attachments/createUploadSession`,
		body: {
			AttachmentItem: {
				attachmentType: 'file',
				name: source.fileName,
				size: source.size,
				contentType: source.mimeType,
			},
		},
		mailbox,
		idempotent: false,
	})) as IDataObject;
	const uploadUrl = session.uploadUrl as string;
	let offset = 0;
	for await (const chunk of await binaryChunks.call(this, source)) {
		await uploadChunk.call(this, { uploadUrl, chunk, start: offset, total: source.size, mailbox });
		offset += chunk.length;
	}
	if (offset !== source.size) {
		throw new NodeOperationError(
			this.getNode(),
			`Attachment "${source.fileName}" changed size while uploading (${offset} of ${source.size} bytes)`,
		);
	}
}

/** Adds the attachments a draft needs: small ones as fileAttachment, large ones through upload sessions. */
export async function attachToDraft(
	this: IExecuteFunctions,
	itemIndex: number,
	mailbox: string,
	draftId: string,
	sources: AttachmentSource[],
): Promise<void> {
	for (const source of sources) {
		if (source.size <= INLINE_MAX_BYTES) {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath.call(this, mailbox)}${messagePath(draftId)}/attachments`,
				body: await fileAttachment.call(this, itemIndex, source),
				mailbox,
				idempotent: false,
			});
		} else {
			await uploadLargeAttachment.call(this, mailbox, draftId, source);
		}
	}
}

/**
 * Drafts need Mail.ReadWrite, which a send-only identity (Mail.Send) lacks: say so instead of a bare 403.
 */
export function draftAccessError(this: IExecuteFunctions, error: unknown, mailbox: string, itemIndex: number): Error {
	if (httpStatusOf(error) !== 403) return error as Error;
	return new NodeOperationError(
		this.getNode(),
		`Large attachments need Mail.ReadWrite on mailbox ${mailbox}, and this identity lacks it`,
		{
			itemIndex,
			description:
				'Attachments above 3 MB (or several that together exceed the 4 MB request limit) are uploaded to a draft, and creating a draft needs Mail.ReadWrite, not only Mail.Send. ' +
				`Grant the application Mail.ReadWrite scoped to ${mailbox} (Exchange RBAC for Applications: role "Application Mail.ReadWrite" with a management scope for this mailbox), ` +
				'or for a delegated identity FullAccess on the mailbox. Or send smaller attachments. ' +
				`Graph said: ${(error as Error).message}`,
		},
	);
}

export function describeAttachments(plan: AttachmentPlan): IDataObject[] {
	return [
		...plan.inline.map((s) => ({ name: s.fileName, size: s.size, method: 'inline' })),
		...plan.viaDraft.map((s) => ({
			name: s.fileName,
			size: s.size,
			method: s.size <= INLINE_MAX_BYTES ? 'draft' : 'uploadSession',
		})),
	];
}
