/** The trigger stands on message delta: a cloud whose Graph has none is refused at activation, by name. */
import type { IPollFunctions } from 'n8n-workflow';

import { assertCloudSupports, featureSetOf } from '../auth/cloudFeatures';

export async function assertTriggerCloudSupported(this: IPollFunctions): Promise<void> {
	const type = this.getNodeParameter('authentication', '') as string;
	if (!type) return;
	const credentials = await this.getCredentials(type);
	assertCloudSupports(this.getNode(), featureSetOf(credentials), 'messageDelta');
}
