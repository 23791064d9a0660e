/**
 * The emulator's world: one tenant's directory, Exchange configuration and mail store.
 * Shared by identity/, graph/ and exchange/; the scenario loader fills it.
 */

export interface Tenant {
	id: string; // GUID
	domain: string; // contoso.onmicrosoft.com
	displayName: string;
}

export interface AppSecret {
	id: string;
	value: string;
	expiresAt: number; // emulator epoch ms
}

export interface AppCertificate {
	id: string;
	certificatePem: string;
	publicKeyPem: string;
	thumbprintSha1: string; // hex upper-case
	thumbprintSha256: string; // hex upper-case
	notAfter: number; // epoch ms
	/** Only for certificates the emulator generated for a scenario: where the private key was written. */
	privateKeyPath?: string;
	certificatePath?: string;
}

/** An Entra app registration together with its service principal in the tenant. */
export interface AppRegistration {
	appId: string; // client id
	servicePrincipalId: string; // object id of the service principal (the `oid` of app-only tokens)
	displayName: string;
	secrets: AppSecret[];
	certificates: AppCertificate[];
	/** Graph application permissions granted with admin consent: Mail.Send, Mail.Read, Mail.ReadBasic, Mail.ReadWrite, ... */
	applicationPermissions: string[];
	/** Delegated permissions consented tenant-wide (or by users) for this client: Mail.Send.Shared, Mail.Read, offline_access, ... */
	delegatedPermissions: string[];
	publicClient: boolean; // device code / ROPC allowed without a secret
	redirectUris: string[];
}

/** A managed identity is a service principal without an app registration of its own. */
export interface ManagedIdentity {
	kind: 'system' | 'user';
	clientId: string; // appid claim
	objectId: string; // oid claim
	resourceId: string; // /subscriptions/.../Microsoft.ManagedIdentity/userAssignedIdentities/NAME (or the host resource for system)
	displayName: string;
	applicationPermissions: string[];
}

export type RecipientType = 'UserMailbox' | 'SharedMailbox';

export interface Mailbox {
	id: string; // Entra object id of the user / shared mailbox account
	upn: string; // user principal name; also the primary SMTP address here
	displayName: string;
	recipientType: RecipientType;
	alias: string;
	department?: string;
	customAttribute1?: string;
	/** Only user mailboxes can sign in (delegated flows). */
	password?: string;
}

export interface MailEnabledGroup {
	id: string;
	displayName: string;
	primarySmtpAddress: string;
	mailEnabledSecurity: boolean;
	memberIds: string[]; // mailbox ids
}

export interface ApplicationAccessPolicy {
	identity: string; // `${tenantId}\\${appId}:${policyScopeGroupId}`-like id
	appId: string;
	policyScopeGroupId: string; // group id
	accessRight: 'RestrictAccess' | 'DenyAccess';
	description: string;
	effectiveAt: number; // emulator epoch ms: before this the policy is not enforced (propagation delay)
	removedAt?: number; // set when removed: still enforced until it propagates
}

export interface ManagementScope {
	name: string;
	recipientRestrictionFilter: string;
}

export interface ManagementRoleAssignment {
	name: string;
	app: string; // appId / service principal
	role: string; // 'Application Mail.Send', 'Application Mail.Read', 'Application Mail.ReadBasic', 'Application Mail.ReadWrite'
	customResourceScope?: string; // ManagementScope name; none = whole organisation
	effectiveAt: number;
	removedAt?: number;
}

export interface ExchangeServicePrincipal {
	appId: string;
	objectId: string;
	displayName: string;
}

export interface MailboxPermission {
	mailboxId: string;
	userId: string;
	right: 'FullAccess' | 'SendAs' | 'SendOnBehalf';
}

export interface Recipient {
	name?: string;
	address: string;
}

export interface StoredAttachment {
	id: string;
	name: string;
	contentType: string;
	size: number;
	isInline: boolean;
	contentId?: string;
	content: Buffer;
	lastModifiedDateTime: string;
}

