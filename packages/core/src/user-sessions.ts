import type { SessionEngine } from "./session-engine.js";
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

/** Revokes one of a user's sessions by handle; resolves `false` if it is not theirs. */
export async function revokeUserSession(
  engine: SessionEngine<object>,
  userId: string,
  handle: string,
): Promise<boolean> {
  const entry = (await listLiveEntries(engine, userId)).find(
    (candidate) => candidate.record.handle === handle,
  );
  if (entry === undefined) return false;
  await engine.store.delete(entry.id);
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
  engine.emit({ type: "revoked", at: engine.now(), userId, count });
  return count;
}
