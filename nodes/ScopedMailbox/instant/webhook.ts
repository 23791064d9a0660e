/**
 * What the instant trigger does with a request from Graph, and its activation hooks.
 * - Validation (`?validationToken=`): echoed as text/plain at once, nothing else is done.
 * - Notifications: refused with 403 unless every item carries this node's clientState and one of its
 *   subscriptions; otherwise answered 202 at once (Graph wants 2xx within 3 s), then the new messages are read
 *   through delta and emitted.
 * - Lifecycle events: reauthorizationRequired renews, subscriptionRemoved creates the folder's subscription
 *   again, missed only reads; each then reads what is new. Any notification also renews a subscription that
 *   has less than half its lifetime left, and re-creates one Graph no longer has.
 */
import type {
	IDataObject,
	IHookFunctions,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { assertTriggerCloudSupported } from '../trigger/cloudCheck';
import { asNodeError } from '../trigger/errors';
import { readNewMessages, type InstantContext } from './drain';
import { forgetLane, inLane, newestStaticData, rememberLane } from './lane';
import {
	createSubscription,
	deleteSubscription,
	loadInstant,
	newClientState,
	renewSubscription,
	RENEW_WHEN_LEFT_MS,
	sameSecret,
	saveInstant,
	subscriptionExists,
	watched,
	type FolderSubscription,
	type InstantState,
} from './subscriptions';

const LOG = 'Scoped Mailbox Instant Trigger:';

function laneKey(ctx: InstantContext): string {
	return `${ctx.getWorkflow().id ?? ''}|${ctx.getNode().id ?? ctx.getNode().name}`;
}

function urls(ctx: IHookFunctions): { notificationUrl: string; lifecycleUrl: string } {
	const notificationUrl = ctx.getNodeWebhookUrl('default') ?? '';
	const lifecycleUrl = ctx.getNodeWebhookUrl('setup') ?? '';
	return { notificationUrl, lifecycleUrl };
}

// ---- activation ----

/** True when every watched folder has a live subscription to the current webhook URL (renewed if due). */
export async function checkExists(this: IHookFunctions): Promise<boolean> {
	forgetLane(laneKey(this));
	const staticData = this.getWorkflowStaticData('node');
	const state = loadInstant(staticData);
	if (!state) return false;
	const { mailbox, folders } = watched.call(this);
	const current = urls(this);
	if (state.notificationUrl !== current.notificationUrl || state.lifecycleUrl !== current.lifecycleUrl) {
		this.logger.info(
			`${LOG} the webhook URL changed (now ${current.notificationUrl}); the subscriptions are created again`,
		);
		return false;
	}
	const byFolder = new Map(state.subscriptions.map((s) => [s.folder, s]));
	if (folders.some((f) => !byFolder.has(f)) || state.subscriptions.length !== folders.length) return false;
	for (const sub of state.subscriptions) {
		if (!(await subscriptionExists.call(this, mailbox, sub.id))) {
			this.logger.warn(
				`${LOG} subscription ${sub.id} for folder ${sub.folder} is gone from Microsoft Graph; creating it again`,
			);
			return false;
		}
		if (sub.expiresAt - Date.now() < RENEW_WHEN_LEFT_MS) await renewSubscription.call(this, mailbox, sub);
	}
	saveInstant(staticData, state);
	return true;
}

/** Creates one subscription per watched folder (old ones of this node are deleted first), then the baseline. */
export async function create(this: IHookFunctions): Promise<boolean> {
	await assertTriggerCloudSupported.call(this);
	forgetLane(laneKey(this));
	const staticData = this.getWorkflowStaticData('node');
	const { mailbox, folders, keys } = watched.call(this);
	const old = loadInstant(staticData);
	for (const sub of old?.subscriptions ?? []) {
		try {
			await deleteSubscription.call(this, mailbox, sub.id);
		} catch (error) {
			this.logger.warn(`${LOG} could not delete old subscription ${sub.id}: ${(error as Error).message}`);
		}
	}
	const state: InstantState = {
		v: 1,
		clientState: newClientState(),
		...urls(this),
		subscriptions: [],
		gen: (old?.gen ?? 0) + 1,
	};
	if (!state.notificationUrl.startsWith('https://')) {
		this.logger.warn(
			`${LOG} the webhook URL ${state.notificationUrl} is not HTTPS; Microsoft Graph accepts only HTTPS notification URLs (set WEBHOOK_URL)`,
		);
	}
	// The baseline comes first: mail that arrives from here on is new, whether or not its notification is
	// answered before n8n has saved this activation. "Include Unread Existing Mail" leaves the baseline to the
	// first notification instead, which can emit those messages (activation cannot).
	// Folders already read before (a re-activation) keep their cursor: the first notification then brings the mail
	// that came while the workflow was inactive, as the polling trigger's next poll would.
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const cursors = (staticData.scopedMailbox as IDataObject | undefined)?.folders as IDataObject | undefined;
	const fresh = keys.some((key) => (cursors?.[key] as IDataObject | undefined)?.phase !== 'live');
	if (this.getMode() !== 'manual' && options.includeUnreadExisting !== true && fresh) await readNewMessages.call(this);
	// Saved before the first create: Graph validates the URL while the create is under way.
	saveInstant(staticData, state);
	try {
		for (const folder of folders) {
			const sub = await createSubscription.call(this, mailbox, folder, state);
			state.subscriptions.push(sub);
			saveInstant(staticData, state);
			// Notifications can come before n8n has saved the activation: this process answers them from here.
			rememberLane(laneKey(this), staticData);
			this.logger.info(
				`${LOG} subscribed to new mail in ${mailbox} folder ${folder} (subscription ${sub.id}, expires ${new Date(sub.expiresAt).toISOString()})`,
			);
		}
	} catch (error) {
		for (const sub of state.subscriptions) await deleteSubscription.call(this, mailbox, sub.id).catch(() => {});
		saveInstant(staticData, undefined);
		forgetLane(laneKey(this));
		throw asNodeError(this.getNode(), error);
	}
	return true;
}

export async function remove(this: IHookFunctions): Promise<boolean> {
	forgetLane(laneKey(this));
	const staticData = this.getWorkflowStaticData('node');
	const state = loadInstant(staticData);
	if (!state) return true;
	let mailbox: string | undefined;
	try {
		mailbox = watched.call(this).mailbox;
	} catch {
		mailbox = undefined;
	}
	for (const sub of state.subscriptions) {
		try {
			const existed = await deleteSubscription.call(this, mailbox ?? '', sub.id);
			this.logger.info(
				existed
					? `${LOG} deleted subscription ${sub.id}`
					: `${LOG} subscription ${sub.id} was already gone from Microsoft Graph`,
			);
		} catch (error) {
			this.logger.warn(`${LOG} could not delete subscription ${sub.id}: ${(error as Error).message}`);
		}
	}
	saveInstant(staticData, undefined);
	return true;
}

// ---- requests from Graph ----

interface NotificationItem {
	subscriptionId?: unknown;
	clientState?: unknown;
	lifecycleEvent?: unknown;
	changeType?: unknown;
}

export async function receive(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = this.getRequestObject();
	const res = this.getResponseObject();
	const token = req.query?.validationToken;
	if (typeof token === 'string') {
		res.status(200).type('text/plain').send(token);
		return { noWebhookResponse: true };
	}
	const staticData = this.getWorkflowStaticData('node');
	// A subscription created by a request moments ago may not be in the saved copy yet.
	const state = loadInstant(newestStaticData(laneKey(this), staticData));
	const body = this.getBodyData() as { value?: unknown };
	const items = Array.isArray(body?.value) ? (body.value as NotificationItem[]) : [];
	const ours = new Set(state?.subscriptions.map((s) => s.id));
	const authentic =
		!!state &&
		items.length > 0 &&
		items.every((i) => sameSecret(state.clientState, i.clientState) && ours.has(String(i.subscriptionId)));
	if (!authentic) {
		// Not from Graph for this node (or for a subscription it no longer has): nothing starts.
		this.logger.warn(`${LOG} refused a request to ${this.getWebhookName()} without this node's clientState`);
		res.status(403).end();
		return { noWebhookResponse: true };
	}
	res.status(202).end();
	const lifecycle = items.filter((i) => typeof i.lifecycleEvent === 'string');
	let emitted: INodeExecutionData[] = [];
	try {
		const run = await inLane(laneKey(this), staticData, lifecycle.length === 0, async () => {
			const current = loadInstant(staticData);
			if (!current) return [];
			if (lifecycle.length) await handleLifecycle.call(this, current, lifecycle);
			await keepAlive.call(this, current);
			saveInstant(staticData, current);
			return await readNewMessages.call(this);
		});
		emitted = run.value ?? [];
	} catch (error) {
		// Graph has its 202 already; nothing was taken, so the next notification (or lifecycle event) reads it again.
		this.logger.warn(`${LOG} reading after a notification failed: ${(error as Error).message}`);
		return { noWebhookResponse: true };
	}
	return emitted.length ? { noWebhookResponse: true, workflowData: [emitted] } : { noWebhookResponse: true };
}

async function handleLifecycle(this: IWebhookFunctions, state: InstantState, events: NotificationItem[]) {
	const { mailbox } = watched.call(this);
	for (const event of events) {
		const sub = state.subscriptions.find((s) => s.id === event.subscriptionId);
		if (!sub) continue;
		switch (event.lifecycleEvent) {
			case 'reauthorizationRequired': {
				const outcome = await renewSubscription.call(this, mailbox, sub);
				if (outcome === 'gone') await recreate.call(this, mailbox, state, sub, 'was gone when it was to be renewed');
				else this.logger.info(`${LOG} renewed subscription ${sub.id} until ${new Date(sub.expiresAt).toISOString()}`);
				break;
			}
			case 'subscriptionRemoved':
				await recreate.call(this, mailbox, state, sub, 'was removed by Microsoft Graph');
				break;
			case 'missed':
				this.logger.info(`${LOG} Graph reports missed notifications for ${sub.folder}; catching up through delta`);
				break;
			default:
				this.logger.info(`${LOG} ignored lifecycle event ${String(event.lifecycleEvent)}`);
		}
	}
}

/** Renews what is past half its lifetime; a subscription Graph no longer has is created again. */
async function keepAlive(this: IWebhookFunctions, state: InstantState) {
	const { mailbox } = watched.call(this);
	for (const sub of [...state.subscriptions]) {
		if (sub.expiresAt - Date.now() >= RENEW_WHEN_LEFT_MS) continue;
		const outcome = await renewSubscription.call(this, mailbox, sub);
		if (outcome === 'gone') await recreate.call(this, mailbox, state, sub, 'was gone when it was to be renewed');
		else this.logger.info(`${LOG} renewed subscription ${sub.id} until ${new Date(sub.expiresAt).toISOString()}`);
	}
}

async function recreate(
	this: IWebhookFunctions,
	mailbox: string,
	state: InstantState,
	sub: FolderSubscription,
	why: string,
) {
	const fresh = await createSubscription.call(this, mailbox, sub.folder, state);
	state.subscriptions = state.subscriptions.map((s) => (s.id === sub.id ? fresh : s));
	this.logger.warn(
		`${LOG} subscription ${sub.id} for folder ${sub.folder} ${why}; created ${fresh.id} and catching up through delta`,
	);
}
