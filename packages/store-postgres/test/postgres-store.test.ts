import { readFileSync } from "node:fs";
import { SessionConfigError, SessionManager, SessionStoreError } from "@sesame/core";
import { describeStoreConformance, makeStoredSession, uniqueId } from "@sesame/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POSTGRES_STORE_DEFAULTS, PostgresStore } from "../src/index.js";
import { connectionString, requirePostgres, uniqueTableName } from "./postgres-service.js";

const available = await requirePostgres();
const table = uniqueTableName("sesame_test");
const schema = uniqueTableName("sesame_schema");
let pool: pg.Pool;

describe.runIf(available)("PostgresStore", () => {
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString, max: 10 });
    pool.on("error", () => undefined);
    await new PostgresStore(pool, { table }).createSchema();
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  describeStoreConformance("PostgresStore", {
    makeStore: (now) => new PostgresStore(pool, { table, now }),
  });

  it("creates its schema idempotently, also from many callers at once", async () => {
    const name = uniqueTableName("sesame_twice");
    const store = new PostgresStore(pool, { table: name });
    try {
      await store.createSchema();
      await store.createSchema();
      await Promise.all(
        [1, 2, 3, 4].map(() => new PostgresStore(pool, { table: name }).createSchema()),
      );
      const { rows } = await pool.query(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
        [name],
      );
      expect(rows.map((row) => row.indexname)).toEqual([
        `${name}_expires_at_idx`,
        `${name}_pkey`,
        `${name}_user_id_idx`,
      ]);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${name}"`);
    }
  });

  it("keeps its table in the schema it is given", async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const store = new PostgresStore(pool, { schema, table });
    await store.createSchema();
    const { rows } = await pool.query("SELECT to_regclass($1) AS name", [`"${schema}"."${table}"`]);
    expect(rows[0].name).not.toBeNull();
    const id = uniqueId("id");
    const record = makeStoredSession(Date.now());
    await store.create(id, record);
    expect(await store.get(id)).toEqual(record);
    expect(await new PostgresStore(pool, { table }).get(id)).toBeNull();
  });

  // A clock in 1970, so that rows other tests left in the table are all live to it.
  it.each([
    { rows: 25, batchSize: 10, statements: 3 },
    { rows: 20, batchSize: 10, statements: 3 },
    { rows: 7, batchSize: 1_000, statements: 1 },
  ])("deletes $rows expired rows in batches of $batchSize", async (sample) => {
    let time = 1_000_000;
    const store = new PostgresStore(pool, { table, now: () => time });
    for (let index = 0; index < sample.rows; index++) {
      await store.create(uniqueId("old"), makeStoredSession(time, { expiresAt: time + 1_000 }));
    }
    const live = uniqueId("live");
    await store.create(live, makeStoredSession(time, { expiresAt: time + 60_000 }));
    time += 1_000;
    expect(await store.deleteExpired()).toBe(0);
    time += POSTGRES_STORE_DEFAULTS.expiredRetentionMs;
    const query = vi.spyOn(pool, "query");
    try {
      expect(await store.deleteExpired({ batchSize: sample.batchSize })).toBe(sample.rows);
      expect(query).toHaveBeenCalledTimes(sample.statements);
    } finally {
      query.mockRestore();
    }
    const { rows } = await pool.query(
      `SELECT count(*)::int AS expired FROM "${table}" WHERE expires_at <= $1`,
      [time - POSTGRES_STORE_DEFAULTS.expiredRetentionMs],
    );
    expect(rows[0].expired).toBe(0);
    expect(await store.get(live)).not.toBeNull();
    expect(await store.deleteExpired()).toBe(0);
    await store.delete(live);
  });

  it("refuses an expiredRetentionMs that is negative", () => {
    expect(() => new PostgresStore(pool, { table, expiredRetentionMs: -1 })).toThrow(
      SessionConfigError,
    );
  });

  it("says to call createSchema() when its table is missing, from the first call on", async () => {
    const missing = uniqueTableName("sesame_missing");
    const store = new PostgresStore(pool, { table: missing });
    const message = `PostgresStore: the table "${missing}" does not exist. Call \`await store.createSchema()\` once at start-up, before serving requests (or run store.schemaSql in a migration).`;
    const failure = await store.get("id").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreError);
    expect(failure).toMatchObject({ code: "store_misconfigured", message });
    await expect(store.create("id", makeStoredSession(Date.now()))).rejects.toThrow(message);

    const warnings: string[] = [];
    const manager = new SessionManager({ store, onWarning: (text) => warnings.push(text) });
    const request = { secure: true, host: "app.example" };
    const loading = manager.load(`__Host-sid=${"A".repeat(43)}`, request);
    await expect(loading).rejects.toMatchObject({ code: "store_misconfigured", status: 503 });
    expect(warnings).toEqual([
      `sesame: the session store is misconfigured, so session requests answer 503: ${message}`,
    ]);
    try {
      await store.createSchema();
      expect(await store.get("id")).toBeNull();
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${missing}"`);
    }
  });

  it("deletes at most limit expired rows, as SqliteStore does", async () => {
    let time = 2_000_000;
    const store = new PostgresStore(pool, { table, now: () => time, expiredRetentionMs: 0 });
    for (let index = 0; index < 5; index++) {
      await store.create(uniqueId("old"), makeStoredSession(time, { expiresAt: time + 1_000 }));
    }
    time += 1_000;
    expect(await store.deleteExpired({ limit: 3, batchSize: 2 })).toBe(3);
    expect(await store.deleteExpired({ limit: 0 })).toBe(0);
    expect(await store.deleteExpired()).toBe(2);
    await expect(store.deleteExpired({ limit: -1 })).rejects.toThrow(/limit/);
  });

  it("rejects a batchSize that is not a positive integer", async () => {
    await expect(
      new PostgresStore(pool, { table }).deleteExpired({ batchSize: 0 }),
    ).rejects.toThrow(/batchSize/);
  });

  it("returns times and versions as numbers, not bigint strings", async () => {
    const store = new PostgresStore(pool, { table });
    const id = uniqueId("id");
    const far = 8_640_000_000_000_000;
    const record = makeStoredSession(Date.now(), { expiresAt: far, absoluteExpiresAt: far });
    await store.create(id, record);
    expect(await store.update(id, record, 1)).toBe(true);
    const read = await store.get(id);
    expect(read).toEqual({ ...record, version: 2 });
    expect(typeof read?.version).toBe("number");
    expect(typeof read?.expiresAt).toBe("number");
  });

  it("keeps prepared statements of two tables on one pool apart", async () => {
    const other = new PostgresStore(pool, { schema, table });
    const store = new PostgresStore(pool, { table });
    const id = uniqueId("id");
    await store.create(id, makeStoredSession(Date.now()));
    for (let round = 0; round < 20; round++) {
      expect(await store.get(id)).not.toBeNull();
      expect(await other.get(id)).toBeNull();
    }
  });

  it("documents in its README the exact DDL it runs", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(new PostgresStore(pool).schemaSql);
  });
});

