/**
 * Graph change notifications for Outlook messages: /v1.0/subscriptions (create, list, get, renew by PATCH,
 * reauthorize, delete), validation of notificationUrl and lifecycleNotificationUrl, delivery of `created`
 * notifications to HTTPS URLs on loopback with retries, lifecycle events, and fault controls in the admin API.
 * Sources for every rule: docs/fidelity.md, "Change notifications (i16-instant)".
 */
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

import { AdminError } from '../core/admin';
import type { AccessTokenClaims, EmulatorContext, EmuResponse } from '../core/context';
import { newGuid, randomToken } from '../core/ids';
import type { Mailbox, MailboxStore, StoredMessage } from '../core/state';
import { ACCESS_DENIED_MESSAGE, authorizeMailboxAccess } from '../exchange/authorize';
import { jsonBody, splitPath, type GraphCall } from './call';
import { findFolder, findMailbox, onMessageCreated } from './store';

export interface SubscriptionSettings {
	/** Outlook message: 10,080 minutes (under 7 days) on Learn today; older pages said 4,230. */
	maxExpirationMinutes: number;
	/** Graph waits 10 s for the validation answer. */
	validationTimeoutMs: number;
	/** A delivery not answered 2xx within 3 s is retried. */
	deliveryTimeoutMs: number;
	/** Retries go on for up to 4 hours (emulator clock), with exponential back-off (real time here). */
	retryForMinutes: number;
	retryBaseMs: number;
	retryMaxMs: number;
	/** reauthorizationRequired: first when this little lifetime is left, then every `repeat` minutes. */
	reauthorizationWindowMinutes: number;
	reauthorizationRepeatMinutes: number;
	/** 1,000 active subscriptions per mailbox for all applications. */
	maxPerMailbox: number;
	/** How often (real ms) expiry and reauthorization are looked at. */
	scanMs: number;
}

export const DEFAULT_SUBSCRIPTION_SETTINGS: SubscriptionSettings = {
	maxExpirationMinutes: 10080,
	validationTimeoutMs: 10_000,
	deliveryTimeoutMs: 3_000,
	retryForMinutes: 240,
	retryBaseMs: 250,
	retryMaxMs: 30_000,
	reauthorizationWindowMinutes: 180,
	reauthorizationRepeatMinutes: 15,
	maxPerMailbox: 1000,
	scanMs: 200,
};

export interface NotificationFaults {
	/** Fractions 0..1 of change notifications dropped / sent twice; seeded so runs repeat. */
	dropRate: number;
	duplicateRate: number;
	/** Change notifications held and shuffled in groups of this many (0/1 = in order). */
	reorderWindow: number;
	/** Extra delay before each delivery attempt. */
	delayMs: number;
	/** The next N change notifications are dropped. */
	dropNext: number;
	seed: number;
}

const NO_FAULTS: NotificationFaults = {
	dropRate: 0,
	duplicateRate: 0,
	reorderWindow: 0,
	delayMs: 0,
	dropNext: 0,
	seed: 1,
};

export interface Subscription {
	id: string;
	resource: string;
	changeType: string;
	clientState: string | null;
	notificationUrl: string;
	lifecycleNotificationUrl: string | null;
	expirationDateTime: number;
	applicationId: string;
	creatorId: string;
	delegated: boolean;
	mailboxId: string;
	/** undefined = every folder of the mailbox */
	folderId?: string;
	createdAt: number;
	lastReauthorizationAt?: number;
	reauthorizationsSent: number;
}

interface Delivery {
	seq: number;
	kind: 'change' | 'lifecycle';
	subscriptionId: string;
	url: string;
	items: Record<string, unknown>[];
	attempt: number;
	firstAt: number; // emulator clock
}

export interface NotificationLogEntry {
	seq: number;
	at: number;
	kind: 'validation' | 'change' | 'lifecycle' | 'dropped';
	subscriptionId?: string;
	url: string;
	/** HTTP status; 0 = no answer (connection error or time-out). */
	status: number;
	attempt: number;
	lifecycleEvent?: string;
	messageIds?: string[];
	ms: number;
	error?: string;
}

const MAX_LOG = 50_000;

