/**
 * Store faults under load (SEC-38, SEC-55): the started demo answers a bounded keep-alive load
 * from sessions signed in beforehand while its store hangs, fails, slows down, is cut or
 * restarted. Only requests during the outage may fail, each with 503
 * `{"error":"session_store_unavailable"}` within a bound; no other status appears; the process
 * stays up; and after recovery every session committed before the outage works, data included.
 *
 * Redis and PostgreSQL are reached through a TCP fault proxy (hang, refuse, slow); Redis is
 * also a private server that is killed and restarted and filled up until it refuses writes;
 * PostgreSQL's connections are terminated from the server side and its table refuses writes;
 * SQLite's file is locked by another connection.
 */

import { createRequire } from "node:module";
import type { SqliteDatabase } from "@sesame/sqlite";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameworkName } from "../../examples/demo/src/config.js";
import { type FaultMode, type FaultProxy, startFaultProxy } from "./support/demo-fault-proxy.js";
import { DEMO_STORE_TIMEOUT_MS } from "./support/demo-launch.js";
import { type OwnRedisServer, startOwnRedis } from "./support/demo-redis-server.js";
import { type DemoRig, startDemoRig, stopDemoRig } from "./support/demo-rig.js";
import {
  addressOf,
  createCorner,
  DATABASE_URL,
  REDIS_URL,
  requireService,
  type StoreCorner,
  viaPort,
  withPostgres,
} from "./support/demo-stores.js";
import type { LoadSession } from "./support/load-client.js";
import {
  commitSessions,
  driveThroughOutage,
  expectContractKept,
  expectSessionsIntact,
  type OutageExpectations,
  type OutagePlan,
  type OutageRun,
  summarize,
} from "./support/load-outage.js";

/** libsql: a synchronous SQLite driver that installs without a build on every Node major. */
const Database = createRequire(import.meta.url)("libsql") as new (
  path: string,
) => SqliteDatabase & { close(): void };

/** Sessions signed in (and given data) before any outage. */
const COMMITTED_SESSIONS = 12;
/** How long each outage lasts. */
const OUTAGE_MS = 2_500;
/**
 * Slack over the store timeout for scheduling on two busy cores: the load runs in this
 * process and the demo in another.
 */
const SLACK_MS = 1_000;
/** Pause before a repeatable store call (a read or delete) is tried again; see GuardedStore. */
const RETRY_DELAY_MS = 25;
/**
 * A read is one store call that may be tried twice (a failed attempt, then one that times
 * out); a write adds a compare-and-set update that is never retried; a login adds scrypt.
 */
const BOUNDS = {
  read: 2 * DEMO_STORE_TIMEOUT_MS + RETRY_DELAY_MS + SLACK_MS,
  write: 3 * DEMO_STORE_TIMEOUT_MS + RETRY_DELAY_MS + SLACK_MS,
  login: 2 * DEMO_STORE_TIMEOUT_MS + 2_000 + SLACK_MS,
};
/** How long another connection holds SQLite's write lock. */
const SQLITE_LOCK_MS = 2_500;
/** Time after the store is back within which every request must succeed again. */
const RECOVERY_MS = 2_500;

/** A store that is entirely out: every kind of request fails while it lasts. */
const TOTAL_OUTAGE: OutageExpectations = {
  boundMs: BOUNDS,
  recoveryMs: RECOVERY_MS,
  mayFail: ["read", "write", "login"],
  failsClosed: true,
  minFailures: 1,
};
/** A store that refuses writes but still reads: only writes and logins fail. */
const WRITE_OUTAGE: OutageExpectations = { ...TOTAL_OUTAGE, mayFail: ["write", "login"] };
/** A store that is slower but within the timeout: nothing fails. */
const RIDDEN_OUT: OutageExpectations = {
  ...TOTAL_OUTAGE,
  mayFail: [],
  failsClosed: false,
  minFailures: 0,
  maxFailures: 0,
};

interface ProxyFault {
  name: string;
  mode: FaultMode;
  expectations: OutageExpectations;
}

