import type { EmulatorContext } from '../core/context';
import { registerApplicationAccessPolicyCmdlets } from './cmdlets/applicationAccessPolicy';
import { registerRbacCmdlets } from './cmdlets/rbac';
import { registerRecipientCmdlets } from './cmdlets/recipients';

export { authorizeMailboxAccess } from './authorize';
export type { MailCapability, MailboxAccessDecision } from './authorize';

/** Registers Exchange Online's admin cmdlets (ApplicationAccessPolicy, RBAC for Applications, recipients). */
export function registerExchange(ctx: EmulatorContext): void {
	registerApplicationAccessPolicyCmdlets(ctx);
	registerRbacCmdlets(ctx);
	registerRecipientCmdlets(ctx);
}