export class SubscriptionService {
	readonly settings: SubscriptionSettings = { ...DEFAULT_SUBSCRIPTION_SETTINGS };
	faults: NotificationFaults = { ...NO_FAULTS };
	readonly subscriptions = new Map<string, Subscription>();
	readonly log: NotificationLogEntry[] = [];
	private logSeq = 0;
	private deliverySeq = 0;
	private rng = mulberry32(1);
	private held: Delivery[] = [];
	private heldTimer?: NodeJS.Timeout;
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly inFlight = new Set<Promise<void>>();
	private scanTimer?: NodeJS.Timeout;
	private unlisten?: () => void;
	private ca?: string;

	constructor(
		private readonly ctx: EmulatorContext,
		private readonly caCertPath: () => string | undefined,
	) {}

	start(): void {
		this.unlisten = onMessageCreated((store, msg) => this.messageCreated(store, msg));
		this.scanTimer = setInterval(() => this.scan(), this.settings.scanMs);
		this.scanTimer.unref();
	}

	stop(): void {
		this.unlisten?.();
		if (this.scanTimer) clearInterval(this.scanTimer);
		if (this.heldTimer) clearTimeout(this.heldTimer);
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	private trustedCa(): string | undefined {
		if (this.ca === undefined) {
			const path = this.caCertPath();
			this.ca = path ? readFileSync(path, 'utf8') : '';
		}
		return this.ca || undefined;
	}

	private addLog(entry: Omit<NotificationLogEntry, 'seq' | 'at'>): void {
		this.log.push({ seq: ++this.logSeq, at: this.ctx.clock.now(), ...entry });
		if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
	}

	// ---- HTTP out ----

	private post(
		url: string,
		body: string,
		contentType: string,
		timeoutMs: number,
	): Promise<{ status: number; contentType: string; body: string; ms: number; error?: string }> {
		const started = Date.now();
		return new Promise((resolve) => {
			let settled = false;
			const done = (r: { status: number; contentType: string; body: string; error?: string }) => {
				if (settled) return;
				settled = true;
				resolve({ ...r, ms: Date.now() - started });
			};
			try {
				const req = httpsRequest(
					url,
					{
						method: 'POST',
						ca: this.trustedCa(),
						headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
						timeout: timeoutMs,
					},
					(res) => {
						const chunks: Buffer[] = [];
						res.on('data', (c: Buffer) => chunks.push(c));
						res.on('end', () =>
							done({
								status: res.statusCode ?? 0,
								contentType: String(res.headers['content-type'] ?? ''),
								body: Buffer.concat(chunks).toString('utf8'),
							}),
						);
						res.on('error', (e) => done({ status: 0, contentType: '', body: '', error: e.message }));
					},
				);
				const timer = setTimeout(() => {
					req.destroy(new Error(`no answer within ${timeoutMs} ms`));
				}, timeoutMs);
				req.on('close', () => clearTimeout(timer));
				req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
				req.on('error', (e) => done({ status: 0, contentType: '', body: '', error: e.message }));
				req.end(body);
			} catch (e) {
				done({ status: 0, contentType: '', body: '', error: (e as Error).message });
			}
		});
	}

	/** POST {url}?validationToken=...: 200, text/plain, the token itself, within the time limit. */
	private async validate(url: string): Promise<string | undefined> {
		const token = `Validation: Testing client application reachability for subscription Request-Id: ${newGuid()} ${randomToken(9)}`;
		const target = new URL(url);
		target.searchParams.set('validationToken', token);
		const r = await this.post(target.toString(), '', 'text/plain; charset=utf-8', this.settings.validationTimeoutMs);
		this.addLog({ kind: 'validation', url, status: r.status, attempt: 1, ms: r.ms, error: r.error });
		if (r.status !== 200) return r.error ?? `answered ${r.status}`;
		if (!/^text\/plain/i.test(r.contentType)) return `answered with content type '${r.contentType}'`;
		if (r.body !== token) return 'answered with a body that is not the validation token';
		return undefined;
	}

	// ---- routes ----

	async handle(call: GraphCall): Promise<EmuResponse> {
		call.logTags.kind = 'graph';
		const ctx = this.ctx;
		const token = ctx.verifyGraphToken(call.headers.authorization);
		if (!token.ok) return token.response;
		const claims = token.claims;
		call.logTags.appId = claims.appid;
		const method = call.method.toUpperCase();
		const seg = call.segments; // ['subscriptions', id?, action?]
		if (seg.length === 1) {
			if (method === 'POST') return await this.create(call, claims);
			if (method === 'GET') return this.list(call, claims);
			return methodNotAllowed(ctx, method);
		}
		const sub = this.subscriptions.get(seg[1]);
		const visible = sub && this.visibleTo(sub, claims);
		if (seg.length === 3 && seg[2].toLowerCase() === 'reauthorize') {
			if (method !== 'POST') return methodNotAllowed(ctx, method);
			if (!sub || !visible) return notFoundSub(ctx, seg[1]);
			const access = this.checkAccess(claims, sub.mailboxId);
			if (access) return access;
			sub.lastReauthorizationAt = undefined;
			return { status: 204 };
		}
		if (seg.length !== 2) return ctx.graphError(400, 'BadRequest', `Resource not found for the segment '${seg[2]}'.`);
		if (!sub || !visible) return notFoundSub(ctx, seg[1]);
		const mailbox = ctx.state.mailboxes.find((m) => m.id === sub.mailboxId);
		if (mailbox) call.logTags.mailbox = mailbox.upn;
		if (method === 'GET') return { status: 200, body: this.json(call, sub, true) };
		if (method === 'DELETE') {
			this.subscriptions.delete(sub.id);
			return { status: 204 };
		}
		if (method === 'PATCH') {
			let body: Record<string, unknown>;
			try {
				body = jsonBody(call);
			} catch {
				return ctx.graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
			}
			const access = this.checkAccess(claims, sub.mailboxId);
			if (access) return access;
			if (body.expirationDateTime !== undefined) {
				const exp = this.expiration(body.expirationDateTime);
				if (typeof exp !== 'number') return exp;
				sub.expirationDateTime = exp;
			}
			if (typeof body.notificationUrl === 'string' && body.notificationUrl !== sub.notificationUrl) {
				const bad = this.checkUrl(body.notificationUrl, 'notificationUrl');
				if (bad) return bad;
				const failed = await this.validate(body.notificationUrl);
				if (failed) return validationFailed(ctx, failed);
				sub.notificationUrl = body.notificationUrl;
			}
			sub.lastReauthorizationAt = undefined;
			sub.reauthorizationsSent = 0;
			return { status: 200, body: this.json(call, sub, true) };
		}
		return methodNotAllowed(ctx, method);
	}

	private visibleTo(sub: Subscription, claims: AccessTokenClaims): boolean {
		if (sub.applicationId !== claims.appid) return false;
		// Delegated callers see the subscriptions their app made for them.
		return claims.idtyp === 'app' || sub.creatorId === claims.oid;
	}

	private list(call: GraphCall, claims: AccessTokenClaims): EmuResponse {
		const value = [...this.subscriptions.values()]
			.filter((s) => this.visibleTo(s, claims))
			.map((s) => this.json(call, s, false));
		return {
			status: 200,
			body: { '@odata.context': `${call.baseUrl}/v1.0/$metadata#subscriptions`, value },
		};
	}

	private json(call: GraphCall, s: Subscription, entity: boolean): Record<string, unknown> {
		return {
			...(entity ? { '@odata.context': `${call.baseUrl}/v1.0/$metadata#subscriptions/$entity` } : {}),
			id: s.id,
			resource: s.resource,
			applicationId: s.applicationId,
			changeType: s.changeType,
			clientState: s.clientState,
			notificationUrl: s.notificationUrl,
			notificationQueryOptions: null,
			lifecycleNotificationUrl: s.lifecycleNotificationUrl,
			expirationDateTime: new Date(s.expirationDateTime).toISOString(),
			creatorId: s.creatorId,
			includeResourceData: false,
			latestSupportedTlsVersion: 'v1_2',
			encryptionCertificate: null,
			encryptionCertificateId: null,
			notificationUrlAppId: null,
		};
	}

	private checkUrl(url: unknown, field: string): EmuResponse | undefined {
		if (typeof url !== 'string' || !url) return this.ctx.graphError(400, 'ValidationError', `${field} is required.`);
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			return this.ctx.graphError(400, 'ValidationError', `${field} is not a valid URL.`);
		}
		if (parsed.protocol !== 'https:')
			return this.ctx.graphError(400, 'ValidationError', `The ${field} must be an HTTPS URL.`);
		// The emulator delivers on loopback only: it is a test double, not a way to post to the internet.
		if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
			return this.ctx.graphError(
				400,
				'ValidationError',
				`Subscription validation request failed. The emulator delivers to loopback hosts only, not '${parsed.hostname}'.`,
			);
		return undefined;
	}