const PROXY_FAULTS: ProxyFault[] = [
  {
    name: "hangs (connections accepted, nothing answered)",
    mode: { kind: "hang" },
    expectations: TOTAL_OUTAGE,
  },
  {
    name: "refuses (every connection reset)",
    mode: { kind: "refuse" },
    expectations: TOTAL_OUTAGE,
  },
  {
    name: `slows down beyond the store timeout (+${DEMO_STORE_TIMEOUT_MS + 500} ms each way)`,
    mode: { kind: "slow", latencyMs: DEMO_STORE_TIMEOUT_MS + 500 },
    expectations: TOTAL_OUTAGE,
  },
  {
    name: "slows down within the store timeout (+50 ms each way)",
    mode: { kind: "slow", latencyMs: 50 },
    expectations: RIDDEN_OUT,
  },
];

/** A started demo on one store corner, a client, and sessions committed before any fault. */
interface Rig extends DemoRig {
  committed: LoadSession[];
}

/** Starts the demo on `corner` and commits sessions; on failure, stops what it started. */
async function startRig(corner: StoreCorner, framework: FrameworkName): Promise<Rig> {
  const rig = await startDemoRig(corner, framework);
  try {
    return { ...rig, committed: await commitSessions(rig.client, COMMITTED_SESSIONS) };
  } catch (error) {
    rig.client.close();
    await rig.demo.stop();
    await corner.cleanup();
    throw error;
  }
}

const stopRig = stopDemoRig;

/** Runs the load through `plan` and checks everything the contract promises. */
async function expectOutageHandled(
  rig: Rig,
  label: string,
  plan: OutagePlan,
  expectations: OutageExpectations,
): Promise<OutageRun> {
  const run = await driveThroughOutage(rig.client, rig.committed, plan);
  console.log(`[faults] ${label}: ${summarize(run)}`);
  expect(rig.demo.isRunning(), rig.demo.output()).toBe(true);
  expectContractKept(run, expectations);
  await expectSessionsIntact(rig.client, rig.committed, run.createdDuringRun, run.beginCalledAt);
  expect(rig.demo.output()).not.toMatch(/Unexpected error|unhandled|uncaught/i);
  return run;
}

describe("faults under load: express + Redis through a fault proxy", () => {
  let proxy: FaultProxy;
  let rig: Rig;

  beforeAll(async () => {
    await requireService("redis");
    proxy = await startFaultProxy(addressOf(REDIS_URL));
    const url = viaPort(REDIS_URL, proxy.port);
    rig = await startRig(await createCorner("redis", { url, directUrl: REDIS_URL }), "express");
  });

  afterAll(async () => {
    await stopRig(rig);
    await proxy?.close();
  });

  for (const fault of PROXY_FAULTS) {
    it(`answers 503 only during the outage, then recovers, when Redis ${fault.name}`, async () => {
      await expectOutageHandled(
        rig,
        `redis ${fault.mode.kind}`,
        {
          begin: () => proxy.set(fault.mode),
          end: () => proxy.set({ kind: "pass" }),
          durationMs: OUTAGE_MS,
        },
        fault.expectations,
      );
    });
  }
});

describe("faults under load: hono + PostgreSQL through a fault proxy", () => {
  let proxy: FaultProxy;
  let rig: Rig;

  beforeAll(async () => {
    await requireService("postgres");
    proxy = await startFaultProxy(addressOf(DATABASE_URL));
    rig = await startRig(
      await createCorner("postgres", { url: viaPort(DATABASE_URL, proxy.port) }),
      "hono",
    );
  });

  afterAll(async () => {
    await stopRig(rig);
    await proxy?.close();
  });

  for (const fault of PROXY_FAULTS) {
    it(`answers 503 only during the outage, then recovers, when PostgreSQL ${fault.name}`, async () => {
      await expectOutageHandled(
        rig,
        `postgres ${fault.mode.kind}`,
        {
          begin: () => proxy.set(fault.mode),
          end: () => proxy.set({ kind: "pass" }),
          durationMs: OUTAGE_MS,
        },
        fault.expectations,
      );
    });
  }
});

