/**
 * What the credential's Test button finds (identity, permissions, token expiry, certificate days left), for a
 * Test Access run: n8n 2.41's credential dialog shows only "Connection tested successfully", so a user sees
 * these details only here. The text is the Test button's own (methods/credentialTest.ts).
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { AcquiredToken } from '../../auth/acquire';
import { loadCertificate } from '../../auth/certificate';
import { accessTokenOf, DEFAULT_CREDENTIAL_TYPE } from '../../auth/registry';
import { describeAccessToken } from '../../auth/tokenClaims';
import { CERTIFICATE_WARNING_DAYS, successMessage } from '../../auth/tokenReport';

function usesCertificate(credentials: IDataObject): boolean {
	return credentials.authMethod === 'certificate' || credentials.clientAuth === 'certificate';
}

/** `credentialCheck` of a Test Access row: the Test button's summary plus its facts as fields. */
export async function credentialReport(this: IExecuteFunctions): Promise<IDataObject> {
	const credentialType = this.getNodeParameter('authentication', 0, DEFAULT_CREDENTIAL_TYPE) as string;
	let credentials: IDataObject;
	try {
		credentials = await this.getCredentials(credentialType);
	} catch {
		return { summary: 'The credential could not be read.' };
	}
	const accessToken = accessTokenOf(credentialType, credentials);
	if (!accessToken) return { summary: 'No access token has been issued yet.' };

	const claims = describeAccessToken(accessToken);
	const token: AcquiredToken = { accessToken, expiresOn: claims?.expiresOn };
	const report: IDataObject = {};
	if (usesCertificate(credentials)) {
		try {
			const certificate = loadCertificate(credentials);
			token.certificate = {
				notAfter: certificate.notAfter,
				daysLeft: certificate.daysLeft(),
				thumbprintSha1: certificate.thumbprintSha1,
				thumbprintSha256: certificate.thumbprintSha256,
				subject: certificate.subject,
			};
			report.certificate = {
				subject: certificate.subject,
				thumbprintSha1: certificate.thumbprintSha1,
				expires: certificate.notAfter.toISOString(),
				daysLeft: token.certificate.daysLeft,
				renewSoon: token.certificate.daysLeft < CERTIFICATE_WARNING_DAYS,
			};
		} catch {
			report.certificate = { note: 'The certificate in the credential could not be read.' };
		}
	}
	if (claims?.expiresOn) {
		report.tokenExpiresInMinutes = Math.round((claims.expiresOn.getTime() - Date.now()) / 60_000);
	}
	// The summary holds claims and certificate facts only; the token itself never leaves this function.
	return { summary: successMessage(token), ...report };
}
