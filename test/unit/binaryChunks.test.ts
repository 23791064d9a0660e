/**
 * The chunkers behind large-attachment uploads refill ONE buffer per chunk. These tests take the bytes of each
 * chunk before asking for the next (as the upload loop does, one awaited PUT per chunk) and check that the file
 * comes out whole, in chunk-size pieces, whatever sizes the underlying reads have.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { STREAM_READ_BYTES, fileChunks, reusedChunks } from '../../nodes/ScopedMailbox/actions/common/binaryChunks';
import { UPLOAD_CHUNK_BYTES } from '../../nodes/ScopedMailbox/actions/common/attachments';

function patterned(size: number): Buffer {
	const data = Buffer.alloc(size);
	for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
	return data;
}

/** Copies every chunk as it arrives: what a PUT would have sent before the next chunk overwrote the buffer. */
async function collect(
	chunks: AsyncIterable<Buffer>,
): Promise<{ sent: Buffer; sizes: number[]; buffers: Set<ArrayBuffer> }> {
	const copies: Buffer[] = [];
	const buffers = new Set<ArrayBuffer>();
	for await (const chunk of chunks) {
		copies.push(Buffer.from(chunk));
		buffers.add(chunk.buffer as ArrayBuffer);
	}
	return { sent: Buffer.concat(copies), sizes: copies.map((c) => c.length), buffers };
}

/** Pieces of irregular sizes, some crossing chunk boundaries, some tiny. */
function unevenStream(data: Buffer): Readable {
	const pieces: Buffer[] = [];
	const sizes = [1, 7000, 333_333, 1_048_576, 17, 4_000_000, 65_536];
	for (let offset = 0, i = 0; offset < data.length; i++) {
		const size = sizes[i % sizes.length];
		pieces.push(data.subarray(offset, offset + size));
		offset += size;
	}
	return Readable.from(pieces);
}

describe('large-attachment chunkers', () => {
	const chunkSize = UPLOAD_CHUNK_BYTES;
	let dir: string;

	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'scoped-mailbox-chunks-'));
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('uses a read size that divides the upload chunk (no read straddles two chunks)', () => {
		expect(chunkSize % STREAM_READ_BYTES).toBe(0);
		expect(chunkSize % (320 * 1024)).toBe(0);
	});

	it.each([
		['a size that is not a multiple of the chunk', 3 * chunkSize + 12_345],
		['an exact multiple of the chunk', 2 * chunkSize],
		['less than one chunk', 1000],
	])('stream fallback re-cuts uneven reads into exact chunks: %s', async (_label, size) => {
		const data = patterned(size);
		const { sent, sizes, buffers } = await collect(reusedChunks(unevenStream(data), chunkSize));
		expect(sent.equals(data)).toBe(true);
		expect(sizes.slice(0, -1).every((s) => s === chunkSize)).toBe(true);
		expect(sizes.reduce((a, b) => a + b, 0)).toBe(size);
		expect(buffers.size).toBe(1);
	});

	it('stream fallback with n8n-sized file-stream reads', async () => {
		const data = patterned(5 * chunkSize + 99);
		const path = join(dir, 'stream.bin');
		await writeFile(path, data);
		const stream = createReadStream(path, { highWaterMark: STREAM_READ_BYTES });
		const { sent, sizes } = await collect(reusedChunks(stream, chunkSize));
		expect(sent.equals(data)).toBe(true);
		expect(sizes).toEqual([chunkSize, chunkSize, chunkSize, chunkSize, chunkSize, 99]);
	});

	it.each([
		['a size that is not a multiple of the chunk', 4 * chunkSize + 1],
		['an exact multiple of the chunk', 3 * chunkSize],
		['an empty file', 0],
	])('file reader reads the file whole into one reused buffer: %s', async (_label, size) => {
		const data = patterned(size);
		const path = join(dir, `file-${size}.bin`);
		await writeFile(path, data);
		const handle = await open(path, 'r');
		const { sent, sizes, buffers } = await collect(fileChunks(handle, chunkSize));
		expect(sent.equals(data)).toBe(true);
		expect(sizes.slice(0, -1).every((s) => s === chunkSize)).toBe(true);
		expect(buffers.size).toBeLessThanOrEqual(1);
		// The reader closed the file when it was done.
		await expect(handle.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow();
	});

	it('file reader closes the file when the upload stops early', async () => {
		const path = join(dir, 'early.bin');
		await writeFile(path, patterned(3 * chunkSize));
		const handle = await open(path, 'r');
		for await (const chunk of fileChunks(handle, chunkSize)) {
			expect(chunk.length).toBe(chunkSize);
			break;
		}
		await expect(handle.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow();
	});
});