describe("PostgresStore options", () => {
  const fakePool = {} as pg.Pool;

  it.each([
    "",
    "1sessions",
    "sessions-v2",
    'ses"sions',
    "ses sions",
    "sessions; DROP TABLE users",
    "séssions",
    "s".repeat(49),
  ])("rejects the table name %j at construction", (name) => {
    expect(() => new PostgresStore(fakePool, { table: name })).toThrow(SessionConfigError);
    expect(() => new PostgresStore(fakePool, { table: name })).toThrow(/table must be/);
  });

  it.each(["", "public.x", 'a"b', "s".repeat(64)])(
    "rejects the schema name %j at construction",
    (name) => {
      expect(() => new PostgresStore(fakePool, { schema: name })).toThrow(/schema must be/);
    },
  );

  it("accepts the longest names it allows and states every default", () => {
    expect(
      () => new PostgresStore(fakePool, { schema: "s".repeat(63), table: "T_1".repeat(16) }),
    ).not.toThrow();
    expect(POSTGRES_STORE_DEFAULTS).toMatchObject({ table: "sesame_sessions", batchSize: 1_000 });
    expect(new PostgresStore(fakePool).schemaSql).toContain(
      'CREATE TABLE IF NOT EXISTS "sesame_sessions"',
    );
  });
});
