import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as attachment from './actions/attachment';
import * as mailbox from './actions/mailbox';
import * as message from './actions/message';
import { router } from './actions/router';
import { throttleWaitField } from './actions/common/throttleWait';
import { AUTHENTICATION_OPTIONS, DEFAULT_CREDENTIAL_TYPE } from './auth/registry';
import { scopedMailboxCredentialTest } from './methods/credentialTest';
import { listSearch } from './methods';

export class ScopedMailbox implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Scoped Mailbox',
		name: 'scopedMailbox',
		icon: { light: 'file:../../icons/scopedMailbox.svg', dark: 'file:../../icons/scopedMailbox.dark.svg' },
		group: ['transform'],
		version: 1,
		// "Send: shared@contoso.com": the operation as the menu names it, and the mailbox it is scoped to.
		subtitle:
			'={{ ({ send: "Send", list: "Get many", get: "Get", update: "Update", move: "Move", reply: "Reply", forward: "Forward", delete: "Delete", download: "Download", testAccess: "Test access" })[$parameter["operation"]] + ": " + $parameter["mailbox"] }}',
		description: 'Send, read and manage mail of one Exchange Online mailbox with least privilege, and prove its scope',
		defaults: { name: 'Scoped Mailbox' },
		usableAsTool: true,
		// The community rule (NodeConnectionTypes) supersedes the older n8n-nodes-base string-literal rule.

		inputs: [NodeConnectionTypes.Main],

		outputs: [NodeConnectionTypes.Main],
		// Spelled out because n8n's community lint reads `testedBy` from this literal; the registry is the
		// source and test/credentials/names.unit.test.ts holds the two equal.
		credentials: [
			{
				name: 'scopedMailboxAppApi',
				required: true,
				testedBy: 'scopedMailboxCredentialTest',
				displayOptions: { show: { authentication: ['scopedMailboxAppApi'] } },
			},
			{
				name: 'scopedMailboxManagedIdentityApi',
				required: true,
				testedBy: 'scopedMailboxCredentialTest',
				displayOptions: { show: { authentication: ['scopedMailboxManagedIdentityApi'] } },
			},
			{
				name: 'scopedMailboxRefreshTokenApi',
				required: true,
				testedBy: 'scopedMailboxCredentialTest',
				displayOptions: { show: { authentication: ['scopedMailboxRefreshTokenApi'] } },
			},
			{
				name: 'scopedMailboxOAuth2Api',
				required: true,
				displayOptions: { show: { authentication: ['scopedMailboxOAuth2Api'] } },
			},
		],
		properties: [
			{
				// Values are the credential type names: the transport sends with the type this parameter names.
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: AUTHENTICATION_OPTIONS,
				default: DEFAULT_CREDENTIAL_TYPE,
			},
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Message', value: 'message' },
					{ name: 'Attachment', value: 'attachment' },
					{ name: 'Mailbox', value: 'mailbox' },
				],
				default: 'message',
			},
			...message.description,
			...attachment.description,
			...mailbox.description,
			throttleWaitField,
		],
	};

	methods = {
		listSearch,
		credentialTest: { scopedMailboxCredentialTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
