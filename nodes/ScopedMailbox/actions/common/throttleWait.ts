import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_THROTTLE_WAIT_MINUTES } from '../../transport/retry';

/**
 * Node-level (every operation): how long one Graph request may wait on throttling in total. Read by the
 * transport under this name (transport/request.ts); the trigger and pickers use the default.
 */
export const throttleWaitField: INodeProperties = {
	displayName: 'Max Wait on Throttling (Minutes)',
	name: 'throttleWaitMinutes',
	type: 'number',
	typeOptions: { minValue: 0, numberPrecision: 2 },
	default: DEFAULT_THROTTLE_WAIT_MINUTES,
	description:
		'When Microsoft Graph throttles a request (429, or 503 with Retry-After), the node waits as long as Graph asks and sends it again, up to this much waiting per request in total; then the item fails saying so. 0 = do not wait.',
};
