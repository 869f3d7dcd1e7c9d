/**
 * The store contract: how a session record is kept between requests.
 *
 * A store only ever sees store keys (the SHA-256 of a token, never the token itself) and
 * {@link StoredSession} records. It never sees a request, a cookie or a secret.
 *
 * @module
 */

import type { Awaitable } from "./awaitable.js";

/**
 * One session as a store keeps it. Every field is a JSON-safe primitive, so a store may keep
 * the whole record as one JSON text, or spread it over columns.
 *
 * Times are milliseconds since the Unix epoch.
 */
export interface StoredSession {
  /** The signed-in user, or `null` for an anonymous session. */
  userId: string | null;
  /** Opaque random handle that names this session in listings; never derived from the token. */
  handle: string;
  /** Session data, already serialized by the manager's serializer. */
  data: string;
  /** Bumped by every successful {@link SessionStore.update}; starts at 1. */
  version: number;
  /** When the session was created. */
  createdAt: number;
  /** When the current token was issued (creation, rotation or renewal). */
  tokenIssuedAt: number;
  /** When the session was last seen by a request that touched it. */
  lastSeenAt: number;
  /** When the user last proved who they are (login or re-authentication), or `null`. */
  authTime: number | null;
  /** Idle expiry: the record is dead at or after this instant. Never later than `absoluteExpiresAt`. */
  expiresAt: number;
  /** Absolute expiry: no activity extends the session past this instant. */
  absoluteExpiresAt: number;
  /** User agent of the request that created the session (truncated), or `null`. */
  userAgent: string | null;
  /** Client IP of the request that created the session, or `null`. */
  ip: string | null;
  /** Whether the cookie is persistent ("remember me"). */
  persistent: boolean;
  /**
   * `null` for a live session. Set when the token was replaced (renewal or rotation): the store
   * key of the session that replaced this one, making this record a forwarder, not a live
   * session of its own; its own key while it is a successor not yet made live. A store keeps it
   * as it keeps any other field; what the states mean is the manager's (see `forwarding.ts`).
   */
  successorId: string | null;
  /** Until when a renewed (forwarding) record is still honoured; `null` otherwise. */
  graceUntil: number | null;
}

/** A record together with its store key, as returned by {@link SessionStore.listByUser}. */
export interface StoredSessionEntry {
  /** The store key (SHA-256 of the token, hex). */
  id: string;
  /** The record. */
  record: StoredSession;
}

/**
 * Where sessions live. Every method returns a promise; a store signals an infrastructure
 * failure by rejecting (the manager wraps it in a `SessionStoreError`) and "not found" by
 * resolving `null` / `false`, never by rejecting.
 *
 * Rules every implementation follows (the conformance suite in `@sesame/core/testing` checks
 * each one against the real backend):
 *
 * - **Expiry.** A record is *expired* once its `expiresAt` is at or before the store's clock,
 *   and *live* until then. The manager, not the store, decides what an expired record means:
 *   `get` keeps returning an expired record, unchanged, for the store's retention window
 *   (`expiredRetentionMs`, default {@link EXPIRED_RETENTION_MS}) after its `expiresAt`, so a late
 *   cookie is reported as `expired` (idle or absolute) instead of `unknown_session`; once the
 *   window has passed, `get` resolves `null` whether or not the record has been physically
 *   removed yet. Everything else sees live records only: `listByUser` and `countSessions` never
 *   include an expired record, `update` never replaces one, and `deleteByUser` does not count
 *   one. A store should also drop records physically after the window (native TTL, or a sweep)
 *   so storage stays bounded.
 * - **Insert.** `create` writes a record under a key that does not exist yet. The manager
 *   only creates keys derived from fresh 256-bit tokens, so a store may overwrite instead.
 * - **Compare-and-set.** `update(id, record, expectedVersion)` replaces the record only if a
 *   live record exists under `id` and its `version` equals `expectedVersion`; the new record
 *   carries `expectedVersion + 1`. It resolves `true` on success and `false` otherwise. This is
 *   what prevents lost updates (the manager re-reads and re-applies its change on `false`),
 *   resurrection after logout (a deleted record can never be updated back into existence) and
 *   forked sessions (a token is replaced only by claiming the old record this way, so of two
 *   concurrent replacements, or a replacement and a logout, exactly one wins). It must be
 *   atomic with respect to concurrent `update` and `delete` on the same key.
 * - **Delete** is idempotent and atomic: once it resolves, `get(id)` resolves `null` and every
 *   later `update(id, …)` resolves `false`.
 * - **Per-user index.** `listByUser` returns every live record whose `userId` matches, in no
 *   particular order, without scanning sessions of other users. `deleteByUser` deletes them
 *   all (except `exceptId`, when given) and resolves how many live ones it deleted.
 * - **Counting.** `countSessions()` resolves how many live records hold a session of their own
 *   (`successorId` is `null`: not a forwarder, tombstone or pending successor);
 *   `countSessions(userId)` counts only that user's, through the per-user index. It is optional
 *   in this interface so that older custom stores keep compiling; every store shipped with
 *   sesame implements it, and the manager counts a user's sessions through `listByUser` when a
 *   store does not (see `SessionManager.countSessions`).
 */
export interface SessionStore {
  /**
   * Reads the record under `id`, live or expired within the retention window, or `null` if
   * there is none (or it expired longer ago than that).
   *
   * Any method may answer synchronously, as a store that holds its records in process (memory,
   * SQLite) can: the manager then goes on without a promise and without a deadline, since such a
   * call cannot hang. A failure may be thrown or rejected.
   */
  get(id: string): Awaitable<StoredSession | null>;
  /** Writes a new record. It must be readable by `get` once the call has answered. */
  create(id: string, record: StoredSession): Awaitable<void>;
  /** Compare-and-set; see the interface docs. Resolves whether the record was replaced. */
  update(id: string, record: StoredSession, expectedVersion: number): Awaitable<boolean>;
  /** Deletes the record under `id`, if any. */
  delete(id: string): Awaitable<void>;
  /** Lists a user's live records through the per-user index. */
  listByUser(userId: string): Awaitable<StoredSessionEntry[]>;
  /** Deletes a user's records, except `exceptId`; resolves how many live ones were deleted. */
  deleteByUser(userId: string, exceptId?: string): Awaitable<number>;
  /** Counts live sessions: all of them, or those of `userId`. See the interface docs. */
  countSessions?(userId?: string): Awaitable<number>;
}

/**
 * How long, by default, a store keeps returning an expired record from `get` (one hour), so
 * that the manager can report a late cookie as `expired` rather than `unknown_session`. Every
 * store shipped with sesame takes it as its `expiredRetentionMs` option.
 *
 * @example
 * ```ts
 * new MemoryStore({ expiredRetentionMs: EXPIRED_RETENTION_MS * 24 }); // a day instead
 * ```
 */
export const EXPIRED_RETENTION_MS = 60 * 60 * 1000;
