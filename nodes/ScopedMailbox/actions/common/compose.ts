import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { assertCloudSupports, featureSetOfNode } from '../../auth/cloudFeatures';
import { graphRequest, isSendOutcomeUnknownError, messagePath, userPath } from '../../transport';
import {
	attachToDraft,
	collectAttachments,
	describeAttachments,
	draftAccessError,
	fileAttachment,
	INLINE_MAX_BYTES,
	planAttachments,
	type AttachmentPlan,
} from './attachments';

export async function inlineAttachments(this: IExecuteFunctions, itemIndex: number, plan: AttachmentPlan) {
	const out: IDataObject[] = [];
	for (const source of plan.inline) out.push(await fileAttachment.call(this, itemIndex, source));
	return out;
}

export async function attachmentPlan(this: IExecuteFunctions, itemIndex: number, names: unknown) {
	return planAttachments(await collectAttachments.call(this, itemIndex, names));
}

/**
 * Sends through a draft: create it (createDraft), add what did not fit inline, then send it once. If anything
 * before the send fails the draft is deleted; the send itself is never repeated (the transport reports an
 * unknown outcome instead).
 */
export async function sendThroughDraft(
	this: IExecuteFunctions,
	itemIndex: number,
	mailbox: string,
	plan: AttachmentPlan,
	createDraft: () => Promise<string>,
): Promise<{ draftId: string; attachments: IDataObject[] }> {
	// A cloud without attachment upload sessions is refused before a draft exists (nothing to clean up).
	if (plan.viaDraft.some((source) => source.size > INLINE_MAX_BYTES)) {
		assertCloudSupports(this.getNode(), await featureSetOfNode(this, itemIndex), 'attachmentUploadSession', itemIndex);
	}
	let draftId: string;
	try {
		draftId = await createDraft();
	} catch (error) {
		throw notSentYet.call(this, draftAccessError.call(this, error, mailbox, itemIndex), mailbox, itemIndex, true);
	}
	try {
		await attachToDraft.call(this, itemIndex, mailbox, draftId, plan.viaDraft);
	} catch (error) {
		await discardDraft.call(this, mailbox, draftId);
		throw notSentYet.call(this, draftAccessError.call(this, error, mailbox, itemIndex), mailbox, itemIndex, false);
	}
	try {
		await graphRequest.call(this, {
			method: 'POST',
			path: `${userPath.call(this, mailbox)}${messagePath(draftId)}/send`,
			mailbox,
			idempotent: false,
		});
	} catch (error) {
		if (!isSendOutcomeUnknownError(error)) await discardDraft.call(this, mailbox, draftId);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- already the transport's NodeApiError / SendOutcomeUnknownError; wrapping would lose its mapping
		throw error;
	}
	return { draftId, attachments: describeAttachments(plan) };
}

/**
 * A lost connection while the draft is prepared leaves nothing sent: say so, rather than the transport's
 * "may or may not have been carried out", which is about the request, not the message.
 */
function notSentYet(
	this: IExecuteFunctions,
	error: Error,
	mailbox: string,
	itemIndex: number,
	draftMayRemain: boolean,
): Error {
	if (!isSendOutcomeUnknownError(error)) return error;
	return new NodeOperationError(
		this.getNode(),
		`The connection to Microsoft Graph was lost while the message was being prepared in mailbox ${mailbox}; it was not sent`,
		{
			itemIndex,
			description: draftMayRemain
				? "Running the item again is safe. An unfinished draft may remain in the mailbox's Drafts folder."
				: 'The draft was deleted; running the item again is safe.',
		},
	);
}

async function discardDraft(this: IExecuteFunctions, mailbox: string, draftId: string) {
	try {
		await graphRequest.call(this, {
			method: 'DELETE',
			path: `${userPath.call(this, mailbox)}${messagePath(draftId)}`,
			mailbox,
			idempotent: true,
		});
	} catch {
		// Best effort: the original error is what the user needs to see.
	}
}
