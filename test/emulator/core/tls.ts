/**
 * The emulator's test CA and its server certificate. The CA is made once per checkout (or per caDir) so that a
 * test process can trust it from its start through NODE_EXTRA_CA_CERTS; server certificates are issued per run.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import forge from 'node-forge';

export interface TestCa {
	dir: string;
	certPath: string;
	certPem: string;
	keyPem: string;
}

export interface ServerCertificate {
	certPem: string;
	keyPem: string;
}

export function defaultCaDir(): string {
	return resolve(process.env.SCOPED_MAILBOX_EMULATOR_CA_DIR ?? join(__dirname, '..', '..', '.tmp', 'ca'));
}

function serial(): string {
	// Positive, 16 bytes: browsers and OpenSSL reject negative or zero serials.
	return '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
}

export function ensureCa(dir = defaultCaDir()): TestCa {
	const certPath = join(dir, 'ca.pem');
	const keyPath = join(dir, 'ca.key.pem');
	if (existsSync(certPath) && existsSync(keyPath)) {
		return { dir, certPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
	}
	mkdirSync(dir, { recursive: true });
	const keys = forge.pki.rsa.generateKeyPair(2048);
	const cert = forge.pki.createCertificate();
	cert.publicKey = keys.publicKey;
	cert.serialNumber = serial();
	cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
	cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
	const subject = [{ name: 'commonName', value: 'Scoped Mailbox Emulator Test CA' }];
	cert.setSubject(subject);
	cert.setIssuer(subject);
	cert.setExtensions([
		{ name: 'basicConstraints', cA: true, critical: true },
		{ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
		{ name: 'subjectKeyIdentifier' },
	]);
	cert.sign(keys.privateKey, forge.md.sha256.create());
	const certPem = forge.pki.certificateToPem(cert);
	const keyPem = forge.pki.privateKeyToPem(keys.privateKey);
	// Written under temporary names and renamed, so parallel test workers never read half a file.
	const tag = `${process.pid}.${Date.now()}`;
	writeFileSync(`${keyPath}.${tag}`, keyPem, { mode: 0o600 });
	writeFileSync(`${certPath}.${tag}`, certPem);
	renameSync(`${keyPath}.${tag}`, keyPath);
	renameSync(`${certPath}.${tag}`, certPath);
	return { dir, certPath, certPem, keyPem };
}

export function issueServerCertificate(
	ca: TestCa,
	hosts: string[] = ['127.0.0.1', 'localhost', '::1'],
): ServerCertificate {
	const caCert = forge.pki.certificateFromPem(ca.certPem);
	const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
	const keys = forge.pki.rsa.generateKeyPair(2048);
	const cert = forge.pki.createCertificate();
	cert.publicKey = keys.publicKey;
	cert.serialNumber = serial();
	cert.validity.notBefore = new Date(Date.now() - 3600 * 1000);
	cert.validity.notAfter = new Date(Date.now() + 30 * 24 * 3600 * 1000);
	cert.setSubject([{ name: 'commonName', value: hosts[0] }]);
	cert.setIssuer(caCert.subject.attributes);
	const altNames = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
	cert.setExtensions([
		{ name: 'basicConstraints', cA: false },
		{ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
		{ name: 'extKeyUsage', serverAuth: true },
		{ name: 'subjectAltName', altNames },
	]);
	cert.sign(caKey, forge.md.sha256.create());
	return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}
