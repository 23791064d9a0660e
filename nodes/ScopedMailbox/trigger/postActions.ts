/**
 * What the trigger does to a message after taking it: mark it read, or move it. Neither can make it trigger
 * again: the read change comes back in the delta as an old message (isNewToFolder), a move out is a removal, and
 * "Move To" refuses watched folders.
 */

import { markAsRead, moveMessage } from './graph';
import type { MailContext } from './graph';

export type PostAction = { kind: 'none' } | { kind: 'markAsRead' } | { kind: 'move'; destination: string };

/** Returns the id the message has afterwards (the same one with immutable ids); throws what Graph answered. */
export async function runPostAction(
	this: MailContext,
	mailbox: string,
	id: string,
	action: PostAction,
): Promise<string> {
	if (action.kind === 'markAsRead') {
		await markAsRead.call(this, mailbox, id);
		return id;
	}
	if (action.kind === 'move') {
		const moved = await moveMessage.call(this, mailbox, id, action.destination);
		return typeof moved?.id === 'string' ? moved.id : id;
	}
	return id;
}
