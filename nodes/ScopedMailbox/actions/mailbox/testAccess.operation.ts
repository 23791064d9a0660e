import {
	NodeOperationError,
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { AccessTokenDescription } from '../../auth/tokenClaims';
import { graphRequest, isSendOutcomeUnknownError, userPath } from '../../transport';
import { httpStatusOf } from '../../helpers/httpStatus';
import { currentIdentity, identitySummary } from '../common/identity';
import { credentialReport } from './identityReport';
import { parseRecipients, splitList } from '../common/recipients';
import {
	CAPABILITY_LABEL,
	PROPAGATION_NOTE,
	describeProbes,
	grantScript,
	leakScript,
	type Capability,
	type Verdict,
} from './findings';

const properties: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'mailbox',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. shared@contoso.com, orders@contoso.com',
		description: 'Comma-separated UPNs or object IDs of the mailboxes this identity should reach',
	},
	{
		displayName: 'Control Mailbox',
		name: 'controlMailbox',
		type: 'string',
		default: '',
		placeholder: 'e.g. ceo@contoso.com',
		description:
			'A mailbox this identity must NOT reach. If it is reachable, the Entra permission is not narrowed by Exchange: a scope leak.',
	},
	{
		displayName: 'Expected Access',
		name: 'expectedCapabilities',
		type: 'multiOptions',
		options: [
			{ name: 'Read Metadata', value: 'readMetadata' },
			{ name: 'Read Content', value: 'readContent' },
			{ name: 'Send', value: 'send' },
		],
		default: ['readMetadata'],
		description:
			'What the identity needs on the mailboxes above; a denied expected capability is reported as missing access',
	},
	{
		displayName: 'Send a Probe Message',
		name: 'sendProbe',
		type: 'boolean',
		default: false,
		description:
			'Whether to test sending: each mailbox under "Mailboxes" really sends a short probe message to the recipient below. The control mailbox never sends: it gets a send request without recipients, which Exchange refuses after checking the right to send, so nothing is delivered or saved there.',
	},
	{
		displayName: 'Probe Recipient',
		name: 'probeRecipient',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. it-admin@contoso.com',
		displayOptions: { show: { sendProbe: [true] } },
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['mailbox'], operation: ['testAccess'] } },
	properties,
);

interface ProbeResult {
	verdict: Verdict;
	detail?: string;
}

const NOT_FOUND_CODES = /ErrorInvalidUser|MailboxNotEnabledForRESTAPI|ResourceNotFound|ErrorNonExistentMailbox/i;

function classify(error: unknown): ProbeResult {
	const message = (error as Error)?.message ?? String(error);
	const description = (error as { description?: string })?.description ?? '';
	if (isSendOutcomeUnknownError(error)) return { verdict: 'Error', detail: `Outcome unknown: ${message}` };
	const status = httpStatusOf(error);
	if (status === 403) return { verdict: 'Denied', detail: message };
	if (status === 404 || NOT_FOUND_CODES.test(`${message} ${description}`)) {
		return { verdict: 'Mailbox not found', detail: message };
	}
	return { verdict: 'Error', detail: message };
}

async function probe(run: () => Promise<unknown>): Promise<ProbeResult> {
	try {
		await run();
		return { verdict: 'Granted' };
	} catch (error) {
		return classify(error);
	}
}

/**
 * The control mailbox's send probe: sendMail with no recipients and saveToSentItems false. Exchange checks the
 * identity's right to send as the mailbox (403 ErrorAccessDenied / ErrorSendAsDenied) before it validates the
 * message (400 ErrorInvalidRecipients), so a 400 naming the recipients means the right is there, and nothing can
 * be delivered or stored: there is no one to deliver to and no Sent Items copy.
 */
