import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * Binary-store reads stay small: a stream asked for chunk-size reads allocates a fresh chunk-size buffer per read
 * and reads one ahead, and those buffers pile up as garbage between collections. 320 KiB divides the chunk size,
 * so no read straddles two chunks, and keeps the reads per chunk few (12).
 */
export const STREAM_READ_BYTES = 320 * 1024;

/**
 * Cuts a stream into exact chunk-size pieces in ONE buffer, refilled for every chunk. The caller must be done
 * with a chunk (its PUT answered) before it asks for the next one, which overwrites it; the upload loop awaits
 * each PUT, and a retried PUT re-sends the same, unchanged bytes.
 */
export async function* reusedChunks(stream: Readable, chunkSize: number): AsyncGenerator<Buffer> {
	const chunk = Buffer.allocUnsafeSlow(chunkSize);
	let filled = 0;
	for await (const piece of stream) {
		let data = piece as Buffer;
		while (data.length) {
			const copied = data.copy(chunk, filled);
			filled += copied;
			data = data.subarray(copied);
			if (filled === chunkSize) {
				yield chunk;
				filled = 0;
			}
		}
	}
	if (filled) yield chunk.subarray(0, filled);
}

/**
 * Filesystem binary mode: reads n8n's file for the item straight into ONE chunk buffer, refilled for every chunk
 * (same contract as reusedChunks). Unlike a stream, this allocates nothing per read, so no garbage builds up.
 */
export async function* fileChunks(file: FileHandle, chunkSize: number): AsyncGenerator<Buffer> {
	const chunk = Buffer.allocUnsafeSlow(chunkSize);
	try {
		for (let position = 0; ; position += chunkSize) {
			let filled = 0;
			while (filled < chunkSize) {
				const { bytesRead } = await file.read(chunk, filled, chunkSize - filled, position + filled);
				if (!bytesRead) break;
				filled += bytesRead;
			}
			if (filled) yield filled === chunkSize ? chunk : chunk.subarray(0, filled);
			if (filled < chunkSize) return;
		}
	} finally {
		await file.close();
	}
}
