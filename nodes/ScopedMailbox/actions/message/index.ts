import type { INodeProperties } from 'n8n-workflow';

import * as del from './delete.operation';
import * as forward from './forward.operation';
import * as get from './get.operation';
import * as list from './list.operation';
import * as move from './move.operation';
import * as reply from './reply.operation';
import * as send from './send.operation';
import * as update from './update.operation';

export { del as delete, forward, get, list, move, reply, send, update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{ name: 'Delete', value: 'delete', description: 'Move a message to Deleted Items', action: 'Delete a message' },
			{ name: 'Forward', value: 'forward', description: 'Forward a message', action: 'Forward a message' },
			{ name: 'Get', value: 'get', description: 'Get a message', action: 'Get a message' },
			{
				// The value stays 'list': saved workflows name it.
				name: 'Get Many',
				value: 'list',
				description: 'Get many messages of a folder or of the whole mailbox',
				action: 'Get many messages',
			},
			{ name: 'Move', value: 'move', description: 'Move a message to a folder', action: 'Move a message' },
			{ name: 'Reply', value: 'reply', description: 'Reply or reply all to a message', action: 'Reply to a message' },
			{ name: 'Send', value: 'send', description: 'Send a message from the mailbox', action: 'Send a message' },
			{
				name: 'Update',
				value: 'update',
				description: 'Mark read or unread, set categories or a flag',
				action: 'Update a message',
			},
		],
		default: 'send',
	},
	...send.description,
	...reply.description,
	...forward.description,
	...list.description,
	...get.description,
	...update.description,
	...move.description,
	...del.description,
];
