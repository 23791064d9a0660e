/**
 * Mail-store operations shared by the Graph routes and the admin operations: folder look-up, message insert,
 * change tracking for delta (every change takes the mailbox's next version), moves with new ids like Exchange.
 */
import type { EmulatorContext } from '../core/context';
import type { EmulatorState, Mailbox, MailboxStore, MailFolder, Recipient, StoredMessage } from '../core/state';
import { internetMessageId, newChangeKey, newConversationId, newFolderId, newImmutableId, newMessageId } from './ids';

/** A forced delta reset (admin Reset-DeltaState): tokens issued before it for the folder fail. */
export interface DeltaReset {
	seq: number;
	folderId?: string; // all folders when absent
	mode: '410' | 'syncStateNotFound';
}

interface SideState {
	/** Version at which an id first appeared (a move gives a new id): delta's changeType=created. */
	createdVersion: Map<string, number>;
	resets: DeltaReset[];
	/** Tombstones older than this were trimmed: delta tokens from before it cannot be served. */
	tombstoneFloor: number;
	rootId: string;
	/** REST id -> immutable id (kept for removed ids too: their delta tombstones are reported in either format). */
	immutable: Map<string, string>;
	/** Immutable id -> the message's current REST id. */
	byImmutable: Map<string, string>;
	/** REST id -> the version at which its read state last changed (delta reports those with changeType=created). */
	readChanged: Map<string, number>;
	/**
	 * What a changeType=created round also reports about messages that were already there (see delta.ts):
	 * 'documented' = @removed entries and read-state changes (Graph's note), 'all' = every update, 'none'.
	 */
	createdExtras: 'documented' | 'all' | 'none';
	/** Extra entries carry only id, isRead and parentFolderId (as a Graph user saw, docs issue #7776). */
	partialExtras: boolean;
}

const MAX_TOMBSTONES = 50_000;
const side = new WeakMap<MailboxStore, SideState>();

/** Told of every message that appears in a folder (insert, move, copy): change notifications listen here. */
export type MessageCreatedListener = (store: MailboxStore, msg: StoredMessage) => void;
const createdListeners = new Set<MessageCreatedListener>();

export function onMessageCreated(listener: MessageCreatedListener): () => void {
	createdListeners.add(listener);
	return () => createdListeners.delete(listener);
}

function announce(store: MailboxStore, msg: StoredMessage): void {
	for (const listener of createdListeners) listener(store, msg);
}

export function sideOf(store: MailboxStore): SideState {
	let s = side.get(store);
	if (!s) {
		const root = store.folders.find((f) => f.wellKnownName === 'msgfolderroot');
		s = {
			createdVersion: new Map(),
			resets: [],
			tombstoneFloor: 0,
			rootId: root?.id ?? newFolderId(),
			immutable: new Map(),
			byImmutable: new Map(),
			readChanged: new Map(),
			createdExtras: 'documented',
			partialExtras: false,
		};
		side.set(store, s);
	}
	return s;
}

export function findMailbox(state: EmulatorState, ref: string): Mailbox | undefined {
	const key = ref.trim().toLowerCase();
	return state.mailboxes.find((m) => m.id.toLowerCase() === key || m.upn.toLowerCase() === key);
}

export function nextVersion(store: MailboxStore): number {
	store.version += 1;
	return store.version;
}

export function rootFolderId(store: MailboxStore): string {
	return sideOf(store).rootId;
}

/** Top-level folders hang under the root; the root itself is never listed. */
export function parentOf(store: MailboxStore, folder: MailFolder): string {
	return folder.parentFolderId ?? rootFolderId(store);
}

export function findFolder(store: MailboxStore, ref: string): MailFolder | undefined {
	const byId = store.folders.find((f) => f.id === ref);
	if (byId) return byId;
	const lower = ref.toLowerCase();
	return store.folders.find((f) => f.wellKnownName?.toLowerCase() === lower);
}

