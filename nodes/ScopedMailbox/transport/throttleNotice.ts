/**
 * Throttling as the user sees it: the node's "Max Wait on Throttling (Minutes)" and the notices while it waits.
 */
import type { GraphContext } from './http';
import { throttleBudgetFromMinutes } from './retry';

/**
 * The node's "Max Wait on Throttling (Minutes)". The trigger and the pickers do not have it (the default applies);
 * their getNodeParameter takes no item index, so the parameter is only read where the node declares it.
 */
export function throttleBudgetOf(ctx: GraphContext, itemIndex: number): number {
	const declared = ctx.getNode().parameters?.throttleWaitMinutes;
	if (declared === undefined) return throttleBudgetFromMinutes(undefined);
	if (typeof declared === 'number') return throttleBudgetFromMinutes(declared);
	try {
		return throttleBudgetFromMinutes(ctx.getNodeParameter('throttleWaitMinutes', itemIndex, undefined));
	} catch {
		return throttleBudgetFromMinutes(undefined);
	}
}

const hinted = new WeakMap<object, Set<string>>();

/**
 * Says that the node is waiting on Graph: n8n's log (every wait), the editor's console during manual runs, and
 * once per execution and mailbox a hint on the node's output. n8n has no "waiting" status for a running node.
 */
export function throttleReporter(
	ctx: GraphContext,
	mailbox: string | undefined,
	method: string,
	path: string,
	itemIndex: number,
	budgetMs: number,
) {
	return (delayMs: number, status: number, retryAfterMs: number | undefined) => {
		const seconds = Math.max(1, Math.round(delayMs / 1000));
		const message = `Microsoft Graph throttled ${method} ${path}${mailbox ? ` for mailbox ${mailbox}` : ''} (${status}${retryAfterMs !== undefined ? `, Retry-After ${Math.round(retryAfterMs / 1000)} s` : ''}); waiting ${seconds} s before sending it again (item ${itemIndex}, max wait ${Math.round(budgetMs / 60_000)} min per request)`;
		const meta = { status, delayMs, retryAfterMs, itemIndex, mailbox };
		if (ctx.logger?.info) ctx.logger.info(message, meta);
		else ctx.logger?.warn(message, meta);
		try {
			ctx.sendMessageToUI?.(message);
		} catch {
			// Only manual runs have an editor to talk to.
		}
		const key = mailbox ?? '';
		let seen = hinted.get(ctx);
		if (!seen) hinted.set(ctx, (seen = new Set()));
		if (seen.has(key) || typeof ctx.addExecutionHints !== 'function') return;
		seen.add(key);
		try {
			ctx.addExecutionHints({
				message: `Microsoft Graph throttled requests${mailbox ? ` to ${mailbox}` : ''}: the node waited as Graph asked (Retry-After), up to ${Math.round(budgetMs / 60_000)} min per request ("Max Wait on Throttling"). n8n's log has each wait.`,
				type: 'info',
				location: 'outputPane',
			});
		} catch {
			// Hints are informational.
		}
	};
}
