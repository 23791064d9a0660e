/**
 * Peak resident memory of this process during a measured section, above the level it had just before.
 * Two sources: RSS sampled every few milliseconds, and Linux's own high-water mark (VmHWM, reset through
 * /proc/self/clear_refs), which also catches peaks between samples or during synchronous work.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryPeak {
	baselineBytes: number;
	peakBytes: number;
	/** peakBytes - baselineBytes */
	growthBytes: number;
	samples: number;
	/** Whether the kernel's high-water mark was available (else sampling only). */
	kernelHighWater: boolean;
}

function collectGarbage() {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (gc) {
		gc();
		gc();
	}
}

function resetHighWater(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return true;
	} catch {
		return false;
	}
}

function highWaterBytes(): number | undefined {
	try {
		const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		return match ? Number(match[1]) * 1024 : undefined;
	} catch {
		return undefined;
	}
}

/** Runs `fn` and reports how far this process's RSS rose above its level just before. */
export async function measurePeak<T>(
	fn: () => Promise<T>,
	options: { intervalMs?: number; gcEveryMs?: number } = {},
): Promise<{ result: T; memory: MemoryPeak }> {
	const intervalMs = options.intervalMs ?? 5;
	collectGarbage();
	await new Promise((r) => setTimeout(r, 50));
	collectGarbage();
	const baselineBytes = process.memoryUsage.rss();
	const kernel = resetHighWater();
	let peak = baselineBytes;
	let samples = 0;
	const timer = setInterval(() => {
		samples++;
		const rss = process.memoryUsage.rss();
		if (rss > peak) peak = rss;
	}, intervalMs);
	// Diagnostic only: collecting garbage often shows what is live, as opposed to what waits for the next GC.
	const gc = (globalThis as { gc?: () => void }).gc;
	const collector = options.gcEveryMs && gc ? setInterval(() => gc(), options.gcEveryMs) : undefined;
	let result: T;
	try {
		result = await fn();
	} finally {
		clearInterval(timer);
		if (collector) clearInterval(collector);
	}
	const rss = process.memoryUsage.rss();
	if (rss > peak) peak = rss;
	const hwm = kernel ? highWaterBytes() : undefined;
	if (hwm !== undefined && hwm > peak) peak = hwm;
	return {
		result,
		memory: {
			baselineBytes,
			peakBytes: peak,
			growthBytes: peak - baselineBytes,
			samples,
			kernelHighWater: hwm !== undefined,
		},
	};
}
