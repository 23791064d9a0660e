/**
 * One wake-up at a time per trigger node in this n8n process. n8n loads a fresh copy of the workflow's static
 * data for every webhook request and saves it when the request is answered, so two notifications handled at
 * once would read the same delta cursor and both emit what it returns. The lane runs them one after another and
 * hands each the state the previous one left (newer than the copy n8n loaded, which may predate that save).
 * While one runs, at most one more waits: the waiting one reads everything that arrived in the meantime, so
 * further notifications of a burst need no read of their own.
 */
import type { IDataObject } from 'n8n-workflow';

import { plainCopy, snapshotOf, STATE_KEYS } from './drain';

interface Lane {
	tail: Promise<void>;
	waiting: number;
	latest?: { gen: number; data: IDataObject };
}

const lanes = new Map<string, Lane>();

function genOf(staticData: IDataObject): number {
	const instant = staticData.instant as IDataObject | undefined;
	return typeof instant?.gen === 'number' ? instant.gen : 0;
}

export interface LaneRun<T> {
	ran: boolean;
	value?: T;
}

/**
 * Runs `fn` in the lane `key` with the newest state in `staticData`. With `coalesce`, returns `{ran: false}` at
 * once when a run is already waiting (lifecycle work never coalesces).
 */
export async function inLane<T>(
	key: string,
	staticData: IDataObject,
	coalesce: boolean,
	fn: () => Promise<T>,
): Promise<LaneRun<T>> {
	let lane = lanes.get(key);
	if (!lane) {
		lane = { tail: Promise.resolve(), waiting: 0 };
		lanes.set(key, lane);
	}
	if (coalesce && lane.waiting > 0) return { ran: false };
	lane.waiting++;
	const previous = lane.tail;
	let release!: () => void;
	lane.tail = new Promise<void>((resolve) => (release = resolve));
	await previous;
	lane.waiting--;
	try {
		if (lane.latest && lane.latest.gen > genOf(staticData)) {
			for (const k of STATE_KEYS) {
				if (lane.latest.data[k] === undefined) delete staticData[k];
				else staticData[k] = plainCopy(lane.latest.data[k]);
			}
		}
		const value = await fn();
		const instant = staticData.instant as IDataObject | undefined;
		if (instant) {
			instant.gen = genOf(staticData) + 1;
			staticData.instant = instant;
		}
		lane.latest = { gen: genOf(staticData), data: snapshotOf(staticData) };
		return { ran: true, value };
	} finally {
		release();
	}
}

/** Activation leaves its state here, so requests it triggers in this process see it before n8n saves it. */
export function rememberLane(key: string, staticData: IDataObject): void {
	let lane = lanes.get(key);
	if (!lane) {
		lane = { tail: Promise.resolve(), waiting: 0 };
		lanes.set(key, lane);
	}
	lane.latest = { gen: genOf(staticData), data: snapshotOf(staticData) };
}

/** Activation and deactivation start over: what this process remembered of the node is dropped. */
export function forgetLane(key: string): void {
	lanes.delete(key);
}

/** The state this process last left for the node when it is newer than `staticData`, else `staticData`. */
export function newestStaticData(key: string, staticData: IDataObject): IDataObject {
	const latest = lanes.get(key)?.latest;
	return latest && latest.gen > genOf(staticData) ? latest.data : staticData;
}
