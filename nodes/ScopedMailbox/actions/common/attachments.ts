import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { NodeOperationError, type IBinaryData, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { graphRequest, messagePath, uploadChunk, userPath } from '../../transport';
import { STREAM_READ_BYTES, fileChunks, reusedChunks } from './binaryChunks';
import { splitList } from './recipients';
import { httpStatusOf } from '../../helpers/httpStatus';

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

/** The file n8n holds the binary data in (filesystem mode), or undefined for other storage modes. */
async function openBinaryFile(this: IExecuteFunctions, binaryDataId: string): Promise<FileHandle | undefined> {
	let path: string;
	try {
		path = this.helpers.getBinaryPath(binaryDataId);
	} catch {
		return undefined;
	}
	// Other modes (S3, database) answer with a storage key, not a file.
	if (typeof path !== 'string' || !isAbsolute(path)) return undefined;
	try {
		return await open(path, 'r');
	} catch {
		// The stream below reports a missing file the way n8n does.
		return undefined;
	}
}

async function binaryChunks(this: IExecuteFunctions, source: AttachmentSource): Promise<AsyncIterable<Buffer>> {
	if (source.binary.id) {
		// From n8n's binary store: memory stays at about one chunk whatever the file size.
		const file = await openBinaryFile.call(this, source.binary.id);
		if (file) return fileChunks(file, UPLOAD_CHUNK_BYTES);
		const stream = await this.helpers.getBinaryStream(source.binary.id, STREAM_READ_BYTES);
		return reusedChunks(stream, UPLOAD_CHUNK_BYTES);
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