	private expiration(raw: unknown): number | EmuResponse {
		const t = typeof raw === 'string' ? Date.parse(raw) : NaN;
		if (!Number.isFinite(t))
			return this.ctx.graphError(400, 'ValidationError', 'expirationDateTime must be a date and time.');
		const now = this.ctx.clock.now();
		if (t <= now)
			return this.ctx.graphError(
				400,
				'ExtensionError',
				'Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration date time is in the past.]',
			);
		if (t > now + this.settings.maxExpirationMinutes * 60_000)
			return this.ctx.graphError(
				400,
				'ExtensionError',
				`Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be ${this.settings.maxExpirationMinutes} minutes in the future.]`,
			);
		return t;
	}

	/** Read access to the mailbox through the same Exchange scoping as any other request (Mail.ReadBasic is enough). */
	private checkAccess(claims: AccessTokenClaims, mailboxId: string): EmuResponse | undefined {
		const mailbox = this.ctx.state.mailboxes.find((m) => m.id === mailboxId);
		if (!mailbox) return this.ctx.graphError(404, 'ErrorInvalidUser', `The requested user '${mailboxId}' is invalid.`);
		if (claims.idtyp === 'user') {
			const own = claims.oid === mailbox.id || (!!claims.upn && claims.upn.toLowerCase() === mailbox.upn.toLowerCase());
			// Delegated subscriptions reach only the signed-in user's own mailbox; *.Shared does not subscribe.
			if (!own) return this.ctx.graphError(403, 'ExtensionError', ACCESS_DENIED_MESSAGE);
		}
		const full = authorizeMailboxAccess(this.ctx, claims, mailbox, 'read');
		if (full.allowed) return undefined;
		const basic = authorizeMailboxAccess(this.ctx, claims, mailbox, 'readBasic');
		return basic.allowed ? undefined : full.response;
	}

