import type { AccessTokenDescription } from '../../auth/tokenClaims';

export type Capability = 'readMetadata' | 'readContent' | 'send';
export type Verdict = 'Granted' | 'Denied' | 'Mailbox not found' | 'Error' | 'Not tested';

export const CAPABILITY_LABEL: Record<Capability, string> = {
	readMetadata: 'read message metadata',
	readContent: 'read message content',
	send: 'send mail',
};

/** Exchange RBAC for Applications roles and the Entra permissions that give each capability. */
const APPLICATION_ROLE: Record<Capability, string> = {
	readMetadata: 'Application Mail.ReadBasic',
	readContent: 'Application Mail.Read',
	send: 'Application Mail.Send',
};
const DELEGATED_SCOPE: Record<Capability, string> = {
	readMetadata: 'Mail.ReadBasic.Shared',
	readContent: 'Mail.Read.Shared',
	send: 'Mail.Send.Shared',
};

interface ProbeDescription {
	request: string;
	proves: string;
	cannotProve: string;
}

const READ_PROBES: Record<'readMetadata' | 'readContent', ProbeDescription> = {
	readMetadata: {
		request: 'GET messages?$top=1&$select=id',
		proves: 'Whether the identity may list messages (Mail.ReadBasic or more) in this mailbox.',
		cannotProve: 'Access to folders or items it was not asked for; an empty mailbox still counts as granted.',
	},
	readContent: {
		request: 'GET messages?$top=1&$select=id,body',
		proves: 'Whether the identity may read message bodies (Mail.Read or more) in this mailbox.',
		cannotProve: 'Write access (Mail.ReadWrite): moving, deleting or drafting is not tried.',
	},
};

const SEND_PROBES: Record<'target' | 'control' | 'off', ProbeDescription> = {
	target: {
		request: 'POST sendMail to the probe recipient, saveToSentItems false',
		proves:
			'That a message sent as this mailbox is accepted (202): the right to send and the message path work end to end.',
		cannotProve:
			'Delivery: 202 means accepted, the message may still be delayed or end in a non-delivery report. Send As for other mailboxes is not tried.',
	},
	control: {
		request: 'POST sendMail without recipients, saveToSentItems false (nothing can be delivered or stored)',
		proves:
			'400 ErrorInvalidRecipients: Exchange let the identity send as this mailbox and refused only the empty recipient list. 403: the right to send is missing.',
		cannotProve:
			'That Exchange checks the right before the recipients in every case: Microsoft documents no order. If it checked the recipients first, this probe would report a leak that is not there (never hide one). Confirm a reported send leak with Test-ServicePrincipalAuthorization or Test-ApplicationAccessPolicy.',
	},
	off: {
		request: 'none',
		proves: 'Nothing: sending was not tested.',
		cannotProve: 'Whether the identity can send; turn on "Send a Probe Message" to test it.',
	},
};

/** What each probe of a row asked Graph, what its verdict proves and what it cannot (shown in the output). */
export function describeProbes(role: 'target' | 'control', sendProbe: boolean): Record<Capability, ProbeDescription> {
	return { ...READ_PROBES, send: SEND_PROBES[sendProbe ? role : 'off'] };
}

export const PROPAGATION_NOTE =
	'Exchange caches permissions: changes to RBAC for Applications, application access policies and mailbox permissions can take up to two hours to apply. Run Test Access again after that.';

/** PowerShell single-quoted string: a quote is escaped by doubling it. */
export function psQuote(value: string): string {
	return `'${value.replace(/'/g, "''")}'`;
}

/** An OPATH filter naming exactly this mailbox, inside a double-quoted PowerShell string. */
function recipientFilter(mailbox: string): string {
	const opathValue = mailbox.replace(/'/g, "''").replace(/"/g, '""').replace(/[`$]/g, '`$&');
	return mailbox.includes('@')
		? `"PrimarySmtpAddress -eq '${opathValue}'"`
		: `"ExternalDirectoryObjectId -eq '${opathValue}'"`;
}

function scopeName(mailbox: string): string {
	return `n8n scope ${mailbox.replace(/[^A-Za-z0-9@._-]/g, '_')}`.slice(0, 64);
}

export function grantScript(
	identity: AccessTokenDescription | undefined,
	mailbox: string,
	missing: Capability[],
): string {
	if (identity?.kind === 'delegated') return delegatedGrantScript(identity, mailbox, missing);
	const appId = identity?.appId || '<application (client) id>';
	const objectId = identity?.objectId || '<service principal object id>';
	const name = identity?.displayName || 'n8n Scoped Mailbox';
	const scope = scopeName(mailbox);
	const lines = [
		'# Exchange Online PowerShell (Connect-ExchangeOnline). RBAC for Applications, recommended:',
		`New-ServicePrincipal -AppId ${psQuote(appId)} -ObjectId ${psQuote(objectId)} -DisplayName ${psQuote(name)}   # once per app; skip if it exists`,
		`New-ManagementScope -Name ${psQuote(scope)} -RecipientRestrictionFilter ${recipientFilter(mailbox)}`,
		...missing.map(
			(c) =>
				`New-ManagementRoleAssignment -App ${psQuote(appId)} -Role ${psQuote(APPLICATION_ROLE[c])} -CustomResourceScope ${psQuote(scope)}`,
		),
		`Test-ServicePrincipalAuthorization -Identity ${psQuote(appId)} -Resource ${psQuote(mailbox)}`,
		'# Then remove the unscoped Entra grants (Graph application permissions Mail.*) of this app, or they reach every mailbox:',
		...unscopedGrantRemoval(identity, objectId),
		'# Legacy route (ApplicationAccessPolicy, deprecated): a mail-enabled security group holding the mailbox',
		`# New-DistributionGroup -Name 'n8n mailboxes' -Type Security -Members ${psQuote(mailbox)}`,
		`# New-ApplicationAccessPolicy -AppId ${psQuote(appId)} -PolicyScopeGroupId 'n8n mailboxes' -AccessRight RestrictAccess -Description 'n8n Scoped Mailbox'`,
		`# Test-ApplicationAccessPolicy -AppId ${psQuote(appId)} -Identity ${psQuote(mailbox)}`,
	];
	return lines.join('\n');
}

