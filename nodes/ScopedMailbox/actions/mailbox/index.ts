import type { INodeProperties } from 'n8n-workflow';

import * as testAccess from './testAccess.operation';

export { testAccess };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['mailbox'] } },
		options: [
			{
				name: 'Test Access',
				value: 'testAccess',
				description: 'Probe what this identity can do in mailboxes, and prove it cannot reach a control mailbox',
				action: 'Test mailbox access',
			},
		],
		default: 'testAccess',
	},
	...testAccess.description,
];
