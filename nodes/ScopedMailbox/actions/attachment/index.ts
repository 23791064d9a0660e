import type { INodeProperties } from 'n8n-workflow';

import * as download from './download.operation';
import * as list from './list.operation';

export { download, list };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['attachment'] } },
		options: [
			{ name: 'Download', value: 'download', description: 'Download an attachment', action: 'Download an attachment' },
			{
				name: 'Get Many',
				value: 'list',
				description: 'Get the attachments of a message',
				action: 'Get many attachments',
			},
		],
		default: 'list',
	},
	...list.description,
	...download.description,
];
