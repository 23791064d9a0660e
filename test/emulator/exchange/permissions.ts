/**
 * What each Graph mail permission and each Exchange "Application ..." role lets an identity do to a mailbox.
 * Entra app roles and RBAC roles share this table: an RBAC role "Application Mail.Read" grants what the Entra
 * application permission Mail.Read grants, only limited to its resource scope.
 */
export type MailCapability = 'readBasic' | 'read' | 'readWrite' | 'send';

const APP_PERMISSION_CAPABILITIES: Record<string, readonly MailCapability[]> = {
	'Mail.ReadBasic': ['readBasic'],
	'Mail.ReadBasic.All': ['readBasic'],
	'Mail.Read': ['readBasic', 'read'],
	'Mail.ReadWrite': ['readBasic', 'read', 'readWrite'],
	'Mail.Send': ['send'],
};

/** Exchange's built-in application roles (Get-ManagementRole *Application*), mail part. */
export const APPLICATION_ROLES: Record<string, readonly string[]> = {
	'Application Mail.ReadBasic': ['Mail.ReadBasic'],
	'Application Mail.Read': ['Mail.Read'],
	'Application Mail.ReadWrite': ['Mail.ReadWrite'],
	'Application Mail.Send': ['Mail.Send'],
	'Application Mail Full Access': ['Mail.ReadWrite', 'Mail.Send'],
	'Application Exchange Full Access': ['Mail.ReadWrite', 'Mail.Send'],
};

/** Delegated scopes reaching the signed-in user's own mailbox; the .Shared ones reach it too. */
const DELEGATED_OWN: Record<string, readonly MailCapability[]> = {
	'Mail.ReadBasic': ['readBasic'],
	'Mail.Read': ['readBasic', 'read'],
	'Mail.ReadWrite': ['readBasic', 'read', 'readWrite'],
	'Mail.Send': ['send'],
};

/** Delegated scopes reaching mailboxes other than the user's own (where the user holds rights there). */
const DELEGATED_SHARED: Record<string, readonly MailCapability[]> = {
	'Mail.Read.Shared': ['readBasic', 'read'],
	'Mail.ReadWrite.Shared': ['readBasic', 'read', 'readWrite'],
	'Mail.Send.Shared': ['send'],
};

function firstGranting(
	table: Record<string, readonly MailCapability[]>,
	held: Iterable<string>,
	capability: MailCapability,
) {
	for (const permission of held) {
		if (table[permission]?.includes(capability)) return permission;
	}
	return undefined;
}

/** The first application permission among `held` that grants `capability`. */
export function appPermissionGranting(held: Iterable<string>, capability: MailCapability): string | undefined {
	return firstGranting(APP_PERMISSION_CAPABILITIES, held, capability);
}

export function delegatedOwnScopeGranting(scopes: Iterable<string>, capability: MailCapability): string | undefined {
	return firstGranting(DELEGATED_OWN, scopes, capability) ?? firstGranting(DELEGATED_SHARED, scopes, capability);
}

export function delegatedSharedScopeGranting(scopes: Iterable<string>, capability: MailCapability): string | undefined {
	return firstGranting(DELEGATED_SHARED, scopes, capability);
}

export function roleGrants(role: string, capability: MailCapability): boolean {
	const permissions = APPLICATION_ROLES[canonicalRoleName(role) ?? ''];
	return !!permissions && appPermissionGranting(permissions, capability) !== undefined;
}

/** Role names are case-insensitive in Exchange; returns the canonical spelling or undefined when unknown. */
export function canonicalRoleName(role: string): string | undefined {
	const wanted = role.trim().toLowerCase();
	return Object.keys(APPLICATION_ROLES).find((name) => name.toLowerCase() === wanted);
}

export function rolePermissions(role: string): readonly string[] {
	return APPLICATION_ROLES[canonicalRoleName(role) ?? ''] ?? [];
}
