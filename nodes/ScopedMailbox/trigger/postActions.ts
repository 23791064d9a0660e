/**
 * What the trigger does to a message after taking it: mark it read, or move it. Neither can make it trigger
 * again: the delta asks for created entries only (a read change is an update), a move out is a removal, and a
 * move into another watched folder is recorded as emitted under the new id.
 */
import type { IPollFunctions } from 'n8n-workflow';

import { markAsRead, moveMessage } from './graph';

export type PostAction = { kind: 'none' } | { kind: 'markAsRead' } | { kind: 'move'; destination: string };

/** Returns the id the message has afterwards (a move gives a new one); throws what Graph answered. */
export async function runPostAction(
	this: IPollFunctions,
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
