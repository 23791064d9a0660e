export { resolveCloud, requireAuthorityHost, CLOUDS, CLOUD_NAMES, CloudConfigurationError } from './clouds';
export type { CloudName, CloudEndpoints } from './clouds';
export { describeAccessToken } from './tokenClaims';
export type { AccessTokenDescription } from './tokenClaims';
export {
	acquireToken,
	authorityOptions,
	delegatedScopes,
	managedIdentityParams,
	DEFAULT_DELEGATED_PERMISSIONS,
	OIDC_SCOPES,
} from './acquire';
export type { AcquiredToken, CredentialData, ManagedIdentityType } from './acquire';
export { CREDENTIALS, CREDENTIAL_TYPE_NAMES, type CredentialTypeName } from './registry';
export { loadCertificate, normalisePem } from './certificate';
export type { LoadedCertificate, ThumbprintAlgorithm } from './certificate';
export { ScopedMailboxAuthError, TransportError, toAuthError } from './errors';
export type { FailureReason, FailureContext, CredentialKind } from './errors';
export { networkModule, sendWithFetch, sendWithHttpRequest, sendWithLegacyRequest } from './network';
export type { HttpSend, HttpSendRequest, HttpSendResponse } from './network';
export { preAuthenticate } from './preAuthentication';
export { redact, secretValuesOf } from './redact';
