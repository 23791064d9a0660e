/** Folders every Exchange mailbox has, by the names Graph accepts in place of a folder ID. */
export const WELL_KNOWN_FOLDERS = [
	{ name: 'Inbox', value: 'inbox' },
	{ name: 'Sent Items', value: 'sentitems' },
	{ name: 'Drafts', value: 'drafts' },
	{ name: 'Deleted Items', value: 'deleteditems' },
	{ name: 'Junk Email', value: 'junkemail' },
	{ name: 'Archive', value: 'archive' },
	{ name: 'Outbox', value: 'outbox' },
];
