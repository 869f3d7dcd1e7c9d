import type { Awaitable } from "./awaitable.js";
import { SessionLimitError } from "./errors.js";
import { holdsSession, isLive } from "./forwarding.js";
import type { SessionEngine } from "./session-engine.js";
import { destroySession } from "./session-writes.js";
import type { StoredSessionEntry } from "./store.js";

/** One session of a user, as listings show it: never the token or the store key. */
export interface SessionSummary {
  /** Opaque handle, for revoking this session. */
  handle: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  authTime: number | null;
  userAgent: string | null;
  ip: string | null;
  persistent: boolean;
  /** Whether this is the session of the request that asked. */
  current: boolean;
}

/** A user's live sessions (renewed tokens' forwarders left out). */
export async function listLiveEntries(
  engine: SessionEngine<object>,
  userId: string,
): Promise<StoredSessionEntry[]> {
  const entries = await engine.store.listByUser(userId);
  return entries.filter((entry) => isLive(entry.record));
}

/**
 * How many live sessions there are: all of them, or only `userId`'s. Through the store's
 * `countSessions` when it has one; otherwise a user's are counted through `listByUser`, and the
 * total rejects with `SessionConfigError`, which no listing can answer.
 */
export async function countSessions(
  engine: SessionEngine<object>,
  userId: string | undefined,
): Promise<number> {
  if (typeof engine.options.store.countSessions === "function" || userId === undefined) {
    return engine.store.countSessions(userId);
  }
  return (await listLiveEntries(engine, userId)).length;
}

/** A user's live sessions, newest first, the one stored under `currentId` marked `current`. */
export async function listUserSessions(
  engine: SessionEngine<object>,
  userId: string,
  currentId: string | null,
): Promise<SessionSummary[]> {
  const entries = await listLiveEntries(engine, userId);
  return entries
    .map(({ id, record }) => ({
      handle: record.handle,
      createdAt: record.createdAt,
      lastSeenAt: record.lastSeenAt,
      expiresAt: record.expiresAt,
      absoluteExpiresAt: record.absoluteExpiresAt,
      authTime: record.authTime,
      userAgent: record.userAgent,
      ip: record.ip,
      persistent: record.persistent,
      current: id === currentId,
    }))
    .sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Revokes one of a user's sessions by handle; resolves `false` if it is not theirs. Every record
 * of the handle is destroyed, the one in the middle of a token replacement too (its forwarder
 * and its pending successor), each claimed before it is deleted, so a rotation in flight can
 * never bring the session back under a new key.
 */
export async function revokeUserSession(
  engine: SessionEngine<object>,
  userId: string,
  handle: string,
): Promise<boolean> {
  const entries = (await engine.store.listByUser(userId)).filter(
    (entry) => entry.record.handle === handle,
  );
  if (!entries.some((entry) => holdsSession(entry.id, entry.record))) return false;
  for (const entry of entries) await destroySession(engine, entry.id);
  engine.emit({ type: "destroyed", at: engine.now(), handle, userId });
  return true;
}

/** Most passes {@link revokeUserSessions} makes before it settles for what it removed. */
const MAX_REVOKE_PASSES = 8;

/** The session a revocation spares: its store key, and its handle, which its other records share. */
export interface SparedSession {
  id: string;
  handle: string;
}

/**
 * Revokes a user's sessions, sparing `spared` if given; resolves how many live ones it revoked.
 * Every record of the spared session is kept (a successor a rotation of it has made pending, an
 * old token still in its grace window): they share its handle.
 */
export async function revokeUserSessions(
  engine: SessionEngine<object>,
  userId: string,
  spared?: SparedSession,
): Promise<number> {
  // One listing counts the live sessions revoked and, sparing one, names the records to delete.
  let left = await engine.store.listByUser(userId);
  const count = left.filter((entry) => isLive(entry.record) && !isSpared(entry, spared)).length;
  // A store may delete a user's sessions one key at a time, and a rotation in flight may leave a
  // pending successor behind a pass; passes go on until none of the user's sessions is left
  // (each pass is one call on stores that delete in one statement). Sparing one session, records
  // are deleted one by one: `deleteByUser` would take the records of the spared session that a
  // rotation of it has under way.
  for (let pass = 0; pass < MAX_REVOKE_PASSES; pass++) {
    if (spared === undefined) await engine.store.deleteByUser(userId);
    else
      for (const entry of left) if (!isSpared(entry, spared)) await engine.store.delete(entry.id);
    left = await engine.store.listByUser(userId);
    if (!left.some((entry) => !isSpared(entry, spared) && holdsSession(entry.id, entry.record)))
      break;
  }
  engine.emit({ type: "revoked", at: engine.now(), userId, count });
  return count;
}

function isSpared(entry: StoredSessionEntry, spared: SparedSession | undefined): boolean {
  return spared !== undefined && (entry.id === spared.id || entry.record.handle === spared.handle);
}

/**
 * Holds a user to `maxSessionsPerUser` once the session stored under `id` exists. Sessions are
 * counted by handle over live and pending records, so a session in the middle of a token
 * replacement counts once. Every request applies the same rule — keep the newest sessions by
 * creation time, ties broken by store key — so concurrent logins agree on whom to evict, and an
 * evicted session is destroyed record by record (claimed first, its successor followed), so a
 * rotation in flight cannot keep it alive. Resolves whether `id` itself survived. With the
 * `reject` policy, a login over the limit is deleted and rejected with `SessionLimitError`.
 * Without a limit it answers `true` at once.
 */
export function enforceSessionLimit(
  engine: SessionEngine<object>,
  userId: string,
  id: string,
): Awaitable<boolean> {
  const limit = engine.options.maxSessionsPerUser;
  return limit === null ? true : enforceLimit(engine, userId, id, limit);
}

async function enforceLimit(
  engine: SessionEngine<object>,
  userId: string,
  id: string,
  limit: number,
): Promise<boolean> {
  const sessions = await sessionsByHandle(engine, userId);
  if (sessions.length <= limit) return true;
  sessions.sort(
    (a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  if (engine.options.sessionLimitPolicy === "reject") {
    if (sessions.slice(0, limit).some((session) => session.ids.includes(id))) return true;
    await engine.store.delete(id);
    throw new SessionLimitError(limit);
  }
  let survived = true;
  for (const session of sessions.slice(0, sessions.length - limit)) {
    for (const entryId of session.ids) await destroySession(engine, entryId);
    if (session.ids.includes(id)) survived = false;
    engine.emit({ type: "evicted", at: engine.now(), handle: session.handle, userId });
  }
  return survived;
}

/** A user's sessions, one per handle, over their live and pending records. */
async function sessionsByHandle(
  engine: SessionEngine<object>,
  userId: string,
): Promise<{ handle: string; createdAt: number; key: string; ids: string[] }[]> {
  const byHandle = new Map<
    string,
    { handle: string; createdAt: number; key: string; ids: string[] }
  >();
  for (const { id, record } of await engine.store.listByUser(userId)) {
    if (!holdsSession(id, record)) continue;
    const session = byHandle.get(record.handle);
    if (session === undefined) {
      byHandle.set(record.handle, {
        handle: record.handle,
        createdAt: record.createdAt,
        key: id,
        ids: [id],
      });
    } else {
      session.ids.push(id);
      if (id < session.key) session.key = id;
    }
  }
  return [...byHandle.values()];
}
