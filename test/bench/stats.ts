/** Medians and spread of repeated runs. */

export interface Summary {
	n: number;
	median: number;
	min: number;
	max: number;
	/** (max - min) / median: how far apart the runs were, relative to the figure. 0 for one run. */
	relativeRange: number;
	values: number[];
}

export function median(values: number[]): number {
	if (!values.length) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(values: number[]): Summary {
	const finite = values.filter((v) => Number.isFinite(v));
	const m = median(finite);
	const min = finite.length ? Math.min(...finite) : NaN;
	const max = finite.length ? Math.max(...finite) : NaN;
	return {
		n: finite.length,
		median: m,
		min,
		max,
		relativeRange: finite.length > 1 && m !== 0 ? (max - min) / Math.abs(m) : 0,
		values: finite,
	};
}