	private resolveResource(
		resource: string,
		claims: AccessTokenClaims,
	): { mailbox: Mailbox; store: MailboxStore; folderId?: string } | EmuResponse {
		const ctx = this.ctx;
		const seg = splitPath(resource.replace(/^\/+/, ''));
		let mailbox: Mailbox | undefined;
		let rest: string[];
		if (seg[0]?.toLowerCase() === 'users' && seg.length >= 2) {
			mailbox = findMailbox(ctx.state, seg[1]);
			rest = seg.slice(2);
		} else if (seg[0]?.toLowerCase() === 'me') {
			if (claims.idtyp !== 'user')
				return ctx.graphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
			mailbox = ctx.state.mailboxes.find((m) => m.id === claims.oid);
			rest = seg.slice(1);
		} else {
			return ctx.graphError(400, 'InvalidRequest', `Unsupported resource '${resource}' for change notifications.`);
		}
		if (!mailbox) return ctx.graphError(404, 'ErrorInvalidUser', `The requested user '${seg[1] ?? 'me'}' is invalid.`);
		const store = ctx.ensureStore(mailbox.id);
		const lower = rest.map((r) => r.toLowerCase());
		if (lower.length === 1 && lower[0] === 'messages') return { mailbox, store };
		if (lower.length === 3 && lower[0] === 'mailfolders' && lower[2] === 'messages') {
			const folder = findFolder(store, rest[1]);
			if (!folder) return ctx.graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
			return { mailbox, store, folderId: folder.id };
		}
		return ctx.graphError(400, 'InvalidRequest', `Unsupported resource '${resource}' for change notifications.`);
	}

