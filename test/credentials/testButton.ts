/** Runs the Test button function the way n8n's CredentialsTester does: with n8n-core's CredentialTestContext. */
import { CredentialTestContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	INodeCredentialTestResult,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { scopedMailboxCredentialTest } from '../../nodes/ScopedMailbox/methods/credentialTest';
import { ensureEnvironment } from '../harness';

export async function pressTest(
	type: string,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	await ensureEnvironment();
	const context = new CredentialTestContext({} as IWorkflowExecuteAdditionalData);
	return await scopedMailboxCredentialTest.call(context, { id: 'test', name: 'test', type, data });
}
