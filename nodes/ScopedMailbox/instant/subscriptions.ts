/**
 * The instant trigger's Graph subscriptions: one per watched folder, for `created` messages, with a secret
 * clientState and a lifecycle URL. Their ids, expiry and the secret live in the workflow's static data.
 */
import { DEFAULT_CREDENTIAL_TYPE, isDelegatedCredential } from '../auth/registry';
import { randomBytes, timingSafeEqual } from 'node:crypto';

import { NodeApiError, NodeOperationError, type IDataObject } from 'n8n-workflow';

import { readConfig } from '../trigger/config';
import { asNodeError } from '../trigger/errors';
import { folderKey } from '../trigger/state';
import { graphRequest, odataString } from '../transport';
import { normaliseMailbox } from '../transport/paths';
import type { InstantContext } from './drain';

/**
 * Asked for at creation and renewal: under the 10,080 minutes (under 7 days) Learn gives for Outlook messages.
 * Graph answers a longer request with the maximum it allows ("can only be N minutes in the future"); the node then
 * asks again for a little less, so a cloud with a shorter maximum (older pages said 4,230) works too.
 */
export const REQUESTED_LIFETIME_MINUTES = 10_070;
/** On any notification, a subscription with less than this much of its lifetime left is renewed. */
export const RENEW_WHEN_LEFT_MS = 3 * 24 * 3600_000;

export interface FolderSubscription {
	id: string;
	folder: string;
	expiresAt: number;
}

export interface InstantState {
	v: 1;
	clientState: string;
	notificationUrl: string;
	lifecycleUrl: string;
	subscriptions: FolderSubscription[];
	/** Save counter: an in-process copy newer than the static data loaded for a request wins. */
	gen: number;
}

export function loadInstant(staticData: IDataObject): InstantState | undefined {
	const raw = staticData.instant as unknown as InstantState | undefined;
	if (!raw || typeof raw !== 'object' || raw.v !== 1 || !Array.isArray(raw.subscriptions)) return undefined;
	return raw;
}

/** n8n saves static data only when a property it wrapped was assigned (docs/decisions.md 13). */
export function saveInstant(staticData: IDataObject, state: InstantState | undefined): void {
	staticData.instant = state as unknown as IDataObject;
}

export function newClientState(): string {
	// 256 bits, base64url: 43 characters, under Graph's 128.
	return randomBytes(32).toString('base64url');
}