async function controlSendProbe(this: IExecuteFunctions, base: string, mailbox: string): Promise<ProbeResult> {
	try {
		await graphRequest.call(this, {
			method: 'POST',
			path: `${base}/sendMail`,
			body: {
				message: {
					subject: `Scoped Mailbox access test: may this identity send as ${mailbox}? (not delivered)`,
					body: { contentType: 'text', content: 'A send request without recipients: it is refused, never delivered.' },
					toRecipients: [],
				},
				saveToSentItems: false,
			},
			mailbox,
			idempotent: false,
		});
		// Graph accepted a message without recipients: it reached the send path, and there was no one to deliver to.
		return { verdict: 'Granted', detail: 'Graph accepted a send request without recipients (nothing was delivered).' };
	} catch (error) {
		const text = `${(error as Error)?.message ?? ''} ${(error as { description?: string })?.description ?? ''}`;
		if (httpStatusOf(error) === 400 && /ErrorInvalidRecipients|recipient/i.test(text)) {
			return {
				verdict: 'Granted',
				detail:
					'Exchange checked the right to send as this mailbox and only then refused the request for having no recipients: the identity can send as it. Nothing was sent.',
			};
		}
		return classify(error);
	}
}

async function probeMailbox(
	this: IExecuteFunctions,
	mailbox: string,
	sendTo: string | undefined,
	role: 'target' | 'control' = 'target',
): Promise<Record<Capability, ProbeResult>> {
	let base: string;
	try {
		base = userPath.call(this, mailbox);
	} catch (error) {
		const invalid: ProbeResult = { verdict: 'Error', detail: (error as Error).message };
		return { readMetadata: invalid, readContent: invalid, send: invalid };
	}
	const readMetadata = await probe(
		async () =>
			await graphRequest.call(this, {
				method: 'GET',
				path: `${base}/messages`,
				qs: { $top: 1, $select: 'id' },
				mailbox,
				idempotent: true,
			}),
	);
	const readContent =
		readMetadata.verdict === 'Mailbox not found'
			? readMetadata
			: await probe(
					async () =>
						await graphRequest.call(this, {
							method: 'GET',
							path: `${base}/messages`,
							qs: { $top: 1, $select: 'id,body' },
							mailbox,
							idempotent: true,
						}),
				);
	let send: ProbeResult = {
		verdict: 'Not tested',
		detail: 'Turn on "Send a Probe Message" and name a recipient to test sending.',
	};
	if (sendTo && readMetadata.verdict !== 'Mailbox not found' && role === 'control') {
		// Never send from the mailbox that must be out of reach.
		send = await controlSendProbe.call(this, base, mailbox);
	} else if (sendTo && readMetadata.verdict !== 'Mailbox not found') {
		send = await probe(
			async () =>
				await graphRequest.call(this, {
					method: 'POST',
					path: `${base}/sendMail`,
					body: {
						message: {
							subject: `Scoped Mailbox access test: sending as ${mailbox}`,
							body: {
								contentType: 'text',
								content: `This message was sent by the n8n Scoped Mailbox node's Test Access operation to prove that this identity can send as ${mailbox}. It needs no action.`,
							},
							toRecipients: [{ emailAddress: { address: sendTo } }],
						},
						saveToSentItems: false,
					},
					mailbox,
					idempotent: false,
				}),
		);
	}
	return { readMetadata, readContent, send };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const targets = splitList(this.getNodeParameter('mailbox', itemIndex));
	if (targets.length === 0) {
		throw new NodeOperationError(this.getNode(), 'No mailbox to test', {
			itemIndex,
			description: 'Enter at least one mailbox (UPN or object ID) under "Mailboxes".',
		});
	}
	const control = (this.getNodeParameter('controlMailbox', itemIndex, '') as string).trim();
	const expected = this.getNodeParameter('expectedCapabilities', itemIndex, ['readMetadata']) as Capability[];
	const sendProbe = this.getNodeParameter('sendProbe', itemIndex, false) as boolean;
	let sendTo: string | undefined;
	if (sendProbe) {
		const [recipient] = parseRecipients.call(
			this,
			this.getNodeParameter('probeRecipient', itemIndex, ''),
			'Probe Recipient',
			itemIndex,
		);
		if (!recipient) {
			throw new NodeOperationError(this.getNode(), 'The send probe needs a recipient', {
				itemIndex,
				description: 'Enter the address the probe message goes to under "Probe Recipient", or turn the send probe off.',
			});
		}
		sendTo = recipient.emailAddress.address;
	}
	if (expected.includes('send') && !sendTo) {
		throw new NodeOperationError(this.getNode(), 'Send access can only be tested with a probe message', {
			itemIndex,
			description: 'Turn on "Send a Probe Message" and name a recipient, or remove Send from "Expected Access".',
		});
	}

	const rows: Array<{ mailbox: string; role: 'target' | 'control'; probes: Record<Capability, ProbeResult> }> = [];
	for (const mailbox of targets)
		rows.push({ mailbox, role: 'target', probes: await probeMailbox.call(this, mailbox, sendTo) });
	if (control)
		rows.push({ mailbox: control, role: 'control', probes: await probeMailbox.call(this, control, sendTo, 'control') });

	const identity = await currentIdentity.call(this);
	const credentialCheck = await credentialReport.call(this);
	const leak = rows.find((r) => r.role === 'control' && Object.values(r.probes).some((p) => p.verdict === 'Granted'));
	const missing = rows.filter((r) => r.role === 'target' && expected.some((c) => r.probes[c].verdict !== 'Granted'));
	const overall = leak
		? 'scope leak'
		: missing.length
			? 'missing access'
			: control
				? 'scoped correctly'
				: 'access granted, scope not checked';

	return rows.map(({ mailbox, role, probes }) => {
		const verdicts: IDataObject = {};
		const details: IDataObject = {};
		for (const [capability, result] of Object.entries(probes)) {
			verdicts[capability] = result.verdict;
			if (result.detail) details[capability] = result.detail;
		}
		return {
			json: {
				mailbox,
				role,
				finding: overall,
				...mailboxFinding(identity, mailbox, role, probes, expected, targets),
				verdicts,
				details,
				probes: describeProbes(role, sendTo !== undefined),
				identity: identitySummary(identity),
				credentialCheck,
				...(overall === 'scope leak' && leak && role === 'target'
					? { note: `The control mailbox ${leak.mailbox} is reachable: see its row for the fix.` }
					: {}),
			},
		};
	});
}

