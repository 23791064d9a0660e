import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { folderPath, graphRequestAllItems, userPath } from '../../transport';
import { mailboxField } from '../common/descriptions';
import { downloadAttachmentOptions, IMPORTANCE_OPTIONS } from '../../helpers/descriptions';
import { folderLocator, folderValue } from '../../helpers/locators';
import { compileListQuery, toQs, type ListFilters } from '../common/filter';
import { downloadMessageAttachments, downloadOptions } from '../../helpers/messageAttachments';
import { featureSetOfNode, graphLacks } from '../../auth/cloudFeatures';
import { SIMPLE_SELECT } from '../../helpers/simplify';
import { outputFields, outputMode, selectFor } from '../common/output';
import { shapeMessage } from '../../helpers/output';

/** Graph's largest page for messages; with Return All, 10,000 messages take about 10 requests. */
export const MAX_PAGE_SIZE = 1000;

const properties: INodeProperties[] = [
	mailboxField,
	folderLocator({
		required: false,
		description:
			'Folder to list, subfolders not included. Leave empty to list the whole mailbox. Well-known names: inbox, sentitems, drafts, deleteditems, junkemail, archive.',
	}),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	...outputFields(),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				displayName: 'Custom OData Filter',
				name: 'customFilter',
				type: 'string',
				default: '',
				placeholder: "e.g. flag/flagStatus eq 'flagged'",
				description: 'Raw OData $filter expression, combined with the other filters by "and"',
			},
			{
				displayName: 'From',
				name: 'from',
				type: 'string',
				default: '',
				placeholder: 'e.g. alerts@contoso.com',
				description: 'Sender address (exact match)',
			},
			{ displayName: 'Has Attachments', name: 'hasAttachments', type: 'boolean', default: true },
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'high',
			},
			{ displayName: 'Received After', name: 'receivedAfter', type: 'dateTime', default: '' },
			{ displayName: 'Received Before', name: 'receivedBefore', type: 'dateTime', default: '' },
			{
				displayName: 'Search',
				name: 'search',
				type: 'string',
				default: '',
				placeholder: 'e.g. invoice OR subject:urgent',
				description:
					'Keyword search ($search, KQL). Graph cannot combine it with the other filters or an order; results come by relevance.',
			},
			{ displayName: 'Subject Contains', name: 'subjectContains', type: 'string', default: '' },
			{ displayName: 'Unread Only', name: 'unreadOnly', type: 'boolean', default: true },
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...downloadAttachmentOptions,
			{
				displayName: 'Order',
				name: 'orderBy',
				type: 'options',
				options: [
					{ name: 'Graph Default', value: '' },
					{ name: 'Newest Received First', value: 'receivedDateTime desc' },
					{ name: 'Newest Sent First', value: 'sentDateTime desc' },
					{ name: 'Oldest Received First', value: 'receivedDateTime asc' },
					{ name: 'Oldest Sent First', value: 'sentDateTime asc' },
				],
				default: 'receivedDateTime desc',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['list'] } }, properties);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const mailbox = this.getNodeParameter('mailbox', itemIndex) as string;
	const folder = folderValue.call(this, 'folder', itemIndex, false);
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const filters = this.getNodeParameter('filters', itemIndex, {}) as ListFilters;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const mode = outputMode.call(this, itemIndex);

	const orderBy = filters.search ? '' : ((options.orderBy as string | undefined) ?? 'receivedDateTime desc');
	const qs = toQs(compileListQuery.call(this, filters, orderBy, itemIndex));
	// China's Graph has no message flag: the simplified set leaves it out there rather than being refused.
	const simple = graphLacks(await featureSetOfNode(this, itemIndex), 'messageFlag')
		? SIMPLE_SELECT.filter((f) => f !== 'flag')
		: SIMPLE_SELECT;
	const select = selectFor.call(this, itemIndex, mode, simple);
	if (select.length) qs.$select = select.join(',');
	qs.$top = limit === undefined ? MAX_PAGE_SIZE : Math.min(limit, MAX_PAGE_SIZE);

	const messages = (await graphRequestAllItems.call(this, {
		method: 'GET',
		path: `${userPath.call(this, mailbox)}${folder ? folderPath(folder) : ''}/messages`,
		qs,
		mailbox,
		limit,
	})) as IDataObject[];

	const download = options.downloadAttachments === true;
	const out: INodeExecutionData[] = [];
	for (const message of messages.slice(0, limit ?? messages.length)) {
		const json = shapeMessage(mode, message);
		if (download && (message.hasAttachments === true || message.hasAttachments === undefined)) {
			const { binary, skipped } = await downloadMessageAttachments.call(
				this,
				mailbox,
				message.id as string,
				downloadOptions(options),
			);
			if (skipped.length) json.skippedAttachments = skipped;
			out.push({ json, binary });
		} else out.push({ json });
	}
	return out;
}