export function sameSecret(expected: string, got: unknown): boolean {
	if (typeof got !== 'string') return false;
	const a = Buffer.from(expected);
	const b = Buffer.from(got);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** `users/{mailbox}/mailFolders('{folder}')/messages`, encoded the way a Graph URL path is. */
export function resourceOf(mailbox: string, folder: string): string {
	return `users/${encodeURIComponent(normaliseMailbox(mailbox))}/mailFolders('${encodeURIComponent(odataString(folder))}')/messages`;
}

function statusOf(error: unknown): number | undefined {
	const code = (error as NodeApiError)?.httpCode;
	return code ? Number(code) : undefined;
}

function textOf(error: unknown): string {
	const e = error as NodeApiError;
	return `${e?.message ?? ''} ${e?.description ?? ''}`;
}

const DELEGATED_HINT =
	"Delegated credentials can subscribe only to the signed-in user's own mailbox (Microsoft does not support subscriptions through Mail.Read.Shared): use Entra App (Client Secret or Certificate) or Azure Managed Identity for a shared mailbox.";

function expiry(minutes: number): string {
	return new Date(Date.now() + minutes * 60_000).toISOString();
}

/** Graph's "can only be N minutes in the future": the maximum to ask for instead. */
function maximumFrom(error: unknown): number | undefined {
	const m = /can only be (\d+) minutes/i.exec(textOf(error));
	return m ? Number(m[1]) : undefined;
}

/** A little under Graph's maximum, so the time the request takes cannot push it over. */
function belowMaximum(max: number): number {
	return max - Math.min(5, max * 0.1);
}

export async function createSubscription(
	this: InstantContext,
	mailbox: string,
	folder: string,
	state: InstantState,
): Promise<FolderSubscription> {
	const delegated = isDelegatedCredential(String(this.getNodeParameter('authentication', DEFAULT_CREDENTIAL_TYPE)));
	const post = async (minutes: number) =>
		(await graphRequest.call(this, {
			method: 'POST',
			path: '/subscriptions',
			mailbox,
			// Graph validates both URLs before answering; a retried create could leave a second subscription.
			idempotent: false,
			timeoutMs: 60_000,
			errorHint: delegated ? DELEGATED_HINT : undefined,
			body: {
				changeType: 'created',
				notificationUrl: state.notificationUrl,
				lifecycleNotificationUrl: state.lifecycleUrl,
				resource: resourceOf(mailbox, folder),
				expirationDateTime: expiry(minutes),
				clientState: state.clientState,
			},
		})) as IDataObject;
	let created: IDataObject;
	try {
		try {
			created = await post(REQUESTED_LIFETIME_MINUTES);
		} catch (error) {
			const max = maximumFrom(error);
			if (statusOf(error) !== 400 || !max) throw asNodeError(this.getNode(), error);
			created = await post(belowMaximum(max));
		}
	} catch (error) {
		if (delegated && statusOf(error) === 403) {
			throw new NodeOperationError(this.getNode(), `Could not subscribe to ${mailbox}: ${DELEGATED_HINT}`, {
				description: textOf(error),
			});
		}
		throw asNodeError(this.getNode(), error);
	}
	return { id: String(created.id), folder, expiresAt: Date.parse(String(created.expirationDateTime)) };
}

/** Renews (and so reauthorizes) a subscription. 'gone' when Graph no longer has it. */
export async function renewSubscription(
	this: InstantContext,
	mailbox: string,
	sub: FolderSubscription,
): Promise<'renewed' | 'gone'> {
	const patch = async (minutes: number) =>
		(await graphRequest.call(this, {
			method: 'PATCH',
			path: `/subscriptions/${encodeURIComponent(sub.id)}`,
			mailbox,
			body: { expirationDateTime: expiry(minutes) },
		})) as IDataObject;
	try {
		let renewed: IDataObject;
		try {
			renewed = await patch(REQUESTED_LIFETIME_MINUTES);
		} catch (error) {
			const max = maximumFrom(error);
			if (statusOf(error) !== 400 || !max) throw asNodeError(this.getNode(), error);
			renewed = await patch(belowMaximum(max));
		}
		sub.expiresAt = Date.parse(String(renewed.expirationDateTime));
		return 'renewed';
	} catch (error) {
		if (statusOf(error) === 404) return 'gone';
		throw asNodeError(this.getNode(), error);
	}
}

export async function subscriptionExists(this: InstantContext, mailbox: string, id: string): Promise<boolean> {
	try {
		await graphRequest.call(this, { method: 'GET', path: `/subscriptions/${encodeURIComponent(id)}`, mailbox });
		return true;
	} catch (error) {
		if (statusOf(error) === 404) return false;
		throw asNodeError(this.getNode(), error);
	}
}

/** False when Graph no longer had it. */
export async function deleteSubscription(this: InstantContext, mailbox: string, id: string): Promise<boolean> {
	try {
		await graphRequest.call(this, { method: 'DELETE', path: `/subscriptions/${encodeURIComponent(id)}`, mailbox });
		return true;
	} catch (error) {
		if (statusOf(error) !== 404) throw asNodeError(this.getNode(), error);
		return false;
	}
}

/** The mailbox and folders the node watches now, as the polling code reads them. */
export function watched(this: InstantContext): { mailbox: string; folders: string[]; keys: string[] } {
	const config = readConfig.call(this as never);
	return {
		mailbox: config.mailbox,
		folders: config.folders,
		keys: config.folders.map((f) => folderKey(config.mailbox, f)),
	};
}
