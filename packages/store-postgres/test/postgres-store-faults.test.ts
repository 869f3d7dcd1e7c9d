import type { StoredSession } from "@sesame/core";
import { GuardedStore, SessionStoreError } from "@sesame/core";
import { makeStoredSession, uniqueId } from "@sesame/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PostgresStore } from "../src/index.js";
import { connectionString, requirePostgres, uniqueTableName } from "./postgres-service.js";

const available = await requirePostgres();
const table = uniqueTableName("sesame_fault");
const applicationName = uniqueTableName("sesame_fault_app");
const timeoutMs = 1_000;
/** GuardedStore retries a failed read or delete once, so a call may span two attempts. */
const boundMs = 2 * timeoutMs + 500;

interface Outcome {
  ok: boolean;
  error?: unknown;
  ms: number;
}

async function settle(run: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  try {
    await run();
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - started };
  }
}

function expectBoundedOutcomes(outcomes: Outcome[]): void {
  for (const outcome of outcomes) {
    expect(outcome.ms).toBeLessThan(boundMs);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(SessionStoreError);
  }
}

/** One of each store call, against keys that exist (`ids`) or not. */
function mixedCalls(
  store: PostgresStore | GuardedStore,
  ids: string[],
  userId: string,
): (() => Promise<unknown>)[] {
  const now = Date.now();
  return Array.from({ length: 24 }, (_, index) => {
    const id = ids[index % ids.length]!;
    switch (index % 6) {
      case 0:
        return () => store.get(id);
      case 1:
        return () => store.listByUser(userId);
      case 2:
        return () => store.create(uniqueId("fault"), makeStoredSession(now));
      case 3:
        return () => store.update(uniqueId("missing"), makeStoredSession(now), 1);
      case 4:
        return () => store.delete(uniqueId("missing"));
      default:
        return () => store.deleteByUser(uniqueId("nobody"));
    }
  });
}

describe.runIf(available)("PostgresStore when the database fails", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const poolErrors: Error[] = [];
  let admin: pg.Client;
  let pool: pg.Pool;
  let store: PostgresStore;

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    admin = new pg.Client({ connectionString });
    await admin.connect();
    pool = new pg.Pool({
      connectionString,
      application_name: applicationName,
      max: 6,
      connectionTimeoutMillis: 500,
    });
    // Without this listener, an idle client that loses its connection ends the process.
    pool.on("error", (error) => poolErrors.push(error));
    store = new PostgresStore(pool, { table });
    await store.createSchema();
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await Promise.all([pool.end(), admin.end()]);
  });

  async function terminateConnections(): Promise<number> {
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
      [applicationName],
    );
    return rowCount ?? 0;
  }

  async function createSessions(
    count: number,
    userId: string,
  ): Promise<Map<string, StoredSession>> {
    const sessions = new Map<string, StoredSession>();
    for (let index = 0; index < count; index++) {
      const record = makeStoredSession(Date.now(), { userId });
      const id = uniqueId("kept");
      await store.create(id, record);
      sessions.set(id, record);
    }
    return sessions;
  }

  async function expectRecovered(sessions: Map<string, StoredSession>): Promise<void> {
    const guarded = new GuardedStore(store, { timeoutMs });
    await vi.waitFor(() => guarded.get(uniqueId("probe")), { timeout: 5_000, interval: 50 });
    for (const [id, record] of sessions) expect(await guarded.get(id)).toEqual(record);
    const id = uniqueId("after");
    await guarded.create(id, makeStoredSession(Date.now()));
    expect(await guarded.get(id)).not.toBeNull();
  }

  it("bounds every call when idle connections are terminated, then works again", async () => {
    const userId = uniqueId("user");
    const sessions = await createSessions(10, userId);
    await Promise.all(Array.from({ length: 6 }, () => store.get(uniqueId("warm"))));
    expect(pool.idleCount).toBeGreaterThan(0);

    expect(await terminateConnections()).toBeGreaterThan(0);
    // The pool reports each dropped idle client through its "error" event.
    await vi.waitFor(() => expect(poolErrors.length).toBeGreaterThan(0), { timeout: 2_000 });
    const guarded = new GuardedStore(store, { timeoutMs });
    const outcomes = await Promise.all(
      mixedCalls(guarded, [...sessions.keys()], userId).map(settle),
    );

    expectBoundedOutcomes(outcomes);
    await expectRecovered(sessions);
    expect(unhandled).toEqual([]);
  });

  it("bounds every call when connections are terminated mid-query, then works again", async () => {
    const userId = uniqueId("user");
    const sessions = await createSessions(10, userId);
    const guarded = new GuardedStore(store, { timeoutMs });
    for (let round = 0; round < 3; round++) {
      const inFlight = mixedCalls(guarded, [...sessions.keys()], userId).map(settle);
      await terminateConnections();
      const after = mixedCalls(guarded, [...sessions.keys()], userId).map(settle);
      expectBoundedOutcomes(await Promise.all([...inFlight, ...after]));
    }
    await expectRecovered(sessions);
    expect(unhandled).toEqual([]);
  });

  it("rejects within the bound when the server cannot be reached at all", async () => {
    const deadPool = new pg.Pool({ host: "127.0.0.1", port: 1, connectionTimeoutMillis: 200 });
    deadPool.on("error", () => undefined);
    const guarded = new GuardedStore(new PostgresStore(deadPool, { table }), { timeoutMs });
    try {
      const outcomes = await Promise.all(mixedCalls(guarded, [uniqueId("id")], "u").map(settle));
      expectBoundedOutcomes(outcomes);
      expect(outcomes.every((outcome) => !outcome.ok)).toBe(true);
      const error = outcomes[0]?.error as SessionStoreError;
      expect(["store_unavailable", "store_timeout"]).toContain(error.code);
      expect(error.cause).toBeInstanceOf(Error);
    } finally {
      await deadPool.end();
    }
    expect(unhandled).toEqual([]);
  });
});
