/** The instant trigger's parameters: the polling trigger's, after a notice on what Graph needs to reach n8n. */
import type { INodeProperties } from 'n8n-workflow';

import { IDENTITY_NAMES } from '../auth/registry';
import { triggerProperties } from '../trigger/description';

const prerequisites: INodeProperties = {
	displayName: `Microsoft Graph must reach this n8n over HTTPS at its webhook URL: set WEBHOOK_URL to the public https:// address (or serve HTTPS with N8N_PROTOCOL=https, N8N_SSL_KEY and N8N_SSL_CERT). The identity needs Mail.Read (or Mail.ReadBasic) on the mailbox, scoped by Exchange like every other request. Delegated credentials can subscribe only to the signed-in user's own mailbox: use ${IDENTITY_NAMES.scopedMailboxAppApi} or ${IDENTITY_NAMES.scopedMailboxManagedIdentityApi} for a shared mailbox. Exchange allows 1,000 active subscriptions per mailbox across all apps; this node uses one per watched folder.`,
	name: 'instantNotice',
	type: 'notice',
	default: '',
};

/** "Max Messages per Poll" is the size of one read here: a notification reads in such rounds until none is left. */
function forInstant(property: INodeProperties): INodeProperties {
	if (property.name !== 'options' || !property.options) return property;
	return {
		...property,
		options: property.options.map((option) =>
			'name' in option && option.name === 'maxMessagesPerPoll'
				? {
						...option,
						displayName: 'Messages per Read',
						description: 'Messages read per round; rounds follow each other until every new message is read',
					}
				: option,
		) as INodeProperties['options'],
	};
}

export const instantTriggerProperties: INodeProperties[] = [
	triggerProperties[0],
	prerequisites,
	...triggerProperties.slice(1).map(forInstant),
];