describe("faults under load: koa + a Redis server that crashes, restarts and fills up", () => {
  let redis: OwnRedisServer;
  let rig: Rig;

  beforeAll(async () => {
    redis = await startOwnRedis();
    rig = await startRig(await createCorner("redis", { url: redis.url }), "koa");
  });

  afterAll(async () => {
    await stopRig(rig);
    await redis?.dispose();
  });

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`keeps every committed session when Redis is stopped by ${signal} and started again`, async () => {
      const before = redis.pid();
      await expectOutageHandled(
        rig,
        `redis ${signal} + restart`,
        {
          begin: () => redis.stop(signal),
          end: () => redis.start(),
          durationMs: OUTAGE_MS,
        },
        TOTAL_OUTAGE,
      );
      expect(redis.pid()).not.toBe(before);
    });
  }

  it("refuses new sessions while Redis is out of memory (maxmemory reached)", async () => {
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on("error", () => {});
    try {
      await expectOutageHandled(
        rig,
        "redis out of memory",
        {
          begin: async () => {
            await admin.config("SET", "maxmemory-policy", "noeviction");
            await admin.config("SET", "maxmemory", "1");
          },
          end: async () => {
            await admin.config("SET", "maxmemory", "0");
          },
          durationMs: OUTAGE_MS,
        },
        // Logins fail (indexing a new session is refused). An update of an existing session is
        // one script that deletes before it writes, and Redis lets a script that has already
        // written go on under maxmemory, so those may succeed: only reads are sure to.
        { ...WRITE_OUTAGE, failsClosed: false },
      );
    } finally {
      await admin.config("SET", "maxmemory", "0").catch(() => undefined);
      admin.disconnect();
    }
  });
});

describe("faults under load: express + PostgreSQL that drops connections and refuses writes", () => {
  let rig: Rig;
  let table: string;

  beforeAll(async () => {
    await requireService("postgres");
    rig = await startRig(await createCorner("postgres"), "express");
    table = rig.corner.env.POSTGRES_TABLE!;
  });

  afterAll(async () => {
    await stopRig(rig);
    await withPostgres((client) => client.query(`DROP FUNCTION IF EXISTS "${table}_refuse"()`));
  });

  it("stays up and recovers while the server terminates the demo's connections", async () => {
    let terminated = 0;
    let cutting: Promise<void> = Promise.resolve();
    let stop = false;
    const terminateLoop = (): Promise<void> =>
      withPostgres(async (client) => {
        while (!stop) {
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
               FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
            [rig.corner.applicationName],
          );
          terminated += rows[0]!.n;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
    await expectOutageHandled(
      rig,
      "postgres backends terminated",
      {
        begin: () => {
          cutting = terminateLoop();
        },
        end: async () => {
          stop = true;
          await cutting;
        },
        durationMs: OUTAGE_MS,
      },
      // The server stays up and a read is retried on a fresh connection, so a cut may cost
      // little or nothing: nothing is required to fail, and nothing may fail outside the cut.
      { ...TOTAL_OUTAGE, failsClosed: false, minFailures: 0 },
    );
    expect(terminated, "backends terminated").toBeGreaterThan(0);
  });

  it("fails only writes while the sessions table refuses them", async () => {
    const refuse = `"${table}_refuse"`;
    await expectOutageHandled(
      rig,
      "postgres table refuses writes",
      {
        begin: () =>
          withPostgres(async (client) => {
            await client.query(`CREATE OR REPLACE FUNCTION ${refuse}() RETURNS trigger
              LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused for this test'; END $$`);
            await client.query(`CREATE TRIGGER ${refuse} BEFORE INSERT OR UPDATE OR DELETE
              ON "${table}" FOR EACH ROW EXECUTE FUNCTION ${refuse}()`);
          }),
        end: () =>
          withPostgres(async (client) => {
            await client.query(`DROP TRIGGER IF EXISTS ${refuse} ON "${table}"`);
          }),
        durationMs: OUTAGE_MS,
      },
      WRITE_OUTAGE,
    );
  });
});

describe("faults under load: koa + SQLite locked by another connection", () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig(await createCorner("sqlite"), "koa");
  });

  afterAll(async () => {
    await stopRig(rig);
  });

  it("fails writes fast while another connection holds the write lock, keeping every session", async () => {
    let locker: (SqliteDatabase & { close(): void }) | null = null;
    await expectOutageHandled(
      rig,
      "sqlite write lock",
      {
        begin: () => {
          locker = new Database(rig.corner.env.SQLITE_PATH!);
          // Wait for the demo's own writes under load to let go before taking the lock.
          locker.exec("PRAGMA busy_timeout = 5000");
          locker.exec("BEGIN IMMEDIATE");
        },
        end: () => {
          locker?.exec("COMMIT");
          locker?.close();
        },
        durationMs: SQLITE_LOCK_MS,
      },
      // The demo gives SQLite a 100 ms busy timeout, far below the store timeout: while
      // the lock is held, writes and logins fail fast with 503 and reads (WAL) go on.
      WRITE_OUTAGE,
    );
  });
});