export function wellKnown(store: MailboxStore, name: string): MailFolder {
	const f = store.folders.find((x) => x.wellKnownName === name);
	if (f) return f;
	const created: MailFolder = { id: newFolderId(), displayName: name, wellKnownName: name };
	store.folders.push(created);
	return created;
}

/** Well-known name, id or display name (scenario seeding and admin operations), created under the root when new. */
export function folderForAdmin(store: MailboxStore, ref: string | undefined): MailFolder {
	const name = ref ?? 'inbox';
	const found =
		findFolder(store, name) ?? store.folders.find((f) => f.displayName.toLowerCase() === name.toLowerCase());
	if (found) return found;
	return createFolder(store, name, undefined);
}

export function createFolder(store: MailboxStore, displayName: string, parentFolderId: string | undefined): MailFolder {
	const folder: MailFolder = { id: newFolderId(), displayName, parentFolderId: parentFolderId ?? rootFolderId(store) };
	store.folders.push(folder);
	return folder;
}

export function childFolders(store: MailboxStore, parentId: string): MailFolder[] {
	return store.folders.filter(
		(f) => f.wellKnownName !== 'msgfolderroot' && f.id !== parentId && parentOf(store, f) === parentId,
	);
}

export function domainOf(state: EmulatorState): string {
	return state.tenant.domain;
}

export interface NewMessage {
	subject?: string;
	bodyType?: 'text' | 'html';
	body?: string;
	from?: Recipient;
	sender?: Recipient;
	toRecipients?: Recipient[];
	ccRecipients?: Recipient[];
	bccRecipients?: Recipient[];
	replyTo?: Recipient[];
	importance?: StoredMessage['importance'];
	isRead?: boolean;
	isDraft?: boolean;
	categories?: string[];
	flag?: StoredMessage['flag'];
	internetMessageHeaders?: StoredMessage['internetMessageHeaders'];
	singleValueExtendedProperties?: StoredMessage['singleValueExtendedProperties'];
	attachments?: StoredMessage['attachments'];
	receivedDateTime?: string;
	sentDateTime?: string;
	conversationId?: string;
	internetMessageId?: string;
}

export function insertMessage(
	ctx: EmulatorContext,
	store: MailboxStore,
	folderId: string,
	m: NewMessage,
): StoredMessage {
	const now = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
	const version = nextVersion(store);
	const msg: StoredMessage = {
		id: newMessageId(),
		internetMessageId: m.internetMessageId ?? internetMessageId(domainOf(ctx.state)),
		conversationId: m.conversationId ?? newConversationId(),
		folderId,
		subject: m.subject ?? '',
		bodyType: m.bodyType ?? 'html',
		body: m.body ?? '',
		from: m.from,
		sender: m.sender ?? m.from,
		toRecipients: m.toRecipients ?? [],
		ccRecipients: m.ccRecipients ?? [],
		bccRecipients: m.bccRecipients ?? [],
		replyTo: m.replyTo ?? [],
		receivedDateTime: m.receivedDateTime ?? now,
		sentDateTime: m.sentDateTime ?? (m.isDraft ? undefined : now),
		createdDateTime: now,
		lastModifiedDateTime: now,
		importance: m.importance ?? 'normal',
		isRead: m.isRead ?? false,
		isDraft: m.isDraft ?? false,
		categories: m.categories ?? [],
		flag: m.flag ?? { flagStatus: 'notFlagged' },
		internetMessageHeaders: m.internetMessageHeaders ?? [],
		singleValueExtendedProperties: m.singleValueExtendedProperties?.map((p) => ({ ...p })) ?? [],
		attachments: m.attachments ?? [],
		changeKey: newChangeKey(),
		version,
	};
	store.messages.set(msg.id, msg);
	sideOf(store).createdVersion.set(msg.id, version);
	announce(store, msg);
	return msg;
}

/**
 * Records a change to a message (PATCH, attachment added): delta reports it as updated. A change of the read
 * state alone leaves lastModifiedDateTime as it was (reported by delta clients: alcionai/corso#1866).
 */
