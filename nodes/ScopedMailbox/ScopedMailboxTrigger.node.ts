import {
	NodeConnectionTypes,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { listSearch } from './methods';
import { scopedMailboxCredentialTest } from './methods/credentialTest';
import { NODE_CREDENTIALS } from './auth/registry';
import { triggerProperties } from './trigger/description';
import { assertTriggerCloudSupported } from './trigger/cloudCheck';
import { pollScopedMailbox } from './trigger/poll';

export class ScopedMailboxTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Scoped Mailbox Trigger',
		name: 'scopedMailboxTrigger',
		icon: { light: 'file:../../icons/scopedMailbox.svg', dark: 'file:../../icons/scopedMailbox.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mailbox"]}}',
		// Shown in the node creator for the package's entry: it says what the trigger does and where sending is.
		description:
			'Starts the workflow on new mail in one Exchange Online mailbox (usually shared); the Scoped Mailbox node sends and reads',
		defaults: { name: 'Scoped Mailbox Trigger' },
		polling: true,
		inputs: [],
		// The older n8n-nodes-base rule only knows the string form; NodeConnectionTypes.Main is the same 'main'.

		outputs: [NodeConnectionTypes.Main],
		credentials: NODE_CREDENTIALS,
		properties: triggerProperties,
	};

	methods = {
		listSearch,
		credentialTest: { scopedMailboxCredentialTest },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		await assertTriggerCloudSupported.call(this);
		return await pollScopedMailbox.call(this);
	}
}
