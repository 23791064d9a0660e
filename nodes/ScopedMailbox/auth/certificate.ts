/**
 * Certificate credentials: the user pastes the PEM private key (optionally passphrase-protected) and the PEM
 * certificate (optionally with its chain); the package derives what msal-node needs.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ScopedMailboxAuthError } from './errors';

export type ThumbprintAlgorithm = 'sha256' | 'sha1';

export interface CertificateInput {
	privateKey?: unknown;
	passphrase?: unknown;
	certificate?: unknown;
	thumbprintAlgorithm?: unknown;
	sendCertificateChain?: unknown;
}

export interface LoadedCertificate {
	/** Unencrypted PKCS#8 PEM for msal: a secret, redact it like the original. */
	privateKeyPem: string;
	thumbprintSha1: string; // upper-case hex
	thumbprintSha256: string; // upper-case hex
	/** What msal's clientCertificate wants. */
	msal: { privateKey: string; thumbprintSha256?: string; thumbprint?: string; x5c?: string };
	subject: string;
	notAfter: Date;
	/** Whole days from now until the certificate expires (negative when expired). */
	daysLeft(now?: Date): number;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Pasted PEM often arrives with literal "\n", CRLF or leading spaces. */
export function normalisePem(value: unknown): string {
	if (typeof value !== 'string') return '';
	return (
		value
			.replace(/\\n/g, '\n')
			.replace(/\r\n?/g, '\n')
			.split('\n')
			.map((line) => line.trim())
			.filter(Boolean)
			// Traditional encrypted keys need the blank line that ends their headers.
			.map((line) => (line.startsWith('DEK-Info:') ? `${line}\n` : line))
			.join('\n')
			.trim()
	);
}

function blocks(text: string, kind: (label: string) => boolean): string[] {
	return [...text.matchAll(PEM_BLOCK)].filter((m) => kind(m[1])).map((m) => `${m[0]}\n`);
}

const invalid = (message: string, field: string, description?: string) =>
	new ScopedMailboxAuthError(message, { reason: 'certificateInvalid', field, description });

function readKey(pem: string, passphrase: string): KeyObject {
	const keyBlocks = blocks(pem, (label) => label.includes('PRIVATE KEY'));
	if (keyBlocks.length === 0) {
		throw invalid(
			'Private Key is not a PEM private key',
			'privateKey',
			'Paste the whole PEM key, including its -----BEGIN and -----END lines (a PKCS#8, encrypted PKCS#8 or RSA key). A .pfx file must be converted first: openssl pkcs12 -in cert.pfx -nocerts -out key.pem',
		);
	}
	const encrypted = /ENCRYPTED/.test(keyBlocks[0]);
	if (encrypted && !passphrase) {
		throw invalid('The private key is encrypted: enter its Passphrase', 'passphrase');
	}
	try {
		return createPrivateKey({ key: keyBlocks[0], format: 'pem', passphrase: passphrase || undefined });
	} catch (error) {
		// The error text from OpenSSL carries no key material, but we use our own words anyway.
		const bad = /bad decrypt|passphrase|decrypt/i.test(String((error as Error)?.message));
		if (encrypted || bad) throw invalid('The Passphrase does not decrypt the private key', 'passphrase');
		throw invalid(
			'Private Key could not be read',
			'privateKey',
			'Supported: RSA keys in PKCS#8 ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY", optionally encrypted) PEM.',
		);
	}
}

export function loadCertificate(input: CertificateInput): LoadedCertificate {
	const keyText = normalisePem(input.privateKey);
	const certText = normalisePem(input.certificate);
	const passphrase = typeof input.passphrase === 'string' ? input.passphrase : '';
	if (!keyText) throw invalid('Private Key is required for certificate authentication', 'privateKey');
	const key = readKey(keyText, passphrase);
	if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
		throw invalid(
			`The private key is ${key.asymmetricKeyType ?? 'not RSA'}: Entra app certificates must be RSA`,
			'privateKey',
		);
	}
	// A combined PEM (key + certificate in one file) pasted into Private Key is accepted.
	let certificates = blocks(certText, (label) => label === 'CERTIFICATE');
	if (certificates.length === 0) certificates = blocks(keyText, (label) => label === 'CERTIFICATE');
	if (certificates.length === 0) {
		throw invalid(
			'Certificate is required: paste the PEM certificate ("-----BEGIN CERTIFICATE-----")',
			'certificate',
			'Use the certificate whose public part was uploaded to the app registration; add intermediate certificates after it to send the chain.',
		);
	}
	let leaf: X509Certificate;
	try {
		leaf = new X509Certificate(certificates[0]);
	} catch {
		throw invalid('Certificate could not be read as an X.509 PEM certificate', 'certificate');
	}
	if (!leaf.checkPrivateKey(key)) {
		throw invalid(
			'Private Key and Certificate do not belong together',
			'certificate',
			'The first certificate must be the one issued for this private key (the one uploaded to the app registration).',
		);
	}
	const hex = (fingerprint: string) => fingerprint.replace(/:/g, '').toUpperCase();
	const thumbprintSha1 = hex(leaf.fingerprint);
	const thumbprintSha256 = hex(leaf.fingerprint256);
	const privateKeyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
	const algorithm: ThumbprintAlgorithm = input.thumbprintAlgorithm === 'sha1' ? 'sha1' : 'sha256';
	const msal: LoadedCertificate['msal'] = { privateKey: privateKeyPem };
	// SHA-256 makes msal sign PS256 with x5t#S256; SHA-1 gives RS256 with x5t (older ADFS-era setups).
	if (algorithm === 'sha256') msal.thumbprintSha256 = thumbprintSha256;
	else msal.thumbprint = thumbprintSha1;
	if (input.sendCertificateChain === true) msal.x5c = certificates.join('');
	const notAfter = new Date(leaf.validTo);
	return {
		privateKeyPem,
		thumbprintSha1,
		thumbprintSha256,
		msal,
		subject: leaf.subject.replace(/\n/g, ', '),
		notAfter,
		daysLeft: (now = new Date()) => Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
	};
}
