/**
 * Gives each demo process its own corner of a store (a temporary SQLite file, a Redis key
 * prefix, a PostgreSQL table), counts the live sessions there by asking the store directly,
 * and removes the corner afterwards. Redis and PostgreSQL must be running: a missing service
 * fails the test with a message saying how to start it, it is never skipped.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqliteDatabase } from "@sesame/sqlite";
import { Redis } from "ioredis";
import pg from "pg";

/** The stores that keep sessions across restarts, as the demo's `SESSION_STORE` names them. */
export type PersistentStore = "sqlite" | "redis" | "postgres";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** PostgreSQL, always with a user: `$USER` may be unset where the tests run. */
export const DATABASE_URL = withUser(
  process.env.DATABASE_URL ?? "postgres://127.0.0.1:5432/test",
  "postgres",
);

/** libsql: a synchronous SQLite driver that installs without a build on every Node major. */
const Database = createRequire(import.meta.url)("libsql") as new (
  path: string,
) => SqliteDatabase & { close(): void };

/** One store corner for one test. */
export interface StoreCorner {
  store: PersistentStore;
  /** Environment for the demo process (`SESSION_STORE` and where the corner is). */
  env: Record<string, string>;
  /** The PostgreSQL `application_name` the demo's connections carry (postgres only). */
  applicationName: string | null;
  /** Sessions in the corner that have not expired, counted in the store itself. */
  countLiveSessions(): Promise<number>;
  /** Removes the corner: the SQLite folder, the Redis keys under the prefix, the table. */
  cleanup(): Promise<void>;
}

export interface CornerOptions {
  /** Where the demo should reach the store instead of the default (a fault proxy, say). */
  url?: string;
  /** Where the test inspects and cleans the store (Redis only): default the demo's own. */
  directUrl?: string;
}

/** Throws unless `store`'s service answers; the message says how to start it. */
export async function requireService(store: PersistentStore): Promise<void> {
  if (store === "redis") await requireRedis(REDIS_URL);
  if (store === "postgres") await requirePostgres();
}

/** A fresh corner of `store` with a name no other run uses. */
export async function createCorner(
  store: PersistentStore,
  options: CornerOptions = {},
): Promise<StoreCorner> {
  const unique = `${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
  switch (store) {
    case "sqlite":
      return sqliteCorner();
    case "redis":
      return redisCorner(
        `sesame-hardening:${unique}:`,
        options.url ?? REDIS_URL,
        options.directUrl ?? options.url ?? REDIS_URL,
      );
    case "postgres":
      return postgresCorner(`hardening_${unique}`, options.url ?? DATABASE_URL);
  }
}

async function sqliteCorner(): Promise<StoreCorner> {
  const dir = await mkdtemp(join(tmpdir(), "sesame-hardening-sqlite-"));
  const path = join(dir, "sessions.db");
  return {
    store: "sqlite",
    env: { SESSION_STORE: "sqlite", SQLITE_PATH: path },
    applicationName: null,
    countLiveSessions: async () => {
      const db = new Database(path);
      try {
        db.exec("PRAGMA busy_timeout = 5000");
        const row = db
          .prepare("SELECT count(*) AS n FROM sesame_sessions WHERE expires_at > ?")
          .get(Date.now()) as { n: number };
        return row.n;
      } finally {
        db.close();
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function redisCorner(
  prefix: string,
  demoUrl: string,
  directUrl: string,
): Promise<StoreCorner> {
  return {
    store: "redis",
    env: { SESSION_STORE: "redis", REDIS_URL: demoUrl, REDIS_PREFIX: prefix },
    applicationName: null,
    countLiveSessions: () => withRedis(directUrl, (redis) => countRedisSessions(redis, prefix)),
    cleanup: () => withRedis(directUrl, (redis) => deleteRedisKeys(redis, prefix)),
  };
}

async function postgresCorner(table: string, demoUrl: string): Promise<StoreCorner> {
  const url = new URL(withUser(demoUrl, "postgres"));
  url.searchParams.set("application_name", table);
  return {
    store: "postgres",
    env: { SESSION_STORE: "postgres", DATABASE_URL: url.toString(), POSTGRES_TABLE: table },
    applicationName: table,
    countLiveSessions: () =>
      withPostgres(async (client) => {
        const sql = `SELECT count(*)::int AS n FROM "${table}" WHERE expires_at > $1`;
        const { rows } = await client.query<{ n: number }>(sql, [Date.now()]);
        return rows[0]!.n;
      }),
    cleanup: () =>
      withPostgres(async (client) => {
        await client.query(`DROP TABLE IF EXISTS "${table}"`);
      }),
  };
}

/**
 * Live sessions under `prefix`: the session hashes (`<prefix>s:{…}`), each checked against its
 * own expiry field, as the store reads them.
 */
async function countRedisSessions(redis: Redis, prefix: string): Promise<number> {
  const time = Date.now();
  let count = 0;
  for (const keys of await scanAll(redis, `${prefix}s:*`)) {
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hget(key, "e");
    const replies = (await pipeline.exec()) ?? [];
    for (const [error, value] of replies) {
      if (error !== null) throw error;
      if (value !== null && Number(value) > time) count++;
    }
  }
  return count;
}

async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  for (const keys of await scanAll(redis, `${prefix}*`)) {
    if (keys.length > 0) await redis.del(...keys);
  }
}

async function scanAll(redis: Redis, pattern: string): Promise<string[][]> {
  const batches: string[][] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
    batches.push(keys);
    cursor = next;
  } while (cursor !== "0");
  return batches;
}

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Runs `use` on a fresh PostgreSQL connection of the test's own (not the demo's). */
export async function withPostgres<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    connectionTimeoutMillis: 5_000,
    application_name: "sesame-hardening-observer",
  });
  client.on("error", () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function requireRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis does not answer at ${url} (${(error as Error).message}). Start it with: ` +
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
    );
  } finally {
    redis.disconnect();
  }
}

async function requirePostgres(): Promise<void> {
  try {
    await withPostgres((client) => client.query("SELECT 1"));
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer at ${DATABASE_URL} (${(error as Error).message}). Start it with: ` +
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    );
  }
}

/** `url` with `user` filled in when it names none. */
function withUser(url: string, user: string): string {
  const parsed = new URL(url);
  if (parsed.username === "") parsed.username = user;
  return parsed.toString();
}

/** Host and port of a Redis or PostgreSQL URL, for a proxy in front of it. */
export function addressOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol.startsWith("redis") ? "6379" : "5432");
  return { host: parsed.hostname, port: Number(port) };
}

/** `url` pointed at `127.0.0.1:<port>` (a proxy in front of the same service). */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(port);
  return parsed.toString();
}