export function touch(
	ctx: EmulatorContext,
	store: MailboxStore,
	msg: StoredMessage,
	change: { readStateOnly?: boolean; readStateChanged?: boolean } = {},
): void {
	msg.version = nextVersion(store);
	msg.changeKey = newChangeKey();
	if (change.readStateChanged || change.readStateOnly) sideOf(store).readChanged.set(msg.id, msg.version);
	if (!change.readStateOnly)
		msg.lastModifiedDateTime = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function removeMessage(store: MailboxStore, msg: StoredMessage): void {
	store.messages.delete(msg.id);
	const s = sideOf(store);
	s.createdVersion.delete(msg.id);
	store.tombstones.push({ id: msg.id, folderId: msg.folderId, version: nextVersion(store) });
	if (store.tombstones.length > MAX_TOMBSTONES) {
		const dropped = store.tombstones.splice(0, store.tombstones.length - MAX_TOMBSTONES);
		s.tombstoneFloor = dropped[dropped.length - 1].version;
	}
}

/**
 * The immutable id of a message (created on first use). It stays with the item while it stays in the mailbox:
 * moves keep it, a copy is a new item with its own (Microsoft Learn, "Obtain immutable identifiers for Outlook
 * resources").
 */
export function immutableIdOf(store: MailboxStore, restId: string): string {
	const s = sideOf(store);
	let imm = s.immutable.get(restId);
	if (!imm) {
		imm = newImmutableId();
		s.immutable.set(restId, imm);
		s.byImmutable.set(imm, restId);
	}
	return imm;
}

/** The stored message an id names, in either format; a REST id from before a move names nothing any more. */
export function lookupMessage(store: MailboxStore, id: string): StoredMessage | undefined {
	const direct = store.messages.get(id);
	if (direct) return direct;
	const rest = sideOf(store).byImmutable.get(id);
	return rest ? store.messages.get(rest) : undefined;
}

/** Ids in the format the request asked for: immutable with `Prefer: IdType="ImmutableId"`, else REST ids. */
export function idFormatter(store: MailboxStore, immutable: boolean): (restId: string) => string {
	return immutable ? (restId) => immutableIdOf(store, restId) : (restId) => restId;
}

/**
 * Exchange gives a moved item a new REST id; the old one is gone from the source folder (delta: @removed) and
 * answers 404. The immutable id moves with the item.
 */
export function moveMessage(store: MailboxStore, msg: StoredMessage, folderId: string): StoredMessage {
	const imm = immutableIdOf(store, msg.id);
	removeMessage(store, msg);
	const version = nextVersion(store);
	const moved: StoredMessage = { ...msg, id: newMessageId(), folderId, version, changeKey: newChangeKey() };
	store.messages.set(moved.id, moved);
	const s = sideOf(store);
	s.createdVersion.set(moved.id, version);
	s.immutable.set(moved.id, imm);
	s.byImmutable.set(imm, moved.id);
	announce(store, moved);
	return moved;
}

export function copyMessage(
	ctx: EmulatorContext,
	store: MailboxStore,
	msg: StoredMessage,
	folderId: string,
): StoredMessage {
	const version = nextVersion(store);
	const copy: StoredMessage = {
		...msg,
		id: newMessageId(),
		folderId,
		version,
		changeKey: newChangeKey(),
		categories: [...msg.categories],
		attachments: msg.attachments.map((a) => ({ ...a })),
		createdDateTime: new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
	};
	store.messages.set(copy.id, copy);
	sideOf(store).createdVersion.set(copy.id, version);
	announce(store, copy);
	return copy;
}

export function messagesIn(store: MailboxStore, folderId: string | undefined): StoredMessage[] {
	const all = [...store.messages.values()];
	return folderId ? all.filter((m) => m.folderId === folderId) : all;
}

export function isoNow(ctx: EmulatorContext): string {
	return new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