	private async create(call: GraphCall, claims: AccessTokenClaims): Promise<EmuResponse> {
		const ctx = this.ctx;
		let body: Record<string, unknown>;
		try {
			body = jsonBody(call);
		} catch {
			return ctx.graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
		}
		const changeType = body.changeType;
		if (typeof changeType !== 'string' || !changeType)
			return ctx.graphError(400, 'ValidationError', 'changeType is required.');
		const types = changeType.split(',').map((t) => t.trim());
		if (types.some((t) => !['created', 'updated', 'deleted'].includes(t)))
			return ctx.graphError(400, 'ValidationError', `Invalid changeType '${changeType}'.`);
		if (typeof body.resource !== 'string' || !body.resource)
			return ctx.graphError(400, 'ValidationError', 'resource is required.');
		if (body.includeResourceData === true)
			return ctx.graphError(
				400,
				'ValidationError',
				'includeResourceData needs an encryptionCertificate; the emulator sends basic notifications only.',
			);
		if (body.clientState !== undefined && body.clientState !== null) {
			if (typeof body.clientState !== 'string' || body.clientState.length > 128)
				return ctx.graphError(400, 'ValidationError', 'clientState must be a string of at most 128 characters.');
		}
		const badUrl = this.checkUrl(body.notificationUrl, 'notificationUrl');
		if (badUrl) return badUrl;
		if (body.lifecycleNotificationUrl !== undefined && body.lifecycleNotificationUrl !== null) {
			const bad = this.checkUrl(body.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
			if (bad) return bad;
		}
		const exp = this.expiration(body.expirationDateTime);
		if (typeof exp !== 'number') return exp;
		const target = this.resolveResource(body.resource, claims);
		if (!('mailbox' in target)) return target;
		call.logTags.mailbox = target.mailbox.upn;
		const denied = this.checkAccess(claims, target.mailbox.id);
		if (denied) return denied;
		const active = [...this.subscriptions.values()].filter((s) => s.mailboxId === target.mailbox.id).length;
		if (active >= this.settings.maxPerMailbox)
			return ctx.graphError(
				403,
				'ExtensionError',
				`Operation: Create; Exception: [Status Code: Forbidden; Reason: The maximum number of ${this.settings.maxPerMailbox} subscriptions for the mailbox has been reached.]`,
			);
		for (const url of [body.notificationUrl, body.lifecycleNotificationUrl]) {
			if (typeof url !== 'string') continue;
			const failed = await this.validate(url);
			if (failed) return validationFailed(ctx, failed);
		}
		const sub: Subscription = {
			id: newGuid(),
			resource: body.resource,
			changeType,
			clientState: typeof body.clientState === 'string' ? body.clientState : null,
			notificationUrl: body.notificationUrl as string,
			lifecycleNotificationUrl:
				typeof body.lifecycleNotificationUrl === 'string' ? body.lifecycleNotificationUrl : null,
			expirationDateTime: exp,
			applicationId: claims.appid,
			creatorId: claims.oid,
			delegated: claims.idtyp === 'user',
			mailboxId: target.mailbox.id,
			folderId: target.folderId,
			createdAt: ctx.clock.now(),
			reauthorizationsSent: 0,
		};
		this.subscriptions.set(sub.id, sub);
		return { status: 201, body: this.json(call, sub, true) };
	}

	// ---- notifications ----

	private messageCreated(store: MailboxStore, msg: StoredMessage): void {
		if (this.ctx.state.stores.get(store.mailboxId) !== store) return; // another emulator in this process
		const now = this.ctx.clock.now();
		for (const sub of this.subscriptions.values()) {
			if (sub.mailboxId !== store.mailboxId || sub.expirationDateTime <= now) continue;
			if (!sub.changeType.split(',').includes('created')) continue;
			if (sub.folderId !== undefined && sub.folderId !== msg.folderId) continue;
			this.enqueueChange(sub, msg);
		}
	}

	private changeItem(sub: Subscription, msg: StoredMessage): Record<string, unknown> {
		const path = `Users/${sub.mailboxId}/Messages/${msg.id}`;
		return {
			subscriptionId: sub.id,
			subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
			changeType: 'created',
			resource: path,
			resourceData: {
				'@odata.type': '#Microsoft.Graph.Message',
				'@odata.id': path,
				'@odata.etag': `W/"${msg.changeKey}"`,
				id: msg.id,
			},
			clientState: sub.clientState,
			tenantId: this.ctx.state.tenant.id,
		};
	}

	private enqueueChange(sub: Subscription, msg: StoredMessage): void {
		const f = this.faults;
		const item = this.changeItem(sub, msg);
		if (f.dropNext > 0 || (f.dropRate > 0 && this.rng() < f.dropRate)) {
			if (f.dropNext > 0) f.dropNext--;
			this.addLog({
				kind: 'dropped',
				subscriptionId: sub.id,
				url: sub.notificationUrl,
				status: 0,
				attempt: 0,
				messageIds: [msg.id],
				ms: 0,
			});
			return;
		}
		const copies = f.duplicateRate > 0 && this.rng() < f.duplicateRate ? 2 : 1;
		for (let i = 0; i < copies; i++) {
			const d: Delivery = {
				seq: ++this.deliverySeq,
				kind: 'change',
				subscriptionId: sub.id,
				url: sub.notificationUrl,
				items: [item],
				attempt: 0,
				firstAt: this.ctx.clock.now(),
			};
			if (f.reorderWindow > 1) this.hold(d);
			else this.send(d);
		}
	}

	/** Reordering: deliveries wait until the window is full (or 100 ms pass) and go out shuffled. */
	private hold(d: Delivery): void {
		this.held.push(d);
		if (this.held.length >= this.faults.reorderWindow) this.flushHeld();
		else if (!this.heldTimer) {
			this.heldTimer = setTimeout(() => this.flushHeld(), 100);
		}
	}

	private flushHeld(): void {
		if (this.heldTimer) clearTimeout(this.heldTimer);
		this.heldTimer = undefined;
		const batch = this.held.splice(0);
		for (let i = batch.length - 1; i > 0; i--) {
			const j = Math.floor(this.rng() * (i + 1));
			[batch[i], batch[j]] = [batch[j], batch[i]];
		}
		for (const d of batch) this.send(d);
	}

	private later(ms: number, fn: () => void): void {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, ms);
		this.timers.add(t);
	}

