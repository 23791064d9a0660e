import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { checkExists, create, receive, remove } from './instant/webhook';
import { instantTriggerProperties } from './instant/description';
import { listSearch } from './methods';
import { scopedMailboxCredentialTest } from './methods/credentialTest';
import { NODE_CREDENTIALS } from './auth/registry';

/**
 * A second trigger node rather than a mode of the polling one: n8n makes a node either a polling node (with its
 * "Poll Times" setting) or a webhook node, per node type, so one type cannot switch between them.
 */
export class ScopedMailboxInstantTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Scoped Mailbox Instant Trigger',
		name: 'scopedMailboxInstantTrigger',
		icon: { light: 'file:../../icons/scopedMailbox.svg', dark: 'file:../../icons/scopedMailbox.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mailbox"]}}',
		description:
			'Starts the workflow within seconds of new mail in folders of one mailbox: Microsoft Graph change notifications wake it, delta reads each message once',
		defaults: { name: 'Scoped Mailbox Instant Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: NODE_CREDENTIALS,
		// n8n knows two webhook names, 'default' and 'setup': the second one is the lifecycle URL.
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'notifications' },
			{ name: 'setup', httpMethod: 'POST', responseMode: 'onReceived', path: 'lifecycle' },
		],
		properties: instantTriggerProperties,
	};

	methods = {
		listSearch,
		credentialTest: { scopedMailboxCredentialTest },
	};

	// n8n stores and sets up a node's webhooks one after the other, in the order above; the subscription is made
	// from the second one, when both URLs answer (Graph validates both before it creates the subscription).
	webhookMethods = {
		setup: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await remove.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receive.call(this);
	}
}
