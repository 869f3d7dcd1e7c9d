import { ExpiryQueue } from "./expiry-queue.js";
import {
  EXPIRED_RETENTION_MS,
  type SessionStore,
  type StoredSession,
  type StoredSessionEntry,
} from "./store.js";

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most sessions kept at once. When a new session would exceed it, expired records are swept
   * first (retained ones too); if the store is still full, the live session closest to its
   * expiry is evicted.
   */
  maxSessions?: number;
  /**
   * How long `get` keeps returning an expired record, so the manager reports a late cookie as
   * `expired`; see the store contract. Retained records go first when the store is full.
   */
  expiredRetentionMs?: number;
  /** The clock, in milliseconds since the epoch. Inject one in tests. */
  now?: () => number;
}

/** Defaults of {@link MemoryStoreOptions}. */
export const MEMORY_STORE_DEFAULTS = {
  maxSessions: 100_000,
  expiredRetentionMs: EXPIRED_RETENTION_MS,
} as const;

/** How many expired records one write sweeps at most, so no single call pays for a backlog. */
const SWEEP_BATCH = 64;
/** How many expired records a full store sweeps before it evicts a live one instead. */
const FULL_SWEEP_BATCH = 1024;

/**
 * Sessions in process memory: the default store for tests and development.
 *
 * Sessions vanish when the process stops. It is bounded (`maxSessions`), expires records in
 * O(expired) through a priority queue instead of scanning every record, keeps a per-user
 * index, and starts no timer, so it never keeps a process alive. Every method answers
 * synchronously (the store contract allows it), so a request on it awaits no store promise.
 *
 * @example
 * ```ts
 * const manager = new SessionManager({ store: new MemoryStore({ maxSessions: 10_000 }) });
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly #records = new Map<string, StoredSession>();
  /** User id → store key, or a set of them once the user has a second session. */
  readonly #byUser = new Map<string, string | Set<string>>();
  readonly #expiry = new ExpiryQueue();
  readonly #maxSessions: number;
  readonly #retention: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxSessions = options.maxSessions ?? MEMORY_STORE_DEFAULTS.maxSessions;
    if (!Number.isInteger(maxSessions) || maxSessions < 1) {
      throw new RangeError(
        `MemoryStore: maxSessions must be a positive integer, got ${maxSessions}`,
      );
    }
    const retention = options.expiredRetentionMs ?? MEMORY_STORE_DEFAULTS.expiredRetentionMs;
    if (!Number.isFinite(retention) || retention < 0) {
      throw new RangeError(
        `MemoryStore: expiredRetentionMs must be a non-negative number, got ${retention}`,
      );
    }
    this.#maxSessions = maxSessions;
    this.#retention = retention;
    this.#now = options.now ?? Date.now;
  }

  /** How many records are held, including expired ones retained or not yet swept. */
  get size(): number {
    return this.#records.size;
  }

  get(id: string): StoredSession | null {
    const record = this.#records.get(id);
    if (record === undefined) return null;
    if (record.expiresAt + this.#retention > this.#now()) return record;
    this.#remove(id);
    return null;
  }

  create(id: string, record: StoredSession): void {
    this.sweep(SWEEP_BATCH);
    if (this.#records.size >= this.#maxSessions && !this.#records.has(id)) {
      this.#sweepUntil(this.#now(), FULL_SWEEP_BATCH);
      if (this.#records.size >= this.#maxSessions) this.#evictSoonestExpiring();
    }
    this.#put(id, { ...record });
  }

  update(id: string, record: StoredSession, expectedVersion: number): boolean {
    const current = this.#live(id);
    if (current === undefined || current.version !== expectedVersion) return false;
    this.#put(id, { ...record, version: expectedVersion + 1 });
    this.sweep(SWEEP_BATCH);
    return true;
  }

  delete(id: string): void {
    this.#remove(id);
  }

  listByUser(userId: string): StoredSessionEntry[] {
    const entries: StoredSessionEntry[] = [];
    for (const id of this.#userIds(userId)) {
      const record = this.#live(id);
      if (record !== undefined) entries.push({ id, record: { ...record } });
    }
    return entries;
  }

  deleteByUser(userId: string, exceptId?: string): number {
    let deleted = 0;
    for (const id of this.#userIds(userId)) {
      if (id === exceptId) continue;
      if (this.#live(id) !== undefined) deleted++;
      this.#remove(id);
    }
    return deleted;
  }

  countSessions(userId?: string): number {
    const now = this.#now();
    let count = 0;
    const ids = userId === undefined ? this.#records.keys() : this.#userIds(userId);
    for (const id of ids) {
      const record = this.#records.get(id);
      if (record !== undefined && record.expiresAt > now && record.successorId === null) count++;
    }
    return count;
  }

  /**
   * Removes up to `limit` records that expired longer ago than the retention window. Writes
   * call it with a small batch; call it yourself to drain everything at once. Resolves how many
   * records were removed.
   */
  sweep(limit = Number.POSITIVE_INFINITY): number {
    return this.#sweepUntil(this.#now() - this.#retention, limit);
  }

  /** Removes up to `limit` records whose `expiresAt` is at or before `time`. */
  #sweepUntil(time: number, limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const due = this.#expiry.popDue(time);
      if (due === undefined) break;
      const record = this.#records.get(due.id);
      if (record === undefined) continue;
      if (record.expiresAt <= time) {
        this.#remove(due.id);
        removed++;
      } else {
        this.#expiry.push(record.expiresAt, due.id);
      }
    }
    return removed;
  }

  /** The record under `id` if it is live; expired ones stay until the retention window ends. */
  #live(id: string): StoredSession | undefined {
    const record = this.#records.get(id);
    if (record === undefined || record.expiresAt <= this.#now()) return undefined;
    return record;
  }

  /**
   * Stores a record. The expiry queue needs an entry no later than the record's expiry: a new
   * record gets one; an update that moves the expiry later keeps the old entry, which is pushed
   * again at the new time when it surfaces, so touches cost no queue entries.
   */
  #put(id: string, record: StoredSession): void {
    const previous = this.#records.get(id);
    if (previous?.userId != null && previous.userId !== record.userId) {
      this.#unindex(previous.userId, id);
    }
    this.#records.set(id, record);
    if (record.userId !== null && previous?.userId !== record.userId)
      this.#index(record.userId, id);
    if (previous === undefined || record.expiresAt < previous.expiresAt) {
      this.#expiry.push(record.expiresAt, id);
    }
  }

  #remove(id: string): void {
    const record = this.#records.get(id);
    if (record === undefined) return;
    this.#records.delete(id);
    if (record.userId !== null) this.#unindex(record.userId, id);
  }

  #userIds(userId: string): string[] {
    const ids = this.#byUser.get(userId);
    if (ids === undefined) return [];
    return typeof ids === "string" ? [ids] : [...ids];
  }

  #index(userId: string, id: string): void {
    const ids = this.#byUser.get(userId);
    if (ids === undefined || ids === id) this.#byUser.set(userId, id);
    else if (typeof ids === "string") this.#byUser.set(userId, new Set([ids, id]));
    else ids.add(id);
  }

  #unindex(userId: string, id: string): void {
    const ids = this.#byUser.get(userId);
    if (ids === id) {
      this.#byUser.delete(userId);
    } else if (typeof ids === "object") {
      ids.delete(id);
      if (ids.size === 1) this.#byUser.set(userId, ids.values().next().value!);
    }
  }

  #evictSoonestExpiring(): void {
    for (;;) {
      const entry = this.#expiry.popDue(Number.POSITIVE_INFINITY);
      if (entry === undefined) return;
      const record = this.#records.get(entry.id);
      if (record === undefined) continue;
      if (record.expiresAt !== entry.time) {
        this.#expiry.push(record.expiresAt, entry.id);
        continue;
      }
      this.#remove(entry.id);
      return;
    }
  }
}
