import type { SessionStore, StoredSession, StoredSessionEntry } from "@sesame/core";
import { EXPIRED_RETENTION_MS, SessionConfigError } from "@sesame/core";
import { checkConnectedOnFirstUse } from "./client-state.js";
import { type RedisCommands, type SupportedRedisClient, toRedisCommands } from "./clients.js";
import {
  countLiveScript,
  DELETE_STATUS,
  deleteSessionScript,
  updateIndexScript,
  writeSessionScript,
} from "./scripts.js";

/** Options for {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, so several apps can share one Redis. It must not contain `{` or
   * `}`: the store puts its own hash tags in every key.
   */
  prefix?: string;
  /**
   * The clock, in milliseconds since the epoch. It decides expiry (`listByUser` never returns a
   * record whose `expiresAt` is at or before it, `get` only for `expiredRetentionMs` more) and
   * the native TTLs, which are set relative to it. Inject one in tests.
   */
  now?: () => number;
  /**
   * How long `get` keeps returning an expired record, so the manager reports a late cookie as
   * `expired` rather than `unknown_session`. The session key's TTL runs this much past the
   * record's `expiresAt`, so it costs memory: lower it (even to 0) for many short-lived
   * anonymous sessions.
   */
  expiredRetentionMs?: number;
}

/**
 * Defaults of {@link RedisStoreOptions}.
 *
 * @example
 * ```ts
 * new RedisStore(client, { prefix: `${REDIS_STORE_DEFAULTS.prefix}shop:` });
 * ```
 */
export const REDIS_STORE_DEFAULTS = {
  prefix: "sesame:",
  now: (): number => Date.now(),
  expiredRetentionMs: EXPIRED_RETENTION_MS,
} as const;

/**
 * Sessions in Redis, Redis Cluster or Valkey, through node-redis or ioredis.
 *
 * Each session is a hash under `{prefix}s:{<id>}` with a native TTL (its expiry plus
 * `expiredRetentionMs`); each user's sessions are
 * listed in a sorted set `{prefix}u:{<userId>}` scored by expiry. Every command touches one
 * key, so it works unchanged on a Cluster. The client is detected: pass what `createClient()`
 * or `createCluster()` (node-redis) returns, connected, or an ioredis `Redis` or `Cluster`,
 * or your own {@link RedisCommands}. Attach an `error` listener to the client.
 *
 * @example
 * ```ts
 * import { SessionManager } from "@sesame/core";
 * import { RedisStore } from "@sesame/redis";
 * import { createClient } from "redis";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" });
 * client.on("error", (error) => console.error("redis", error));
 * await client.connect();
 * const manager = new SessionManager({ store: new RedisStore(client) });
 * ```
 */
export class RedisStore implements SessionStore {
  readonly #commands: RedisCommands;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #retention: number;

  constructor(client: SupportedRedisClient, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? REDIS_STORE_DEFAULTS.prefix;
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) {
      throw new SessionConfigError(
        `RedisStore: prefix must be a string without "{" or "}", got ${JSON.stringify(prefix)}. ` +
          "Braces would act as a Cluster hash tag and put every key in one slot.",
      );
    }
    this.#commands = checkConnectedOnFirstUse(client, toRedisCommands(client));
    this.#prefix = prefix;
    this.#now = options.now ?? REDIS_STORE_DEFAULTS.now;
    this.#retention = options.expiredRetentionMs ?? REDIS_STORE_DEFAULTS.expiredRetentionMs;
    if (!Number.isFinite(this.#retention) || this.#retention < 0) {
      throw new SessionConfigError(
        `RedisStore: expiredRetentionMs must be a non-negative number, got ${String(this.#retention)}.`,
      );
    }
  }

  /** The key of the hash that holds the session `id`. */
  sessionKey(id: string): string {
    return `${this.#prefix}s:{${id}}`;
  }

  /** The key of the sorted set that indexes the sessions of `userId`. */
  userIndexKey(userId: string): string {
    return `${this.#prefix}u:{${userId}}`;
  }

  async get(id: string): Promise<StoredSession | null> {
    const json = await this.#commands.hashGet(this.sessionKey(id), "r");
    if (json === null) return null;
    const record = JSON.parse(json) as StoredSession;
    return record.expiresAt + this.#retention > this.#now() ? record : null;
  }

  async create(id: string, record: StoredSession): Promise<void> {
    const now = this.#now();
    // Session first, index second: an index member then always names a session that existed.
    await this.#write(id, record, "", now);
    if (record.userId !== null) await this.#updateIndex(record.userId, now, { add: [id, record] });
  }

