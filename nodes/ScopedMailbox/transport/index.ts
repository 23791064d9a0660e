/** The only code that talks to Microsoft Graph. See docs/design.md ("Package contracts"). */
export {
	graphRequest,
	graphRequestAllItems,
	graphRequestAllPages,
	uploadChunk,
	type GraphRequestOptions,
	type GraphFullResponse,
	type AllItemsOptions,
	type AllPagesResult,
	type UploadChunkOptions,
} from './request';
export {
	graphBatch,
	planChains,
	wireChain,
	BATCH_MAX,
	type BatchRequest,
	type BatchResult,
	type BatchOptions,
} from './batch';
export { runForItems, type RunForItemsOptions } from './items';
export {
	userPath,
	folderPath,
	messagePath,
	attachmentPath,
	odataString,
	encodeQuery,
	normaliseMailbox,
	assertMailbox,
	InvalidMailboxError,
	MAILBOX_FIX,
} from './paths';
export {
	SendOutcomeUnknownError,
	isSendOutcomeUnknownError,
	graphError,
	scrubSecrets,
	describeIdentity,
	type GraphFailure,
} from './errors';
export { defaultGraphHeaders, withDefaultGraphHeaders } from './headers';
export { MAILBOX_CONCURRENCY, withMailboxSlot } from './limits';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry';
export type { GraphContext } from './http';