function mailboxFinding(
	identity: AccessTokenDescription | undefined,
	mailbox: string,
	role: 'target' | 'control',
	probes: Record<Capability, ProbeResult>,
	expected: Capability[],
	targets: string[],
): IDataObject {
	const verdicts = Object.values(probes).map((p) => p.verdict);
	if (
		verdicts.every((v) => v === 'Mailbox not found' || v === 'Not tested') &&
		verdicts.includes('Mailbox not found')
	) {
		return {
			mailboxFinding: 'mailbox not found',
			explanation: `Exchange knows no mailbox ${mailbox}. Check the address or object ID; a user without an Exchange Online licence has no mailbox.`,
		};
	}
	if (role === 'control') {
		const granted = (Object.keys(probes) as Capability[]).filter((c) => probes[c].verdict === 'Granted');
		if (granted.length === 0) {
			return {
				mailboxFinding: 'out of scope as expected',
				explanation: `This identity cannot ${Object.values(CAPABILITY_LABEL).join(' or ')} in ${mailbox}, as it should not.`,
			};
		}
		return {
			mailboxFinding: 'scope leak',
			explanation:
				`This identity can ${granted.map((c) => CAPABILITY_LABEL[c]).join(' and ')} in ${mailbox}, which should be out of its reach. ` +
				(identity?.kind === 'delegated'
					? 'The signed-in user has permissions on this mailbox.'
					: 'Its Entra (Graph) application permission reaches every mailbox of the tenant and Exchange does not narrow it: RBAC for Applications only adds rights, so the unscoped Entra grant has to go.'),
			fix: { powershell: leakScript(identity, mailbox, targets), note: PROPAGATION_NOTE },
		};
	}
	const lacking = expected.filter((c) => probes[c].verdict !== 'Granted');
	const errors = lacking.filter((c) => probes[c].verdict === 'Error');
	if (lacking.length === 0) {
		return {
			mailboxFinding: 'access granted',
			explanation: `This identity can ${expected.map((c) => CAPABILITY_LABEL[c]).join(' and ')} in ${mailbox}.`,
		};
	}
	return {
		mailboxFinding: 'missing access',
		explanation:
			`This identity cannot ${lacking.map((c) => CAPABILITY_LABEL[c]).join(' or ')} in ${mailbox}` +
			(errors.length ? ' (some probes failed with errors, see details)' : '') +
			'.',
		fix: { powershell: grantScript(identity, mailbox, lacking), note: PROPAGATION_NOTE },
	};
}
