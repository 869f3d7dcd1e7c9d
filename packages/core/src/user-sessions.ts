import { SessionLimitError } from "./errors.js";
import { holdsSession } from "./forwarding.js";
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
  return entries.filter((entry) => entry.record.successorId === null);
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

/** Revokes a user's sessions, sparing `exceptId`; resolves how many live ones it revoked. */
export async function revokeUserSessions(
  engine: SessionEngine<object>,
  userId: string,
  exceptId?: string,
): Promise<number> {
  const entries = await listLiveEntries(engine, userId);
  const count = entries.filter((entry) => entry.id !== exceptId).length;
  await engine.store.deleteByUser(userId, exceptId);
  // A store may delete a user's sessions one key at a time. A rotation that claimed its old
  // record before the first pass reached it left its new record pending before that pass ended;
  // the second pass deletes it, so it can never go live.
  await engine.store.deleteByUser(userId, exceptId);
  engine.emit({ type: "revoked", at: engine.now(), userId, count });
  return count;
}

/**
 * Holds a user to `maxSessionsPerUser` once the session stored under `id` exists. Every request
 * applies the same rule — keep the newest sessions by creation time, ties broken by store key —
 * so concurrent logins agree on whom to evict. Resolves whether `id` itself survived. With the
 * `reject` policy, a login over the limit is deleted and rejected with `SessionLimitError`.
 */
export async function enforceSessionLimit(
  engine: SessionEngine<object>,
  userId: string,
  id: string,
): Promise<boolean> {
  const limit = engine.options.maxSessionsPerUser;
  if (limit === null) return true;
  const entries = await listLiveEntries(engine, userId);
  if (entries.length <= limit) return true;
  entries.sort(
    (a, b) => a.record.createdAt - b.record.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  if (engine.options.sessionLimitPolicy === "reject") {
    if (entries.slice(0, limit).some((entry) => entry.id === id)) return true;
    await engine.store.delete(id);
    throw new SessionLimitError(limit);
  }
  let survived = true;
  for (const entry of entries.slice(0, entries.length - limit)) {
    await engine.store.delete(entry.id);
    if (entry.id === id) survived = false;
    engine.emit({ type: "evicted", at: engine.now(), handle: entry.record.handle, userId });
  }
  return survived;
}
