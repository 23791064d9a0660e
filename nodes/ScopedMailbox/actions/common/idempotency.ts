/**
 * "Prevent Duplicate Sends": every message carries an idempotency key as a single-value extended property
 * (a MAPI named property in a GUID namespace of ours), which Exchange keeps on the sender's copy in the Outbox
 * and Sent Items and which Graph can $filter on. Before sending, the mailbox is searched for the key; a
 * message found there (not a draft) is reported as already sent instead of being sent again.
 * Sources and the window this cannot cover: docs/fidelity.md "Sends (i13-sends)", README "Re-runs without duplicates".
 */
import { createHash } from 'node:crypto';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import { graphRequest, odataString, userPath } from '../../transport';

/** Never change: keys written by earlier versions must still be found. */
export const IDEMPOTENCY_PROPERTY_ID =
	'String {8d3c5e71-2f4a-4b9e-a6d0-7c1e9b52f3a8} Name X-ScopedMailbox-Idempotency-Key';

export type SendStatus = 'accepted' | 'alreadySent';

export const sendOptionsField: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Prevent Duplicate Sends',
			name: 'preventDuplicates',
			type: 'boolean',
			default: false,
			description:
				"Whether to tag each message with an idempotency key and, before sending, look for that key in the mailbox: a message found there is reported as already sent (sendStatus 'alreadySent') and not sent again. Costs one extra request per item; messages accepted in the last seconds may not be visible yet.",
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.orderId }}',
			displayOptions: { show: { preventDuplicates: [true] } },
			description:
				'What makes this message unique, e.g. an order or ticket number. Empty: derived from the workflow, node, item position, mailbox, recipients, subject and the UTC date (so a re-run of the same input on the same day is recognised, a repeat on another day is sent).',
		},
	],
};

export interface KeyParts {
	mailbox: string;
	operation: string;
	recipients: string[];
	subject?: string;
	messageId?: string;
}

/** The item's idempotency key, or undefined when the option is off. */
export function idempotencyKeyFor(this: IExecuteFunctions, itemIndex: number, parts: KeyParts): string | undefined {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (options.preventDuplicates !== true) return undefined;
	const custom = String(options.idempotencyKey ?? '').trim();
	if (custom) {
		if (custom.length > 255) {
			throw new NodeOperationError(this.getNode(), 'The Idempotency Key is longer than 255 characters', {
				itemIndex,
				description: 'Use a shorter value (an order or ticket number), or leave it empty for the derived key.',
			});
		}
		return custom;
	}
	const day = new Date().toISOString().slice(0, 10);
	const material = JSON.stringify([
		this.getWorkflow().id ?? '',
		this.getNode().name,
		itemIndex,
		parts.mailbox.trim().toLowerCase(),
		parts.operation,
		[...parts.recipients].map((r) => r.trim().toLowerCase()).sort(),
		parts.subject ?? '',
		parts.messageId ?? '',
		day,
	]);
	return `${day}.${createHash('sha256').update(material).digest('base64url').slice(0, 32)}`;
}

export function keyProperty(key: string): IDataObject[] {
	return [{ id: IDEMPOTENCY_PROPERTY_ID, value: key }];
}

/** A message of the mailbox (not a draft) that carries the key, or undefined. One GET. */
export async function findSentWithKey(
	this: IExecuteFunctions,
	mailbox: string,
	key: string,
	itemIndex: number,
): Promise<IDataObject | undefined> {
	const page = (await graphRequest.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}/messages`,
		qs: {
			$filter: `singleValueExtendedProperties/Any(ep: ep/id eq '${odataString(IDEMPOTENCY_PROPERTY_ID)}' and ep/value eq '${odataString(key)}')`,
			$select: 'id,isDraft,sentDateTime,parentFolderId',
			$top: 10,
		},
		mailbox,
		itemIndex,
		errorHint:
			'Prevent Duplicate Sends reads the mailbox: the credential needs read access to it (Mail.Read or Mail.ReadBasic).',
	})) as { value?: IDataObject[] };
	// A draft with the key is an interrupted large-attachment send: it never went out.
	return (page.value ?? []).find((m) => m.isDraft !== true);
}

const claims = new WeakMap<object, Map<string, Promise<boolean>>>();
const keysOfErrors = new WeakMap<object, string>();

/**
 * Sends the item unless the key is already in the mailbox. Two items of one execution with the same key are
 * serialised: the second waits for the first and is 'alreadySent' when the first was accepted.
 */
export async function sendOnce(
	this: IExecuteFunctions,
	itemIndex: number,
	mailbox: string,
	key: string | undefined,
	send: () => Promise<IDataObject>,
): Promise<IDataObject> {
	if (!key) return { ...(await send()), sendStatus: 'accepted' satisfies SendStatus };
	let perRun = claims.get(this);
	if (!perRun) claims.set(this, (perRun = new Map()));
	const claimKey = `${mailbox.trim().toLowerCase()}|${key}`;
	const earlier = perRun.get(claimKey);
	let done!: (accepted: boolean) => void;
	perRun.set(claimKey, new Promise<boolean>((resolve) => (done = resolve)));
	let accepted = false;
	try {
		if (earlier && (await earlier)) {
			accepted = true;
			return { sendStatus: 'alreadySent' satisfies SendStatus, idempotencyKey: key, foundIn: 'this execution' };
		}
		const found = await findSentWithKey.call(this, mailbox, key, itemIndex);
		if (found) {
			accepted = true;
			return {
				sendStatus: 'alreadySent' satisfies SendStatus,
				idempotencyKey: key,
				sentMessageId: found.id,
				sentDateTime: found.sentDateTime,
			};
		}
		const result = await send();
		accepted = true;
		return { ...result, sendStatus: 'accepted' satisfies SendStatus, idempotencyKey: key };
	} catch (error) {
		if (error && typeof error === 'object') keysOfErrors.set(error, key);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- the transport's NodeApiError / NodeOperationError, passed on
		throw error;
	} finally {
		done(accepted);
	}
}

/** The idempotency key of the item a send error belongs to (for the failed run's report). */
export function idempotencyKeyOfError(error: unknown): string | undefined {
	return error && typeof error === 'object' ? keysOfErrors.get(error) : undefined;
}
