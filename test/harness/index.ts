/** n8n-core test harness: run our nodes in n8n's real execution engine. See docs/harness.md. */
export { ensureEnvironment, harnessUserFolder, logCapture, removeUserFolder, type LogLine } from './environment';
export {
	CredentialStore,
	HarnessCredentialsHelper,
	oAuth2ApiType,
	type CredentialCounters,
	type CredentialRecord,
} from './credentials';
export { runNode, type NodeRun, type RunNodeOptions } from './run-node';
export { PollingWorkflow, runPoll, type PollOptions, type PollResult } from './run-poll';
export { binaryItem, patternBytes, readBinary, sha256, type BinaryItemOptions } from './binary';
export { HARNESS_WORKFLOW_ID, PACKAGE_PREFIX, typeNameOf } from './engine';
export { waitFor, waitForRequests, type RequestLogEntry, type WaitForOptions } from './waitFor';
