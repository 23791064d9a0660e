/**
 * One name per identity everywhere, the same label for the same setting, fields in the same order, and
 * failures that name a field by the label its credential shows.
 */
import type { INodeProperties } from 'n8n-workflow';
import { ScopedMailboxAppApi } from '../../credentials/ScopedMailboxAppApi.credentials';
import { ScopedMailboxManagedIdentityApi } from '../../credentials/ScopedMailboxManagedIdentityApi.credentials';
import { ScopedMailboxOAuth2Api } from '../../credentials/ScopedMailboxOAuth2Api.credentials';
import { ScopedMailboxRefreshTokenApi } from '../../credentials/ScopedMailboxRefreshTokenApi.credentials';
import { ScopedMailbox } from '../../nodes/ScopedMailbox/ScopedMailbox.node';
import { ScopedMailboxTrigger } from '../../nodes/ScopedMailbox/ScopedMailboxTrigger.node';
import { toAuthError } from '../../nodes/ScopedMailbox/auth/failures';
import { ScopedMailboxInstantTrigger } from '../../nodes/ScopedMailbox/ScopedMailboxInstantTrigger.node';
import {
	credentialDisplayName,
	credentialEntry,
	IDENTITY_NAMES,
	NODE_CREDENTIALS,
	type CredentialTypeName,
} from '../../nodes/ScopedMailbox/auth/registry';
import { failureMessage } from '../../nodes/ScopedMailbox/methods/credentialTest';

const credentials = [
	new ScopedMailboxAppApi(),
	new ScopedMailboxManagedIdentityApi(),
	new ScopedMailboxRefreshTokenApi(),
	new ScopedMailboxOAuth2Api(),
];

const authenticationOf = (properties: INodeProperties[]) =>
	(properties.find((p) => p.name === 'authentication')!.options as Array<{ name: string; value: unknown }>).map(
		(o) => ({ name: o.name, value: o.value }),
	);

describe('identity names', () => {
	it('are the same in the credential types, the action node and the trigger', () => {
		for (const credential of credentials) {
			expect(credential.displayName).toBe(credentialDisplayName(credential.name as CredentialTypeName));
		}
		const action = authenticationOf(new ScopedMailbox().description.properties);
		const trigger = authenticationOf(new ScopedMailboxTrigger().description.properties);
		const instant = authenticationOf(new ScopedMailboxInstantTrigger().description.properties);
		expect(action).toEqual(trigger);
		expect(action).toEqual(instant);
		expect(action).toEqual(Object.entries(IDENTITY_NAMES).map(([value, name]) => ({ name, value })));
	});

	it("are the credentials every node offers, the action node's literal list included", () => {
		// The action node spells its list out for the community lint's testedBy check; it must stay the registry's.
		expect(new ScopedMailbox().description.credentials).toEqual(NODE_CREDENTIALS);
		expect(new ScopedMailboxTrigger().description.credentials).toEqual(NODE_CREDENTIALS);
		expect(new ScopedMailboxInstantTrigger().description.credentials).toEqual(NODE_CREDENTIALS);
		expect(NODE_CREDENTIALS.filter((c) => c.testedBy).map((c) => c.name)).toEqual([
			'scopedMailboxAppApi',
			'scopedMailboxManagedIdentityApi',
			'scopedMailboxRefreshTokenApi',
		]);
	});

	it('label every field an error can blame as the credential shows it', () => {
		for (const credential of credentials) {
			const labels = credentialEntry(credential.name)!.fieldLabels;
			for (const [field, label] of Object.entries(labels)) {
				// OAuth2's token code says "scopes" for what the dialog stores as "permissions".
				const name = credential.name === 'scopedMailboxOAuth2Api' && field === 'scopes' ? 'permissions' : field;
				// Client Secret of the OAuth2 credential is n8n's own oAuth2Api field, labelled "Client Secret" there.
				const inherited = credential.name === 'scopedMailboxOAuth2Api' && field === 'clientSecret';
				const property = credential.properties.find((p) => p.name === name);
				const shown = inherited ? 'Client Secret' : property?.displayName;
				expect({ type: credential.name, field, label: shown }).toEqual({
					type: credential.name,
					field,
					label,
				});
			}
		}
	});

	it('order every credential cloud, tenant, client, secret (OAuth2: as far as n8n lets us)', () => {
		const visible = (properties: INodeProperties[]) =>
			properties.filter((p) => !['hidden', 'notice'].includes(p.type)).map((p) => p.name);
		for (const credential of [credentials[0], credentials[2]]) {
			expect(visible(credential.properties).slice(0, 6)).toEqual([
				'cloud',
				'authorityHost',
				'graphBaseUrl',
				'graphFeatureSet',
				'tenantId',
				'clientId',
			]);
		}
		// n8n merges an OAuth2 credential into its parent's order: Client ID and Client Secret stay where
		// oAuth2Api puts them (docs/decisions.md); our own fields start with the cloud.
		expect(visible(credentials[3].properties).slice(0, 6)).toEqual([
			'cloud',
			'authorityHost',
			'graphBaseUrl',
			'graphFeatureSet',
			'tenantId',
			'clientId',
		]);
	});
});

describe('credential Test failures', () => {
	const entra = {
		errorNo: '7000215',
		errorCode: 'invalid_client',
		errorMessage:
			'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID. Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01 00:00:00Z',
	};

	it('say it once, with the field label, without internal names or Entra repeating itself', () => {
		const error = toAuthError(entra, { kind: 'app', secrets: [], clientId: 'app-1' });
		const message = failureMessage(error, [], 'scopedMailboxAppApi');
		expect(message).toMatch(/^The client secret is wrong \(AADSTS7000215\)\. Check "Client Secret"\. Entra rejected/);
		expect(message).not.toMatch(/\[field|clientSecret|Invalid client secret provided/);
	});

	it('never blame a field the credential does not have', () => {
		const consent = { errorNo: '65001', errorMessage: 'AADSTS65001: The user or administrator has not consented.' };
		const app = toAuthError(consent, { kind: 'app', secrets: [] });
		expect(app.field).toBeUndefined();
		expect(failureMessage(app, [], 'scopedMailboxAppApi')).not.toMatch(/Check "/);
		const delegated = toAuthError(consent, { kind: 'refreshToken', secrets: [] });
		expect(failureMessage(delegated, [], 'scopedMailboxRefreshTokenApi')).toMatch(/Check "Delegated Permissions"/);
		const oauth = toAuthError(consent, { kind: 'oAuth2', secrets: [] });
		expect(failureMessage(oauth, [], 'scopedMailboxOAuth2Api')).toMatch(/Check "Delegated Permissions"/);
	});
});
