/**
 * Both triggers stand on message delta (the instant one reads through the polling code): a cloud whose Graph has
 * none is refused at activation, by name, before any subscription or delta request is made.
 */
import type { IHookFunctions, IPollFunctions } from 'n8n-workflow';

import { assertCloudSupports, featureSetOf } from '../auth/cloudFeatures';

export async function assertTriggerCloudSupported(this: IPollFunctions | IHookFunctions): Promise<void> {
	const type = this.getNodeParameter('authentication', '') as string;
	if (!type) return;
	const credentials = await this.getCredentials(type);
	assertCloudSupports(this.getNode(), featureSetOf(credentials), 'messageDelta');
}