export interface StoredMessage {
	id: string; // opaque, URL-safe-ish like Graph's (may contain '-', '_', '=')
	internetMessageId: string;
	conversationId: string;
	folderId: string;
	subject: string;
	bodyType: 'text' | 'html';
	body: string;
	from?: Recipient;
	sender?: Recipient;
	toRecipients: Recipient[];
	ccRecipients: Recipient[];
	bccRecipients: Recipient[];
	replyTo: Recipient[];
	receivedDateTime: string; // ISO, emulator clock
	sentDateTime?: string;
	createdDateTime: string;
	lastModifiedDateTime: string;
	importance: 'low' | 'normal' | 'high';
	isRead: boolean;
	isDraft: boolean;
	categories: string[];
	flag: { flagStatus: 'notFlagged' | 'flagged' | 'complete' };
	internetMessageHeaders: { name: string; value: string }[];
	/** MAPI named/tagged properties set through Graph (`String {guid} Name X`, `String 0x007D`). */
	singleValueExtendedProperties?: { id: string; value: string }[];
	attachments: StoredAttachment[];
	changeKey: string;
	/** Monotonic per mailbox: drives delta queries. */
	version: number;
}

export interface MailFolder {
	id: string;
	displayName: string;
	wellKnownName?: string; // inbox, sentitems, drafts, deleteditems, junkemail, archive, outbox, ...
	parentFolderId?: string;
}

/** A removed message is remembered so delta can report `@removed`. */
export interface Tombstone {
	id: string;
	folderId: string;
	version: number;
}

export interface MailboxStore {
	mailboxId: string;
	folders: MailFolder[];
	messages: Map<string, StoredMessage>;
	tombstones: Tombstone[];
	version: number;
}

export interface Settings {
	latencyMs: number; // per Graph request
	tokenLatencyMs: number; // per token / managed-identity request
	mailboxConcurrency: number; // 4
	rateLimitPer10Min: number; // 10,000 per app per mailbox
	policyPropagationSeconds: number; // 0 by default in tests; Exchange takes 30 min - 2 h
	accessTokenLifetimeSeconds: number; // 3600 (Entra gives 60-90 min)
	refreshTokenLifetimeSeconds: number; // 90 days
	deviceCodeLifetimeSeconds: number; // 900
	pageSizeDefault: number; // 10
	pageSizeMax: number; // 1000
	deltaPageSizeDefault: number; // Graph's delta default for messages is 10 too
	deviceCodeIntervalSeconds: number; // polling interval the /devicecode answer tells clients (Entra: 5)
	authorizationCodeLifetimeSeconds: number; // 600 (Entra: ~10 min)
	/** Absolute lifetime of a sign-in session's refresh tokens (AADSTS70008 after it); 0 = until revoked. */
	refreshTokenMaxAgeSeconds: number;
	/** Exchange Online's message rate limit per mailbox (30/min): excess submissions wait in the Outbox. 0 = off. */
	messageRatePerMinute: number;
	/** Recipient rate limit per mailbox per rolling 24 h (10,000): excess -> NDR 554 5.2.0 to the sender. 0 = off. */
	recipientRatePerDay: number;
	/** Seconds between sendMail's 202 and the message showing anywhere in the sender's mailbox (Outbox / Sent Items). */
	sentItemsDelaySeconds: number;
}

export interface EmulatorState {
	tenant: Tenant;
	apps: AppRegistration[];
	managedIdentities: ManagedIdentity[];
	mailboxes: Mailbox[];
	groups: MailEnabledGroup[];
	applicationAccessPolicies: ApplicationAccessPolicy[];
	exchangeServicePrincipals: ExchangeServicePrincipal[];
	managementScopes: ManagementScope[];
	roleAssignments: ManagementRoleAssignment[];
	mailboxPermissions: MailboxPermission[];
	stores: Map<string, MailboxStore>; // by mailbox id
	settings: Settings;
}
