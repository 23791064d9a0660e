/**
 * Binary input items as n8n holds them in filesystem binary mode: the bytes are on disk under the user
 * folder and the item carries only a reference (`id`), so nodes must stream or read them through n8n's helpers.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { HARNESS_WORKFLOW_ID } from './engine';
import { ensureEnvironment } from './environment';

export interface BinaryItemOptions {
	/** Binary property name (n8n's default is 'data'). */
	property?: string;
	fileName?: string;
	mimeType?: string;
	json?: IDataObject;
	/** One of: */
	buffer?: Buffer;
	filePath?: string;
	/** Deterministic pseudo-random content of this many MiB (fractions allowed), generated as a stream. */
	sizeMb?: number;
	/** Exact size in bytes, generated like sizeMb. */
	sizeBytes?: number;
}

/** The bytes `sizeBytes`/`sizeMb` generate, for comparing what arrived at the emulator. */
export function patternBytes(size: number, offset = 0): Buffer {
	const out = Buffer.alloc(size);
	for (let i = 0; i < size; i++) out[i] = ((offset + i) * 31 + ((offset + i) >> 8)) & 0xff;
	return out;
}

function patternStream(size: number): Readable {
	const chunk = 1024 * 1024;
	let sent = 0;
	return new Readable({
		read() {
			if (sent >= size) {
				this.push(null);
				return;
			}
			const length = Math.min(chunk, size - sent);
			this.push(patternBytes(length, sent));
			sent += length;
		},
	});
}

export function sha256(buffer: Buffer): string {
	return createHash('sha256').update(buffer).digest('hex');
}

/** Stores the content with n8n's BinaryDataService and returns an item referencing it. */
export async function binaryItem(options: BinaryItemOptions): Promise<INodeExecutionData> {
	await ensureEnvironment();
	const fileName = options.fileName ?? (options.filePath ? basename(options.filePath) : 'file.bin');
	const mimeType = options.mimeType ?? 'application/octet-stream';
	let content: Buffer | Readable;
	if (options.buffer) content = options.buffer;
	else if (options.filePath) content = createReadStream(options.filePath);
	else {
		const size = options.sizeBytes ?? Math.round((options.sizeMb ?? 1) * 1024 * 1024);
		content = patternStream(size);
	}
	const metadata: IBinaryData = {
		data: '',
		mimeType,
		fileName,
		fileExtension: extname(fileName).replace(/^\./, '') || undefined,
	};
	const stored = await Container.get(BinaryDataService).store(
		{ type: 'execution', workflowId: HARNESS_WORKFLOW_ID, executionId: 'harness-input' },
		content,
		metadata,
	);
	return { json: options.json ?? {}, binary: { [options.property ?? 'data']: stored } };
}

/** Reads back a binary property of an output item (downloads written with prepareBinaryData). */
export async function readBinary(binary: IBinaryData): Promise<Buffer> {
	await ensureEnvironment();
	return await Container.get(BinaryDataService).getAsBuffer(binary);
}
