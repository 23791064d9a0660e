import { managedIdentitySuite } from './managedIdentitySuite';

describe('managed identity through IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)', () => managedIdentitySuite('imds'));