	private send(d: Delivery): void {
		const delay = this.faults.delayMs;
		if (delay > 0) this.later(delay, () => this.attempt(d));
		else this.attempt(d);
	}

	private attempt(d: Delivery): void {
		const p = this.attemptNow(d).finally(() => this.inFlight.delete(p));
		this.inFlight.add(p);
	}

	private async attemptNow(d: Delivery): Promise<void> {
		d.attempt++;
		const sub = this.subscriptions.get(d.subscriptionId);
		// A removed subscription's pending change notifications are not delivered any more.
		if (!sub && d.kind === 'change') return;
		const body = JSON.stringify({ value: d.items });
		const r = await this.post(d.url, body, 'application/json; charset=utf-8', this.settings.deliveryTimeoutMs);
		const ok = r.status >= 200 && r.status < 300;
		this.addLog({
			kind: d.kind,
			subscriptionId: d.subscriptionId,
			url: d.url,
			status: r.status,
			attempt: d.attempt,
			lifecycleEvent: d.kind === 'lifecycle' ? String(d.items[0]?.lifecycleEvent) : undefined,
			messageIds:
				d.kind === 'change' ? d.items.map((i) => String((i.resourceData as Record<string, unknown>)?.id)) : undefined,
			ms: r.ms,
			error: ok ? undefined : (r.error ?? `status ${r.status}`),
		});
		if (ok) return;
		if (this.ctx.clock.now() - d.firstAt >= this.settings.retryForMinutes * 60_000) return; // discarded
		const backoff = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** (d.attempt - 1));
		this.later(backoff, () => this.attempt(d));
	}

	sendLifecycle(sub: Subscription, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): boolean {
		if (!sub.lifecycleNotificationUrl) return false;
		this.attempt({
			seq: ++this.deliverySeq,
			kind: 'lifecycle',
			subscriptionId: sub.id,
			url: sub.lifecycleNotificationUrl,
			items: [
				{
					subscriptionId: sub.id,
					subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
					tenantId: this.ctx.state.tenant.id,
					clientState: sub.clientState,
					lifecycleEvent: event,
				},
			],
			attempt: 0,
			firstAt: this.ctx.clock.now(),
		});
		return true;
	}

	/** Expiry deletes silently; a subscription close to expiry gets reauthorizationRequired, repeated. */
	scan(): void {
		const now = this.ctx.clock.now();
		const s = this.settings;
		for (const sub of [...this.subscriptions.values()]) {
			const left = sub.expirationDateTime - now;
			if (left <= 0) {
				this.subscriptions.delete(sub.id);
				this.addLog({
					kind: 'lifecycle',
					subscriptionId: sub.id,
					url: '',
					status: 0,
					attempt: 0,
					ms: 0,
					lifecycleEvent: 'expired',
				});
				continue;
			}
			if (left > s.reauthorizationWindowMinutes * 60_000) continue;
			if (
				sub.lastReauthorizationAt !== undefined &&
				now - sub.lastReauthorizationAt < s.reauthorizationRepeatMinutes * 60_000
			)
				continue;
			sub.lastReauthorizationAt = now;
			sub.reauthorizationsSent++;
			this.sendLifecycle(sub, 'reauthorizationRequired');
		}
	}

	/** Resolves when every delivery attempt started so far has been answered (retries scheduled later are not). */
	async settle(): Promise<void> {
		while (this.inFlight.size) await Promise.all([...this.inFlight]);
	}

	adminView(s: Subscription): Record<string, unknown> {
		const mailbox = this.ctx.state.mailboxes.find((m) => m.id === s.mailboxId);
		return {
			Id: s.id,
			Resource: s.resource,
			ChangeType: s.changeType,
			NotificationUrl: s.notificationUrl,
			LifecycleNotificationUrl: s.lifecycleNotificationUrl,
			ExpirationDateTime: new Date(s.expirationDateTime).toISOString(),
			ApplicationId: s.applicationId,
			CreatorId: s.creatorId,
			Mailbox: mailbox?.upn,
			FolderId: s.folderId ?? null,
			HasClientState: s.clientState !== null,
			ReauthorizationsSent: s.reauthorizationsSent,
		};
	}

	find(id: unknown): Subscription {
		if (typeof id !== 'string' || !id) throw new AdminError('Parameter Id is required');
		const sub = this.subscriptions.get(id);
		if (!sub) throw new AdminError(`The subscription '${id}' was not found.`, 404, 'ManagementObjectNotFound');
		return sub;
	}

	setFaults(body: Record<string, unknown>): NotificationFaults {
		const num = (v: unknown, name: string, max = Infinity): number | undefined => {
			if (v === undefined) return undefined;
			if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max)
				throw new AdminError(`${name} must be a number from 0 to ${max}`);
			return v;
		};
		const f = { ...this.faults };
		f.dropRate = num(body.DropRate, 'DropRate', 1) ?? f.dropRate;
		f.duplicateRate = num(body.DuplicateRate, 'DuplicateRate', 1) ?? f.duplicateRate;
		f.reorderWindow = num(body.ReorderWindow, 'ReorderWindow', 10_000) ?? f.reorderWindow;
		f.delayMs = num(body.DelayMs, 'DelayMs', 600_000) ?? f.delayMs;
		f.dropNext = num(body.DropNext, 'DropNext', 1e9) ?? f.dropNext;
		if (body.Seed !== undefined) {
			f.seed = num(body.Seed, 'Seed') ?? 1;
			this.rng = mulberry32(f.seed);
		}
		this.faults = f;
		return f;
	}

	clearFaults(): void {
		this.faults = { ...NO_FAULTS };
		this.flushHeld();
	}
}

