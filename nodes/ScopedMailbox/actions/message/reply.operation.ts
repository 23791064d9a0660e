import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { graphRequest, messagePath, userPath } from '../../transport';
import { describeAttachments } from '../common/attachments';
import { attachmentPlan, inlineAttachments, sendThroughDraft } from '../common/compose';
import { attachmentsField, mailboxField } from '../common/descriptions';
import { idempotencyKeyFor, keyProperty, sendOnce, sendOptionsField } from '../common/idempotency';
import { messageIdValue, messageLocator } from '../../helpers/locators';
import { parseRecipients } from '../common/recipients';

const properties: INodeProperties[] = [
	mailboxField,
	messageLocator,
	{
		displayName: 'Reply To',
		name: 'replyType',
		type: 'options',
		options: [
			{ name: 'Sender', value: 'reply', description: 'Reply to the sender only' },
			{ name: 'All', value: 'replyAll', description: 'Reply to the sender and all recipients' },
		],
		default: 'reply',
	},
	{
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'Text placed above the quoted original message',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			attachmentsField,
			{
				displayName: 'Additional Recipients (CC)',
				name: 'ccRecipients',
				type: 'string',
				default: '',
				description: 'Comma-separated addresses to add as CC',
			},
		],
	},
	sendOptionsField,
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['reply'] } }, properties);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const messageId = messageIdValue.call(this, itemIndex);
	const replyType = this.getNodeParameter('replyType', itemIndex, 'reply') as 'reply' | 'replyAll';
	const comment = this.getNodeParameter('comment', itemIndex, '') as string;
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const cc = parseRecipients.call(this, additional.ccRecipients, 'Additional Recipients (CC)', itemIndex);
	return await respond.call(this, itemIndex, {
		mailbox,
		messageId,
		action: replyType,
		draftAction: replyType === 'reply' ? 'createReply' : 'createReplyAll',
		body: { comment },
		message: cc.length ? { ccRecipients: cc } : {},
		attachments: additional.attachments,
	});
}

export interface RespondOptions {
	mailbox: string;
	messageId: string;
	action: 'reply' | 'replyAll' | 'forward';
	draftAction: 'createReply' | 'createReplyAll' | 'createForward';
	body: IDataObject;
	message: IDataObject;
	attachments: unknown;
}

/** Reply, reply all and forward: one request when attachments fit inline, else through a reply/forward draft. */
export async function respond(
	this: IExecuteFunctions,
	itemIndex: number,
	options: RespondOptions,
): Promise<INodeExecutionData[]> {
	const { mailbox, messageId, action } = options;
	const base = `${userPath.call(this, mailbox)}${messagePath(messageId)}`;
	const message: IDataObject = { ...options.message };
	const recipients = [
		...((options.body.toRecipients as IDataObject[] | undefined) ?? []),
		...((message.ccRecipients as IDataObject[] | undefined) ?? []),
	].map((r) => String((r.emailAddress as IDataObject | undefined)?.address ?? ''));
	const key = idempotencyKeyFor.call(this, itemIndex, {
		mailbox,
		operation: action,
		recipients,
		subject: String(options.body.comment ?? ''),
		messageId,
	});
	if (key) message.singleValueExtendedProperties = keyProperty(key);
	const summary: IDataObject = { sent: true, mailbox, action, inReplyTo: messageId };

	const result = await sendOnce.call(this, itemIndex, mailbox, key, async () => {
		const plan = await attachmentPlan.call(this, itemIndex, options.attachments);
		const inline = await inlineAttachments.call(this, itemIndex, plan);
		if (inline.length) message.attachments = inline;
		const body: IDataObject = { ...options.body };
		if (Object.keys(message).length) body.message = message;
		if (plan.viaDraft.length === 0) {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${base}/${action}`,
				body,
				mailbox,
				itemIndex,
				idempotent: false,
			});
			return { method: action, attachments: describeAttachments(plan) };
		}
		const viaDraft = await sendThroughDraft.call(this, itemIndex, mailbox, plan, async () => {
			const draft = (await graphRequest.call(this, {
				method: 'POST',
				path: `${base}/${options.draftAction}`,
				body,
				mailbox,
				itemIndex,
				idempotent: false,
			})) as IDataObject;
			return draft.id as string;
		});
		return { method: 'draft', draftId: viaDraft.draftId, attachments: viaDraft.attachments };
	});
	return [{ json: { ...summary, ...result } }];
}
