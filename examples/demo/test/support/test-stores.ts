/**
 * Gives each demo process its own corner of a store (a temporary SQLite file, a Redis key
 * prefix, a PostgreSQL table), so test runs never see each other's sessions, and cleans it up.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import type { StoreName } from "../../src/config.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";
import { DATABASE_URL, REDIS_URL } from "./services.js";

export interface TestStore {
  /** Environment for the demo process. */
  env: Record<string, string>;
  /** For Redis and PostgreSQL with `faults: true`: the proxy between the demo and the store. */
  proxy: FaultProxy | null;
  cleanup(): Promise<void>;
}

export async function prepareStore(
  store: StoreName,
  options: { faults?: boolean } = {},
): Promise<TestStore> {
  const unique = `${process.pid}_${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
  switch (store) {
    case "memory":
      return { env: { SESSION_STORE: store }, proxy: null, cleanup: async () => {} };
    case "sqlite": {
      const dir = await mkdtemp(join(tmpdir(), "sesame-demo-"));
      return {
        env: { SESSION_STORE: store, SQLITE_PATH: join(dir, "sessions.db") },
        proxy: null,
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    }
    case "redis": {
      const prefix = `sesame-demo-test:${unique}:`;
      const proxy = options.faults ? await proxyTo(REDIS_URL) : null;
      return {
        env: {
          SESSION_STORE: store,
          REDIS_URL: proxy === null ? REDIS_URL : viaProxy(REDIS_URL, proxy),
          REDIS_PREFIX: prefix,
        },
        proxy,
        cleanup: async () => {
          await proxy?.close();
          await deleteRedisKeys(prefix);
        },
      };
    }
    case "postgres": {
      const table = `demo_test_${unique}`;
      const proxy = options.faults ? await proxyTo(DATABASE_URL) : null;
      return {
        env: {
          SESSION_STORE: store,
          DATABASE_URL: proxy === null ? DATABASE_URL : viaProxy(DATABASE_URL, proxy),
          POSTGRES_TABLE: table,
        },
        proxy,
        cleanup: async () => {
          await proxy?.close();
          await dropTable(table);
        },
      };
    }
  }
}

function proxyTo(url: string): Promise<FaultProxy> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol.startsWith("redis") ? 6379 : 5432));
  return startFaultProxy({ host: parsed.hostname, port });
}

function viaProxy(url: string, proxy: FaultProxy): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(proxy.port);
  return parsed.toString();
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function dropTable(table: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    await client.end();
  }
}