function unscopedGrantRemoval(identity: AccessTokenDescription | undefined, objectId: string): string[] {
	const mailRoles = (identity?.roles ?? []).filter((r) => /^Mail\./i.test(r));
	const lines = [
		'# Microsoft Graph PowerShell (Connect-MgGraph -Scopes AppRoleAssignment.ReadWrite.All):',
		`Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId ${psQuote(objectId)}   # note the Id of each Mail.* assignment`,
		`Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId ${psQuote(objectId)} -AppRoleAssignmentId '<assignment id>'`,
	];
	if (mailRoles.length) lines.push(`# Unscoped Mail permissions in this token: ${mailRoles.join(', ')}`);
	return lines;
}

export function leakScript(
	identity: AccessTokenDescription | undefined,
	controlMailbox: string,
	targets: string[],
): string {
	if (identity?.kind === 'delegated') {
		const user = identity.upn || '<user>';
		return [
			'# Exchange Online PowerShell (Connect-ExchangeOnline):',
			`Remove-MailboxPermission -Identity ${psQuote(controlMailbox)} -User ${psQuote(user)} -AccessRights FullAccess -InheritanceType All -Confirm:$false`,
			`Remove-RecipientPermission -Identity ${psQuote(controlMailbox)} -Trustee ${psQuote(user)} -AccessRights SendAs -Confirm:$false`,
			`# Check: Get-MailboxPermission -Identity ${psQuote(controlMailbox)} -User ${psQuote(user)}`,
		].join('\n');
	}
	const appId = identity?.appId || '<application (client) id>';
	const objectId = identity?.objectId || '<service principal object id>';
	const mailRoles = (identity?.roles ?? []).filter((r) => /^Mail\./i.test(r));
	const roles = mailRoles.length ? mailRoles : ['Mail.Send'];
	const lines = [
		`# The app's Entra permissions (${roles.join(', ')}) reach every mailbox; Exchange RBAC grants only add to them.`,
		'# 1. Give the app what it needs, scoped to its mailboxes (Exchange Online PowerShell):',
		`New-ServicePrincipal -AppId ${psQuote(appId)} -ObjectId ${psQuote(objectId)} -DisplayName 'n8n Scoped Mailbox'   # skip if it exists`,
	];
	for (const target of targets) {
		const scope = scopeName(target);
		lines.push(`New-ManagementScope -Name ${psQuote(scope)} -RecipientRestrictionFilter ${recipientFilter(target)}`);
		for (const role of roles) {
			const rbacRole = `Application ${role.replace(/\.All$/i, '')}`;
			lines.push(
				`New-ManagementRoleAssignment -App ${psQuote(appId)} -Role ${psQuote(rbacRole)} -CustomResourceScope ${psQuote(scope)}`,
			);
		}
	}
	lines.push('# 2. Remove the unscoped Entra grants:', ...unscopedGrantRemoval(identity, objectId));
	lines.push(
		`# 3. Check: Test-ServicePrincipalAuthorization -Identity ${psQuote(appId)} -Resource ${psQuote(controlMailbox)}   # InScope must be False`,
		'# Legacy route instead of 1-2 (ApplicationAccessPolicy, deprecated): restrict the app to a mail-enabled security group',
		`# New-DistributionGroup -Name 'n8n mailboxes' -Type Security -Members ${targets.map(psQuote).join(',') || "'<mailbox>'"}`,
		`# New-ApplicationAccessPolicy -AppId ${psQuote(appId)} -PolicyScopeGroupId 'n8n mailboxes' -AccessRight RestrictAccess -Description 'n8n Scoped Mailbox'`,
		`# Test-ApplicationAccessPolicy -AppId ${psQuote(appId)} -Identity ${psQuote(controlMailbox)}   # AccessCheckResult must be Denied`,
	);
	return lines.join('\n');
}

function delegatedGrantScript(identity: AccessTokenDescription, mailbox: string, missing: Capability[]): string {
	const user = identity.upn || '<user>';
	const lines = ['# Exchange Online PowerShell (Connect-ExchangeOnline):'];
	if (missing.some((c) => c !== 'send')) {
		lines.push(
			`Add-MailboxPermission -Identity ${psQuote(mailbox)} -User ${psQuote(user)} -AccessRights FullAccess -InheritanceType All -AutoMapping $false`,
		);
	}
	if (missing.includes('send')) {
		lines.push(
			`Add-RecipientPermission -Identity ${psQuote(mailbox)} -Trustee ${psQuote(user)} -AccessRights SendAs -Confirm:$false`,
		);
	}
	const scopes = missing.map((c) => DELEGATED_SCOPE[c]).filter((s) => !identity.scopes.includes(s));
	if (scopes.length) {
		lines.push(
			`# The token also needs the delegated Graph permissions ${scopes.join(', ')} (consent them on the app registration, then sign in again).`,
		);
	}
	return lines.join('\n');
}
