/**
 * The Graph v1.0 mail API: /v1.0/users/{id|upn}/... and /v1.0/me/..., /v1.0/$batch, the upload-session host,
 * the mail admin operations and the scenario seeding hook.
 */
import type { EmulatorContext, EmuRequest } from '../core/context';
import { registerMailAdmin, seedMessages } from './admin';
import { registerCloudAdmin } from './cloud';
import { handleBatch } from './batch';
import { splitPath, type GraphCall } from './call';
import { handleGraphCall } from './dispatch';
import { handleUpload } from './upload';

export { seedMessages } from './admin';

function toCall(req: EmuRequest): GraphCall {
	return {
		method: req.method,
		segments: splitPath(req.rawPath).slice(1),
		query: req.query,
		headers: req.headers,
		body: req.body,
		baseUrl: req.baseUrl,
		rawPath: req.rawPath,
		logTags: req.logTags,
	};
}

export function registerGraph(ctx: EmulatorContext): void {
	ctx.router.add('*', '/v1.0/*rest', (req) => {
		const call = toCall(req);
		return call.segments.length === 1 && call.segments[0].toLowerCase() === '$batch'
			? handleBatch(ctx, call)
			: handleGraphCall(ctx, call);
	});
	ctx.router.add('*', '/api/gv1.0/*rest', (req) => handleUpload(ctx, req));
	registerMailAdmin(ctx);
	registerCloudAdmin(ctx);
	ctx.hooks.seedMessages = (mailbox, folder, count) => seedMessages(ctx, mailbox, folder, count);
}
