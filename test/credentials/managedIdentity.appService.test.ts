import { managedIdentitySuite } from './managedIdentitySuite';

describe('managed identity through App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER)', () =>
	managedIdentitySuite('appService'));
