import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname } from "node:path";
import { MemoryStore, type SessionStore } from "@sesame/core";
import { PostgresStore } from "@sesame/postgres";
import { RedisStore } from "@sesame/redis";
import { SqliteStore } from "@sesame/sqlite";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import pg from "pg";
import type { DemoConfig } from "./config.js";
import { openSqliteDatabase } from "./sqlite-database.js";

/** A session store, what to call it on screen, and how to let go of its connections. */
export interface OpenedStore {
  store: SessionStore;
  /** For the start-up line, e.g. `sqlite (node:sqlite, /repo/.data/sessions.db)`. */
  description: string;
  close(): Promise<void>;
}

/**
 * How long a SQLite write waits for another connection's lock. SQLite drivers wait
 * synchronously, so this stays far below the store timeout: a lock then fails fast as a 503
 * instead of stalling every request of the process.
 */
const SQLITE_BUSY_TIMEOUT_MS = 100;
/** A Redis or PostgreSQL connection that stays silent this long is dropped and replaced. */
const SOCKET_TIMEOUT_MS = 2_000;

/** How often expired rows are swept from SQLite and PostgreSQL (Redis and memory expire by themselves). */
const SWEEP_INTERVAL_MS = 5 * 60_000;
/** How long start-up waits for Redis or PostgreSQL to answer. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens the store `config.store` names. SQLite creates its folder, file and table; PostgreSQL
 * its table. Throws with a readable message when Redis or PostgreSQL does not answer at start-up.
 *
 * @example
 * ```ts
 * const { store, close } = await openStore(readConfig(process.env));
 * ```
 */
export async function openStore(config: DemoConfig): Promise<OpenedStore> {
  switch (config.store) {
    case "memory":
      return { store: new MemoryStore(), description: "memory", close: async () => {} };
    case "sqlite":
      return openSqlite(config.sqlitePath);
    case "redis":
      return openRedis(config);
    case "postgres":
      return openPostgres(config);
  }
}

async function openSqlite(path: string): Promise<OpenedStore> {
  mkdirSync(dirname(path), { recursive: true });
  const { db, driver } = openSqliteDatabase(path);
  db.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const store = new SqliteStore(db);
  await store.createSchema();
  const sweep = every(SWEEP_INTERVAL_MS, () => store.deleteExpired());
  return {
    store,
    description: `sqlite (${driver}, ${path})`,
    close: async () => {
      clearInterval(sweep);
      db.close();
    },
  };
}

async function openRedis(config: DemoConfig): Promise<OpenedStore> {
  const options: RedisOptions = {
    connectTimeout: 1_000,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // A command fails after one failed reconnect instead of queueing for long.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  };
  const client = config.redisCluster
    ? new Cluster([clusterNode(config.redisUrl)], {
        redisOptions: { ...options, ...credentials(config.redisUrl) },
        clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      })
    : new Redis(config.redisUrl, options);
  const outage = outageReporter("Redis");
  client.on("error", outage.down);
  client.on("ready", outage.up);
  const where = `${redact(config.redisUrl)}${config.redisCluster ? ", cluster" : ""}`;
  try {
    await withTimeout(
      new Promise<void>((resolve) => client.once("ready", () => resolve())),
      `Redis did not answer at ${where} within ${CONNECT_TIMEOUT_MS} ms. Is it running?`,
    );
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return {
    store: new RedisStore(client, { prefix: config.redisPrefix }),
    description: `redis (${where}, prefix "${config.redisPrefix}")`,
    close: async () => {
      await withTimeout(client.quit(), "Redis quit timed out").catch(() => client.disconnect());
    },
  };
}

async function openPostgres(config: DemoConfig): Promise<OpenedStore> {
  const pool = new pg.Pool({
    connectionString: withDefaultUser(config.databaseUrl),
    connectionTimeoutMillis: 1_000,
    query_timeout: SOCKET_TIMEOUT_MS,
    max: 10,
  });
  const outage = outageReporter("PostgreSQL");
  // pg emits `error` when an idle connection drops; without a listener the process would end.
  pool.on("error", outage.down);
  pool.on("connect", outage.up);
  const store = new PostgresStore(pool, { table: config.postgresTable });
  const where = redact(config.databaseUrl);
  try {
    await withTimeout(store.createSchema(), `PostgreSQL did not answer at ${where}`);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`Cannot prepare the sessions table at ${where}: ${(error as Error).message}`);
  }
  const sweep = every(SWEEP_INTERVAL_MS, () => store.deleteExpired());
  return {
    store,
    description: `postgres (${where}, table "${config.postgresTable}")`,
    close: async () => {
      clearInterval(sweep);
      await pool.end();
    },
  };
}

/** Logs once when a service goes away and once when it is back, instead of on every retry. */
function outageReporter(service: string): { down: (error: Error) => void; up: () => void } {
  let isDown = false;
  return {
    down: (error) => {
      if (isDown) return;
      isDown = true;
      console.error(`${service} is unreachable (${error.message}); session routes answer 503.`);
    },
    up: () => {
      if (!isDown) return;
      isDown = false;
      console.error(`${service} is back.`);
    },
  };
}

/** Runs `task` every `ms` without keeping the process alive; failures are logged, not thrown. */
function every(ms: number, task: () => Promise<unknown>): NodeJS.Timeout {
  return setInterval(() => {
    task().catch((error: Error) => console.error(`Sweeping expired sessions: ${error.message}`));
  }, ms).unref();
}

function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), CONNECT_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function clusterNode(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

function credentials(url: string): { username?: string; password?: string } {
  const parsed = new URL(url);
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
  };
}

/**
 * Like `psql`, connect as the current OS user when the URL names none. (`pg` reads `$USER` for
 * that, which some environments, such as containers and service managers, leave unset.)
 */
function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username !== "" || process.env.PGUSER || process.env.USER) return url;
  parsed.username = encodeURIComponent(userInfo().username);
  return parsed.toString();
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
