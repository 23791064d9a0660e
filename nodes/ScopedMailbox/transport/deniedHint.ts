/**
 * The "what to do" of a denied mailbox: Exchange Online PowerShell filled in with this identity's app ID (or
 * user), the mailbox and the role the refused request needs, ready to paste. Cmdlet parameters as Microsoft
 * Learn documents them (docs/fidelity.md, "Exchange admin commands").
 */
import { odataString } from './paths';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A PowerShell single-quoted string: a quote inside is doubled. */
function ps(value: string): string {
	return `'${value.replace(/'/g, "''")}'`;
}

/** The RBAC for Applications role a request needs: reads, sends, or everything that changes mail. */
export function roleFor(method: string, path: string): string {
	const action = /\/(sendMail|send|reply|replyAll|forward)$/i.exec(path.split('?')[0]);
	if (method.toUpperCase() === 'POST' && action) return 'Application Mail.Send';
	if (method.toUpperCase() === 'GET') return 'Application Mail.Read';
	return 'Application Mail.ReadWrite';
}

interface IdentityFacts {
	appId?: string;
	user?: string;
}

/** Reads back what describeIdentity (errors.ts) wrote: `app <id> "name"` or `user <upn> (app <id> "name")`. */
function factsOf(identity: string | undefined): IdentityFacts {
	if (!identity) return {};
	const user = /^user (\S+)/.exec(identity)?.[1];
	const appId = /\bapp ([0-9a-f-]{36})\b/i.exec(identity)?.[1];
	return { appId, user };
}

export interface DeniedContext {
	mailbox?: string;
	identity?: string;
	method: string;
	path: string;
}

export function deniedFix(context: DeniedContext): string {
	const mailbox = context.mailbox ?? '<mailbox>';
	const { appId: knownAppId, user } = factsOf(context.identity);
	const appId = knownAppId ?? '<app ID>';
	const role = roleFor(context.method, context.path);
	const lines: string[] = [];
	if (user) {
		const sends = role === 'Application Mail.Send';
		lines.push(
			`Intended? Then nothing to do. Otherwise give ${user} rights on ${mailbox} in Exchange Online PowerShell (Connect-ExchangeOnline):`,
			`Get-MailboxPermission -Identity ${ps(mailbox)} -User ${ps(user)}`,
			sends
				? `Add-RecipientPermission -Identity ${ps(mailbox)} -Trustee ${ps(user)} -AccessRights SendAs -Confirm:$false`
				: `Add-MailboxPermission -Identity ${ps(mailbox)} -User ${ps(user)} -AccessRights FullAccess -InheritanceType All -AutoMapping $false`,
			'Also check that the app has the delegated permission (Mail.Send.Shared, Mail.ReadWrite.Shared) with consent.',
		);
	} else {
		const scope = `n8n ${mailbox}`;
		const filter = GUID.test(mailbox)
			? `ExternalDirectoryObjectId -eq '${odataString(mailbox)}'`
			: `PrimarySmtpAddress -eq '${odataString(mailbox)}'`;
		lines.push(
			`Intended? Then nothing to do. Otherwise, in Exchange Online PowerShell (Connect-ExchangeOnline):`,
			`RBAC for Applications: see what the app may do in the mailbox, then scope "${role}" to it:`,
			`Test-ServicePrincipalAuthorization -Identity ${ps(appId)} -Resource ${ps(mailbox)}`,
			`New-ManagementScope -Name ${ps(scope)} -RecipientRestrictionFilter "${filter.replace(/[`"$]/g, '`$&')}"`,
			`New-ManagementRoleAssignment -App ${ps(appId)} -Role ${ps(role)} -CustomResourceScope ${ps(scope)}`,
			`(Once per app, before the role assignment: New-ServicePrincipal -AppId ${ps(appId)} -ObjectId <object ID of its Enterprise application>.)`,
			`ApplicationAccessPolicy: see whether a policy lets the app in, and which group the mailbox must join:`,
			`Test-ApplicationAccessPolicy -Identity ${ps(mailbox)} -AppId ${ps(appId)}`,
			`Get-ApplicationAccessPolicy | Where-Object AppId -eq ${ps(appId)} | Format-List ScopeName, AccessRight`,
			`Add-DistributionGroupMember -Identity '<ScopeName from above>' -Member ${ps(mailbox)}`,
		);
	}
	lines.push('Exchange can take 30 minutes to 2 hours to apply scoping changes.');
	return lines.join('\n');
}
