import type { EmulatorState, Mailbox } from './core/state';
import { OpathError, compileRecipientFilter } from './exchange/opath';

const mailbox = (m: Partial<Mailbox> & Pick<Mailbox, 'id' | 'upn' | 'displayName'>): Mailbox => ({
	recipientType: 'UserMailbox',
	alias: m.upn.split('@')[0],
	...m,
});

const shared = mailbox({
	id: 'm-shared',
	upn: 'notifications@contoso.onmicrosoft.com',
	displayName: 'Logic App Notifications',
	recipientType: 'SharedMailbox',
	department: 'Operations',
	customAttribute1: 'n8n-scoped',
});
const alex = mailbox({
	id: 'm-alex',
	upn: 'alex@contoso.onmicrosoft.com',
	displayName: "Alex O'Neil",
	department: 'Sales',
});
const finance = mailbox({
	id: 'm-finance',
	upn: 'finance@contoso.onmicrosoft.com',
	displayName: 'Finance',
	recipientType: 'SharedMailbox',
});

const state = {
	mailboxes: [shared, alex, finance],
	groups: [
		{
			id: 'g-1',
			displayName: 'Scoped, Mailboxes',
			primarySmtpAddress: 'scoped@contoso.onmicrosoft.com',
			mailEnabledSecurity: true,
			memberIds: ['m-shared', 'g-2'],
		},
		{
			id: 'g-2',
			displayName: 'Nested',
			primarySmtpAddress: 'nested@contoso.onmicrosoft.com',
			mailEnabledSecurity: true,
			memberIds: ['m-finance'],
		},
	],
} as unknown as EmulatorState;

const matching = (filter: string) =>
	state.mailboxes.filter((m) => compileRecipientFilter(filter, state).matches(m)).map((m) => m.id);

describe('OPATH recipient filters', () => {
	test.each([
		["PrimarySmtpAddress -eq 'notifications@contoso.onmicrosoft.com'", ['m-shared']],
		['PrimarySmtpAddress -eq "NOTIFICATIONS@contoso.onmicrosoft.com"', ['m-shared']],
		["Alias -ne 'alex'", ['m-shared', 'm-finance']],
		["DisplayName -like 'Logic*'", ['m-shared']],
		["Name -like '*o*'", ['m-shared', 'm-alex']],
		["Name -notlike '*o*'", ['m-finance']],
		["RecipientTypeDetails -eq 'SharedMailbox'", ['m-shared', 'm-finance']],
		["RecipientTypeDetails -eq 'UserMailbox'", ['m-alex']],
		["RecipientType -eq 'UserMailbox'", ['m-shared', 'm-alex', 'm-finance']],
		["Department -eq 'Sales' -or CustomAttribute1 -eq 'n8n-scoped'", ['m-alex', 'm-shared']],
		["RecipientTypeDetails -eq 'SharedMailbox' -and -not(CustomAttribute1 -eq 'n8n-scoped')", ['m-finance']],
		["-not (Department -eq 'Sales') -and (Alias -like 'n*' -or Alias -like 'f*')", ['m-shared', 'm-finance']],
		['CustomAttribute1 -eq $null', ['m-alex', 'm-finance']],
		['CustomAttribute1 -ne $null', ['m-shared']],
		["CustomAttribute7 -eq ''", ['m-shared', 'm-alex', 'm-finance']],
		["CustomAttribute15 -like '*'", ['m-shared', 'm-alex', 'm-finance']],
		["DisplayName -eq 'Alex O''Neil'", ['m-alex']],
		['DisplayName -eq "Alex O\'Neil"', ['m-alex']],
		['Alias -eq alex', ['m-alex']],
		["Department -eq 'Sales' -or Department -eq 'Operations' -and Alias -eq 'nobody'", ['m-alex']],
		[
			"MemberOfGroup -eq 'CN=Scoped\\, Mailboxes,OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=x'",
			['m-shared'],
		],
		["MemberOfGroup -eq 'scoped@contoso.onmicrosoft.com'", ['m-shared']],
		["MemberOfGroup -ne 'nested@contoso.onmicrosoft.com'", ['m-shared', 'm-alex']],
	])('%s', (filter, expected) => {
		expect(matching(filter).sort()).toEqual([...expected].sort());
	});

	test('-like treats regular-expression characters literally', () => {
		expect(matching("PrimarySmtpAddress -like 'notifications@contoso.onmicrosoft.co?'")).toEqual([]);
		expect(matching("PrimarySmtpAddress -like '*.onmicrosoft.com'")).toHaveLength(3);
	});

	test.each([
		["Alias -eq 'x' -and", /Invalid filter syntax/],
		["Alias -gt 'x'", /Invalid filter syntax/],
		["(Alias -eq 'x'", /Invalid filter syntax/],
		["Alias -eq 'x')", /Invalid filter syntax/],
		["Alias -eq 'unterminated", /Invalid filter syntax/],
		["Alias 'x'", /Invalid filter syntax/],
		["'Alias' -eq 'x'", /Invalid filter syntax/],
		["Manager -eq 'x'", /"Manager" is not a recognized filterable property/],
		["CustomAttribute16 -eq 'x'", /"CustomAttribute16" is not a recognized filterable property/],
		["MemberOfGroup -like 'x*'", /isn't supported for property "MemberOfGroup"/],
		["MemberOfGroup -eq 'CN=No Such Group,DC=x'", /couldn't be found/],
		['', /can't be empty/],
	])('rejects %p', (filter, message) => {
		expect(() => compileRecipientFilter(filter, state)).toThrow(OpathError);
		expect(() => compileRecipientFilter(filter, state)).toThrow(message);
	});

	test('syntax errors name the position', () => {
		expect(() => compileRecipientFilter("Alias -eq 'a' -or -or", state)).toThrow(/at position 19\./);
	});
});
