import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import type { AppCertificate } from './state';
import { newGuid } from './ids';

export interface GeneratedCertificate extends AppCertificate {
	privateKeyPem: string;
}

export function thumbprints(certificatePem: string): {
	sha1: string;
	sha256: string;
	publicKeyPem: string;
	notAfter: number;
} {
	const x509 = new X509Certificate(certificatePem);
	return {
		sha1: createHash('sha1').update(x509.raw).digest('hex').toUpperCase(),
		sha256: createHash('sha256').update(x509.raw).digest('hex').toUpperCase(),
		publicKeyPem: x509.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		notAfter: Date.parse(x509.validTo),
	};
}

export function registeredCertificate(certificatePem: string): AppCertificate {
	const t = thumbprints(certificatePem);
	return {
		id: newGuid(),
		certificatePem,
		publicKeyPem: t.publicKeyPem,
		thumbprintSha1: t.sha1,
		thumbprintSha256: t.sha256,
		notAfter: t.notAfter,
	};
}

/** A self-signed certificate as an admin would make for an app registration; key and cert written as PEM files. */
export function generateAppCertificate(
	subject: string,
	dir: string,
	fileStem: string,
	validDays = 365,
): GeneratedCertificate {
	// Node makes the key (fast, native); forge builds the X.509 around it.
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
	const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
	const cert = forge.pki.createCertificate();
	cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
	cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
	cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
	cert.validity.notAfter = new Date(Date.now() + validDays * 24 * 3600 * 1000);
	const attrs = [{ name: 'commonName', value: subject }];
	cert.setSubject(attrs);
	cert.setIssuer(attrs);
	cert.setExtensions([
		{ name: 'basicConstraints', cA: false },
		{ name: 'keyUsage', digitalSignature: true, critical: true },
	]);
	cert.sign(forgeKey, forge.md.sha256.create());
	const certificatePem = forge.pki.certificateToPem(cert);
	const privateKeyPath = join(dir, `${fileStem}.key.pem`);
	const certificatePath = join(dir, `${fileStem}.cert.pem`);
	writeFileSync(privateKeyPath, privateKeyPem, { mode: 0o600 });
	writeFileSync(certificatePath, certificatePem);
	return { ...registeredCertificate(certificatePem), privateKeyPem, privateKeyPath, certificatePath };
}
