/**
 * Recipient look-ups the way Exchange's RecipientIdParameter resolves them: by object id, primary SMTP address,
 * alias, name/display name (case-insensitive), and group membership including nested groups.
 */
import type { EmulatorState, Mailbox, MailEnabledGroup } from '../core/state';

const same = (a: string | undefined, b: string) => !!a && a.toLowerCase() === b.toLowerCase();

export function findMailbox(state: EmulatorState, identity: string): Mailbox | undefined {
	const key = String(identity ?? '').trim();
	if (!key) return undefined;
	return (
		state.mailboxes.find((m) => same(m.id, key) || same(m.upn, key)) ??
		state.mailboxes.find((m) => same(m.alias, key) || same(m.displayName, key))
	);
}

export function findGroup(state: EmulatorState, identity: string): MailEnabledGroup | undefined {
	const key = String(identity ?? '').trim();
	if (!key) return undefined;
	return (
		state.groups.find((g) => same(g.id, key) || same(g.primarySmtpAddress, key)) ??
		state.groups.find((g) => same(g.displayName, key) || same(aliasOf(g), key))
	);
}

/** Groups have no alias field in state; Exchange derives it from the address's local part. */
export function aliasOf(group: MailEnabledGroup): string {
	return group.primarySmtpAddress.split('@')[0];
}

/** Member of `group` directly or through nested groups (member ids may name other groups). */
export function isMemberOf(state: EmulatorState, mailboxId: string, group: MailEnabledGroup): boolean {
	const seen = new Set<string>();
	const walk = (g: MailEnabledGroup): boolean => {
		if (seen.has(g.id)) return false;
		seen.add(g.id);
		for (const memberId of g.memberIds) {
			if (memberId === mailboxId) return true;
			const nested = state.groups.find((candidate) => candidate.id === memberId);
			if (nested && walk(nested)) return true;
		}
		return false;
	};
	return walk(group);
}
