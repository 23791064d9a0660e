import {
	NodeOperationError,
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { graphRequest, userPath } from '../../transport';
import { describeAttachments } from '../common/attachments';
import { attachmentPlan, inlineAttachments, sendThroughDraft } from '../common/compose';
import { attachmentsField, bodyContentTypeField, mailboxField } from '../common/descriptions';
import { IMPORTANCE_OPTIONS } from '../../helpers/descriptions';
import { customHeaders } from '../common/headers';
import { idempotencyKeyFor, keyProperty, sendOnce, sendOptionsField } from '../common/idempotency';
import { parseRecipients } from '../common/recipients';

const properties: INodeProperties[] = [
	mailboxField,
	{
		displayName: 'To',
		name: 'toRecipients',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. john@contoso.com, Jane Doe <jane@contoso.com>',
		description: 'Comma-separated recipients',
	},
	{ displayName: 'Subject', name: 'subject', type: 'string', default: '' },
	bodyContentTypeField,
	{
		displayName: 'Body',
		name: 'bodyContent',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
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
				displayName: 'BCC',
				name: 'bccRecipients',
				type: 'string',
				default: '',
				description: 'Comma-separated recipients',
			},
			{
				displayName: 'CC',
				name: 'ccRecipients',
				type: 'string',
				default: '',
				description: 'Comma-separated recipients',
			},
			{
				displayName: 'Custom Headers',
				name: 'internetMessageHeaders',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Header',
				description: 'Custom internet headers; Graph accepts only names starting with "X-"',
				options: [
					{
						name: 'headers',
						displayName: 'Header',
						values: [
							{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'X-Ticket-ID' },
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
			},
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'normal',
			},
			{
				displayName: 'Reply To',
				name: 'replyTo',
				type: 'string',
				default: '',
				description: 'Comma-separated addresses replies should go to',
			},
			{
				displayName: 'Save to Sent Items',
				name: 'saveToSentItems',
				type: 'boolean',
				default: true,
				description:
					"Whether to keep a copy in the mailbox's Sent Items. Messages with large attachments are sent from a draft and always kept.",
			},
		],
	},
	sendOptionsField,
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['send'] } }, properties);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const to = parseRecipients.call(this, this.getNodeParameter('toRecipients', itemIndex), 'To', itemIndex);
	const message: IDataObject = {
		subject: this.getNodeParameter('subject', itemIndex, '') as string,
		body: {
			contentType: this.getNodeParameter('bodyContentType', itemIndex, 'text') as string,
			content: this.getNodeParameter('bodyContent', itemIndex, '') as string,
		},
		toRecipients: to,
	};
	const cc = parseRecipients.call(this, additional.ccRecipients, 'CC', itemIndex);
	const bcc = parseRecipients.call(this, additional.bccRecipients, 'BCC', itemIndex);
	const replyTo = parseRecipients.call(this, additional.replyTo, 'Reply To', itemIndex);
	if (cc.length) message.ccRecipients = cc;
	if (bcc.length) message.bccRecipients = bcc;
	if (replyTo.length) message.replyTo = replyTo;
	if (additional.importance) message.importance = additional.importance;
	const headers = ((additional.internetMessageHeaders as IDataObject | undefined)?.headers ?? []) as IDataObject[];
	if (headers.length) message.internetMessageHeaders = customHeaders.call(this, headers, itemIndex);
	const saveToSentItems = additional.saveToSentItems !== false;

	const key = idempotencyKeyFor.call(this, itemIndex, {
		mailbox,
		operation: 'send',
		recipients: [...to, ...cc, ...bcc].map((r) => r.emailAddress.address),
		subject: message.subject as string,
	});
	if (key) {
		if (!saveToSentItems) {
			throw new NodeOperationError(this.getNode(), 'Prevent Duplicate Sends needs Save to Sent Items', {
				itemIndex,
				description:
					'The node finds earlier sends by their copy in the mailbox. Turn Save to Sent Items back on, or turn Prevent Duplicate Sends off.',
			});
		}
		message.singleValueExtendedProperties = keyProperty(key);
	}

	const summary: IDataObject = {
		sent: true,
		mailbox,
		subject: message.subject,
		toRecipients: to.map((r) => r.emailAddress.address),
	};
	const result = await sendOnce.call(this, itemIndex, mailbox, key, async () => {
		const plan = await attachmentPlan.call(this, itemIndex, additional.attachments);
		const inline = await inlineAttachments.call(this, itemIndex, plan);
		if (inline.length) message.attachments = inline;
		if (plan.viaDraft.length === 0) {
			await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath.call(this, mailbox)}/sendMail`,
				body: { message, saveToSentItems },
				mailbox,
				itemIndex,
				idempotent: false,
			});
			return { method: 'sendMail', attachments: describeAttachments(plan) };
		}
		const viaDraft = await sendThroughDraft.call(this, itemIndex, mailbox, plan, async () => {
			const draft = (await graphRequest.call(this, {
				method: 'POST',
				path: `${userPath.call(this, mailbox)}/messages`,
				body: message,
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
