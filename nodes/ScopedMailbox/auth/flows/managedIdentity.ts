/**
 * The token of the Azure resource's managed identity (IMDS, App Service and the other sources msal detects),
 * system- or user-assigned, through msal's ManagedIdentityApplication.
 */
import { ManagedIdentityApplication, type ManagedIdentityIdParams } from '@azure/msal-node';
import type { AcquiredToken, CredentialData } from '../acquire';
import { resolveCloud } from '../clouds';
import { configurationError, ScopedMailboxAuthError, type FailureContext } from '../errors';
import { processWideNetworkModule, withSend, type HttpSend } from '../network';
import { fieldText, quietLogger } from './clientConfiguration';

export type ManagedIdentityType = 'system' | 'userClientId' | 'userObjectId' | 'userResourceId';

export function managedIdentityParams(credentials: CredentialData): {
	params?: ManagedIdentityIdParams;
	label: string;
} {
	const type = (credentials.identityType ?? 'system') as ManagedIdentityType;
	if (type === 'system') return { label: 'The system-assigned managed identity' };
	const id = fieldText(credentials.identityId);
	const names: Record<Exclude<ManagedIdentityType, 'system'>, [keyof ManagedIdentityIdParams, string]> = {
		userClientId: ['userAssignedClientId', 'client ID'],
		userObjectId: ['userAssignedObjectId', 'object (principal) ID'],
		userResourceId: ['userAssignedResourceId', 'resource ID'],
	};
	const entry = names[type as Exclude<ManagedIdentityType, 'system'>];
	if (!entry) throw configurationError(`Unknown identity type "${String(type)}"`, 'identityType');
	if (!id) throw configurationError(`Enter the user-assigned identity's ${entry[1]}`, 'identityId');
	if (
		type === 'userResourceId' &&
		!/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(
			id,
		)
	) {
		throw configurationError(
			'The resource ID must look like /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>',
			'identityId',
		);
	}
	if (type !== 'userResourceId' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
		throw configurationError(`The user-assigned identity's ${entry[1]} must be a GUID`, 'identityId');
	}
	return { params: { [entry[0]]: id }, label: `The user-assigned managed identity with ${entry[1]} ${id}` };
}

export async function managedIdentityToken(
	credentials: CredentialData,
	send: HttpSend,
	context: FailureContext,
): Promise<AcquiredToken> {
	const endpoints = resolveCloud(credentials);
	const { params, label } = managedIdentityParams(credentials);
	context.managedIdentity = { label };
	const app = new ManagedIdentityApplication({
		managedIdentityIdParams: params,
		system: { networkClient: processWideNetworkModule, loggerOptions: quietLogger },
	});
	let source: string | undefined;
	try {
		source = String(app.getManagedIdentitySource());
		context.managedIdentity.source = source;
	} catch {
		// Detection problems surface from acquireToken with msal's own error.
	}
	// forceRefresh: msal's managed-identity cache is process-wide and judged by the wall clock.
	const result = await withSend(
		send,
		async () => await app.acquireToken({ resource: endpoints.graphResource, forceRefresh: true }),
	);
	if (!result?.accessToken)
		throw new ScopedMailboxAuthError('The managed identity endpoint answered without an access token', {
			reason: 'unknown',
		});
	return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? undefined, managedIdentitySource: source };
}