function methodNotAllowed(ctx: EmulatorContext, method: string): EmuResponse {
	return ctx.graphError(405, 'ErrorInvalidRequest', `The HTTP method '${method}' is not allowed on this resource.`);
}

function notFoundSub(ctx: EmulatorContext, id: string): EmuResponse {
	return ctx.graphError(404, 'ResourceNotFound', `The object '${id}' was not found.`);
}

function validationFailed(ctx: EmulatorContext, why: string): EmuResponse {
	return ctx.graphError(
		400,
		'ValidationError',
		`Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request. (${why})`,
	);
}

function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SETTING_NAMES: Record<string, keyof SubscriptionSettings> = {
	MaxExpirationMinutes: 'maxExpirationMinutes',
	ValidationTimeoutMs: 'validationTimeoutMs',
	DeliveryTimeoutMs: 'deliveryTimeoutMs',
	RetryForMinutes: 'retryForMinutes',
	RetryBaseMs: 'retryBaseMs',
	RetryMaxMs: 'retryMaxMs',
	ReauthorizationWindowMinutes: 'reauthorizationWindowMinutes',
	ReauthorizationRepeatMinutes: 'reauthorizationRepeatMinutes',
	MaxPerMailbox: 'maxPerMailbox',
};

export function registerSubscriptions(ctx: EmulatorContext, caCertPath: () => string | undefined): SubscriptionService {
	const service = new SubscriptionService(ctx, caCertPath);
	const route = (req: Parameters<Parameters<typeof ctx.router.add>[2]>[0]) =>
		service.handle({
			method: req.method,
			segments: splitPath(req.rawPath).slice(1),
			query: req.query,
			headers: req.headers,
			body: req.body,
			baseUrl: req.baseUrl,
			rawPath: req.rawPath,
			logTags: req.logTags,
		});
	ctx.router.add('*', '/v1.0/subscriptions', route);
	ctx.router.add('*', '/v1.0/subscriptions/*rest', route);
	const a = ctx.admin;
	a.register('Get-Subscriptions', (body: { Mailbox?: string }) => {
		const mailbox = body.Mailbox ? findMailbox(ctx.state, body.Mailbox) : undefined;
		return [...service.subscriptions.values()]
			.filter((s) => !mailbox || s.mailboxId === mailbox.id)
			.map((s) => service.adminView(s));
	});
	a.register('Remove-Subscription', (body: { Id?: string; Notify?: boolean }) => {
		const sub = service.find(body.Id);
		service.subscriptions.delete(sub.id);
		const notified = body.Notify === false ? false : service.sendLifecycle(sub, 'subscriptionRemoved');
		return { Id: sub.id, Removed: true, Notified: notified };
	});
	a.register('Send-LifecycleEvent', (body: { Id?: string; Event?: string }) => {
		const sub = service.find(body.Id);
		const event = body.Event;
		if (event !== 'reauthorizationRequired' && event !== 'subscriptionRemoved' && event !== 'missed')
			throw new AdminError('Event must be reauthorizationRequired, subscriptionRemoved or missed');
		if (event === 'subscriptionRemoved') service.subscriptions.delete(sub.id);
		if (!service.sendLifecycle(sub, event))
			throw new AdminError(`The subscription '${sub.id}' has no lifecycleNotificationUrl`);
		return { Id: sub.id, Event: event };
	});
	a.register('Set-NotificationFaults', (body: Record<string, unknown>) => service.setFaults(body));
	a.register('Clear-NotificationFaults', () => {
		service.clearFaults();
		return service.faults;
	});
	a.register('Get-NotificationLog', (body: { Since?: number; Kind?: string }) =>
		service.log.filter((e) => (body.Since === undefined || e.seq > body.Since) && (!body.Kind || e.kind === body.Kind)),
	);
	a.register('Set-SubscriptionSettings', (body: Record<string, unknown>) => {
		for (const [k, v] of Object.entries(body)) {
			const key = SETTING_NAMES[k];
			if (!key) throw new AdminError(`Unknown subscription setting '${k}'`);
			if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new AdminError(`${k} must be a number`);
			service.settings[key] = v;
		}
		return service.settings;
	});
	a.register('Get-SubscriptionSettings', () => service.settings);
	a.register('Invoke-SubscriptionScan', () => {
		service.scan();
		return { Subscriptions: service.subscriptions.size };
	});
	// Tests wait on this instead of sleeping: every delivery attempt started so far has been answered (retries
	// scheduled for later, reorder holds and delayed attempts are not waited for).
	a.register('Wait-NotificationDeliveries', async () => {
		await service.settle();
		return { Delivered: service.log.filter((e) => e.kind === 'change' || e.kind === 'lifecycle').length };
	});
	service.start();
	return service;
}
