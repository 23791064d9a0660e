/** Makes the emulator's test CA before a test process starts, so NODE_EXTRA_CA_CERTS can point at it. */
import { ensureCa } from './core/tls';

const ca = ensureCa();
process.stdout.write(`${ca.certPath}\n`);