  async update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    const now = this.#now();
    const next = { ...record, version: expectedVersion + 1 };
    // Index members are scored by the absolute expiry, which no update moves: a touch is one
    // round trip, and the index only changes when the owner does (the manager never does that).
    const reply = await this.#write(id, next, String(expectedVersion), now);
    if (!Array.isArray(reply)) return false;
    const previousUserId = (reply[1] ?? null) as string | null;
    if (previousUserId !== next.userId) {
      if (next.userId !== null) await this.#updateIndex(next.userId, now, { add: [id, next] });
      if (previousUserId !== null) {
        await this.#updateIndex(previousUserId, now, { remove: [[id, null]] });
      }
    }
    return true;
  }

  async delete(id: string): Promise<void> {
    const now = this.#now();
    const { status, userId } = await this.#delete(id, now);
    if (status !== DELETE_STATUS.missing && userId !== null) {
      await this.#updateIndex(userId, now, { remove: [[id, null]] });
    }
  }

  async listByUser(userId: string): Promise<StoredSessionEntry[]> {
    const ids = await this.#members(userId, this.#now());
    const values = await Promise.all(
      ids.map((id) => this.#commands.hashGet(this.sessionKey(id), "r")),
    );
    const now = this.#now();
    const entries: StoredSessionEntry[] = [];
    const stale: Array<[string, number | null]> = [];
    ids.forEach((id, index) => {
      const json = values[index];
      const record = json == null ? null : (JSON.parse(json) as StoredSession);
      // An idle-expired member is unindexed only if its score (the absolute expiry) is still
      // the one read. A record now owned by someone else is skipped, not unindexed: an update
      // may be moving it here.
      if (record === null) stale.push([id, null]);
      else if (record.expiresAt <= now) stale.push([id, record.absoluteExpiresAt]);
      else if (record.userId === userId) entries.push({ id, record });
    });
    if (stale.length > 0) await this.#updateIndex(userId, now, { remove: stale });
    return entries;
  }

  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const now = this.#now();
    const ids = (await this.#members(userId, now)).filter((id) => id !== exceptId);
    const results = await Promise.all(ids.map((id) => this.#delete(id, now, userId)));
    const gone = ids.filter((_, index) => results[index]?.status !== DELETE_STATUS.keptOtherOwner);
    const remove = gone.map((id): [string, null] => [id, null]);
    if (remove.length > 0) await this.#updateIndex(userId, now, { remove });
    return results.filter((result) => result.status === DELETE_STATUS.deletedLive).length;
  }

  /**
   * Counts live sessions. A user's are read through their index; all of them needs a `SCAN`
   * of every primary and one small script per session key found, so it costs O(sessions):
   * call it from a metrics job every minute or so, never per request.
   */
  async countSessions(userId?: string): Promise<number> {
    if (userId !== undefined) {
      const entries = await this.listByUser(userId);
      return entries.filter((entry) => entry.record.successorId === null).length;
    }
    const commands = this.#commands;
    if (commands.scanKeys === undefined) {
      throw new SessionConfigError(
        "RedisStore: counting every session needs scanKeys() on the RedisCommands given.",
      );
    }
    const now = String(this.#now());
    let count = 0;
    for await (const keys of commands.scanKeys(`${escapeGlob(this.#prefix)}s:{*}`)) {
      const replies = await Promise.all(
        keys.map((key) => countLiveScript.run(commands, [key], [now])),
      );
      count += replies.filter((reply) => Number(reply) === 1).length;
    }
    return count;
  }

  #write(
    id: string,
    record: StoredSession,
    expectedVersion: string,
    now: number,
  ): Promise<unknown> {
    const ttl = Math.max(1, Math.ceil(record.expiresAt + this.#retention - now));
    const args = [expectedVersion, String(now), String(ttl), JSON.stringify(record)];
    args.push(String(record.version), String(record.expiresAt));
    if (record.userId !== null) args.push(record.userId);
    return writeSessionScript.run(this.#commands, [this.sessionKey(id)], args);
  }

  async #delete(
    id: string,
    now: number,
    owner?: string,
  ): Promise<{ status: number; userId: string | null }> {
    const args = owner === undefined ? [String(now)] : [String(now), owner];
    const reply = await deleteSessionScript.run(this.#commands, [this.sessionKey(id)], args);
    const [status, userId] = reply as [number, string | null];
    return { status: Number(status), userId: userId ?? null };
  }

  async #members(userId: string, now: number): Promise<string[]> {
    const reply = await this.#updateIndex(userId, now, { list: true });
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  #updateIndex(
    userId: string,
    now: number,
    change: {
      add?: [string, StoredSession];
      remove?: Array<[string, number | null]>;
      list?: boolean;
    },
  ): Promise<unknown> {
    const args = [String(now), change.list ? "1" : "0"];
    if (change.add === undefined) args.push("0");
    else args.push("1", String(change.add[1].absoluteExpiresAt), change.add[0]);
    for (const [id, bound] of change.remove ?? [])
      args.push(id, bound === null ? "" : String(bound));
    return updateIndexScript.run(this.#commands, [this.userIndexKey(userId)], args);
  }
}

/** `text` with Redis glob characters escaped, to match literally in a `SCAN` pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
