import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionStore } from "@sesame/core";
import {
  GuardedStore,
  SessionConfigError,
  SessionStoreError,
  scheduleExpiredSweep,
} from "@sesame/core";
import { describeStoreConformance, makeStoredSession, uniqueId } from "@sesame/core/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SQLITE_STORE_DEFAULTS, SqliteStore, type SqliteStoreOptions } from "../src/index.js";
import {
  expectedDrivers,
  isCI,
  loadDriver,
  type OpenDatabase,
  type SqliteDriver,
  withNullForNoRow,
} from "./drivers.js";
import { describeWriteLocking } from "./write-lock-tests.js";

const dir = mkdtempSync(join(tmpdir(), "sesame-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens stores on fresh connections and closes each connection with its store. */
function connections(open: () => OpenDatabase) {
  const opened = new Map<SessionStore, OpenDatabase>();
  return {
    async makeStore(now: () => number): Promise<SessionStore> {
      const db = open();
      const store = await openStore(db, { now });
      opened.set(store, db);
      return store;
    },
    closeStore(store: SessionStore): void {
      opened.get(store)?.close();
      opened.delete(store);
    },
  };
}

function tableNames(db: OpenDatabase): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master ORDER BY name").all() as {
    name: string;
  }[];
  return rows.map((row) => row.name);
}

/** A store whose schema is made, as the README's quick start does it. */
async function openStore(db: OpenDatabase, options?: SqliteStoreOptions): Promise<SqliteStore> {
  const store = new SqliteStore(db, options);
  await store.createSchema();
  return store;
}

function journalMode(db: OpenDatabase): string {
  return (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode;
}

for (const name of expectedDrivers()) {
  const driver = loadDriver(name);
  if (driver instanceof Error) {
    if (isCI()) {
      it(`loads the SQLite driver ${name}`, () => {
        throw new Error(`${driver.message}. CI=true, so this fails instead of skipping.`);
      });
    } else {
      console.warn(`\n!!! SKIPPING the SqliteStore tests on ${name}: ${driver.message}\n`);
    }
    continue;
  }
  describeDriver(driver);
}

function describeDriver(driver: SqliteDriver): void {
  const file = (base: string): string => join(dir, `${driver.name.replace(":", "-")}-${base}`);
  describeStoreConformance(
    `SqliteStore on ${driver.name} (:memory:)`,
    connections(() => driver.open(":memory:")),
  );
  describeStoreConformance(
    `SqliteStore on ${driver.name} (file)`,
    connections(() => driver.open(file("conformance.db"))),
  );
  describeStoreConformance(
    `SqliteStore on ${driver.name} (integers read as bigint)`,
    connections(() => driver.openWithBigInts(":memory:")),
  );
  describeStoreConformance(
    `SqliteStore on ${driver.name} (no row read as null, as bun:sqlite does)`,
    connections(() => withNullForNoRow(driver.open(":memory:"))),
  );
  describeStoreBehaviour(driver, file);
  describeWriteLocking(driver, file);
}

function describeStoreBehaviour(driver: SqliteDriver, file: (base: string) => string): void {
  describe(`SqliteStore on ${driver.name}`, () => {
    it("keeps a record across closing and reopening the file", async () => {
      const filename = file("persist.db");
      const id = uniqueId("id");
      const record = makeStoredSession(Date.now(), { persistent: true, graceUntil: null });
      const first = driver.open(filename);
      await (await openStore(first)).create(id, record);
      first.close();

      const second = driver.open(filename);
      try {
        const store = new SqliteStore(second);
        expect(await store.get(id)).toEqual(record);
        expect(await store.listByUser(record.userId!)).toEqual([{ id, record }]);
      } finally {
        second.close();
      }
    });

    it("turns on WAL for a file database, and leaves :memory: alone", () => {
      const fileDb = driver.open(file("wal.db"));
      const memory = driver.open(":memory:");
      try {
        expect(journalMode(fileDb)).toBe("delete");
        new SqliteStore(fileDb);
        expect(journalMode(fileDb)).toBe("wal");
        new SqliteStore(memory);
        expect(journalMode(memory)).toBe("memory");
      } finally {
        fileDb.close();
        memory.close();
      }
    });

    it("creates the schema idempotently and keeps rows when built again", async () => {
      const db = driver.open(":memory:");
      const id = uniqueId("id");
      const store = await openStore(db);
      await store.createSchema();
      await store.create(id, makeStoredSession(Date.now()));
      const again = await openStore(db);
      expect(await again.get(id)).not.toBeNull();
      expect(tableNames(db)).toEqual([
        "sesame_sessions",
        "sesame_sessions_expires_at",
        "sesame_sessions_user_id",
        "sqlite_autoindex_sesame_sessions_1",
      ]);
      db.close();
    });

    it("runs exactly the DDL its README documents, in createSchema() only", async () => {
      const db = driver.open(":memory:");
      const exec = vi.spyOn(db, "exec");
      const store = new SqliteStore(db);
      expect(tableNames(db)).toEqual([]);
      await store.createSchema();
      const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
      const documented = /## Schema[\s\S]*?```sql\n([\s\S]*?)```/.exec(readme)?.[1];
      const normalize = (sql: string | undefined): string =>
        (sql ?? "").replace(/\s+/g, " ").trim();
      expect(exec.mock.calls.map(([sql]) => normalize(sql))).toEqual([
        "PRAGMA journal_mode = WAL",
        normalize(documented),
      ]);
      expect(normalize(store.schemaSql)).toBe(normalize(documented));
      db.close();
    });

    it("says to call createSchema() when its table is missing, from the first call on", async () => {
      const db = driver.open(":memory:");
      const store = new SqliteStore(db, { table: "app_sessions" });
      const message =
        'SqliteStore: the table "app_sessions" does not exist. Call `await store.createSchema()` once at start-up, before serving requests (or run store.schemaSql in a migration).';
      for (const call of [() => store.get("id"), () => store.deleteExpired()]) {
        const failure = await Promise.resolve(call()).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(SessionStoreError);
        expect(failure).toMatchObject({ code: "store_misconfigured", message });
      }
      const guarded = new GuardedStore(store, { retries: 3 });
      await expect(guarded.get("id")).rejects.toMatchObject({ code: "store_misconfigured" });
      expect(tableNames(db)).toEqual([]);
      db.exec(store.schemaSql);
      expect(await store.get("id")).toBeNull();
      db.close();
    });

    it("looks records up by primary key and users through the user_id index", async () => {
      const db = driver.open(":memory:");
      const store = await openStore(db);
      const prepare = vi.spyOn(db, "prepare");
      const record = makeStoredSession(Date.now());
      await store.create("id", record);
      await store.get("id");
      await store.update("id", record, 1);
      await store.listByUser("user");
      await store.deleteByUser("user");
      await store.countSessions("user");
      await store.delete("id");
      const statements = prepare.mock.calls.map(([sql]) => sql);
      const plan = (sql: string): string => {
        const rows = db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...Array.from(sql.matchAll(/\?/g), () => "x")) as { detail: string }[];
        return rows.map((row) => row.detail).join("; ");
      };
      const byId = statements.find((sql) => sql.startsWith("SELECT") && sql.includes("id = ?"))!;
      const byUser = statements.filter((sql) => sql.includes("WHERE user_id = ?"));
      expect(plan(byId)).toMatch(/USING INDEX sqlite_autoindex_sesame_sessions_1/);
      expect(byUser).toHaveLength(3);
      for (const sql of byUser) expect(plan(sql)).toMatch(/USING INDEX sesame_sessions_user_id/);
      db.close();
    });

    it("deletes expired rows in batches, counts them, and spares live ones", async () => {
      let time = 1_000_000;
      const db = driver.open(":memory:");
      const store = await openStore(db, { now: () => time });
      const backlog = SQLITE_STORE_DEFAULTS.batchSize * 2 + 500;
      for (let index = 0; index < backlog; index++) {
        await store.create(`old-${index}`, makeStoredSession(time, { expiresAt: time + 1_000 }));
      }
      await store.create("edge", makeStoredSession(time, { expiresAt: time + 2_000 }));
      await store.create("live", makeStoredSession(time, { expiresAt: time + 2_001 }));
      time += 2_000;
      expect(await store.deleteExpired()).toBe(0);
      expect(await store.get("edge")).not.toBeNull();
      time += SQLITE_STORE_DEFAULTS.expiredRetentionMs;

      expect(await store.deleteExpired({ limit: 7 })).toBe(7);
      let yielded = false;
      const pending = store.deleteExpired();
      setImmediate(() => {
        yielded = true;
      });
      expect(await pending).toBe(backlog - 7 + 1);
      expect(yielded).toBe(true);
      expect(await store.deleteExpired()).toBe(0);
      const { count } = db.prepare("SELECT count(*) AS count FROM sesame_sessions").get() as {
        count: number;
      };
      expect(count).toBe(1);
      expect(await store.get("live")).not.toBeNull();
      await expect(store.deleteExpired({ limit: -1 })).rejects.toThrow(RangeError);
      await expect(store.deleteExpired({ batchSize: 0 })).rejects.toThrow(/batchSize/);
      db.close();
    });

    it("counts only live sessions in deleteByUser, yet removes the user's expired rows too", async () => {
      let time = 1_000_000;
      const db = driver.open(":memory:");
      const store = await openStore(db, { now: () => time });
      const userId = uniqueId("user");
      await store.create("short", makeStoredSession(time, { userId, expiresAt: time + 1_000 }));
      await store.create("long", makeStoredSession(time, { userId }));
      time += 1_000;
      expect(await store.deleteByUser(userId)).toBe(1);
      expect(await store.deleteExpired()).toBe(0);
      db.close();
    });

    it("is swept on a schedule by scheduleExpiredSweep, which stops on shutdown", async () => {
      let time = 1_000_000;
      const db = driver.open(":memory:");
      const store = await openStore(db, { now: () => time, expiredRetentionMs: 0 });
      await store.create("old", makeStoredSession(time, { expiresAt: time + 1_000 }));
      await store.create("live", makeStoredSession(time, { expiresAt: time + 60_000 }));
      time += 1_000;
      const swept: number[] = [];
      const sweep = scheduleExpiredSweep(store, { intervalMs: 5, onSwept: (n) => swept.push(n) });
      await vi.waitFor(() => expect(swept[0]).toBe(1));
      await sweep.stop();
      expect(await store.get("old")).toBeNull();
      expect(await store.get("live")).not.toBeNull();
      db.close();
    });

    it("refuses an expiredRetentionMs that is negative", () => {
      const db = driver.open(":memory:");
      expect(() => new SqliteStore(db, { expiredRetentionMs: -1 })).toThrow(SessionConfigError);
      db.close();
    });

    it("keeps stores on different tables of one database apart", async () => {
      const db = driver.open(":memory:");
      const a = await openStore(db, { table: "app_sessions" });
      const b = await openStore(db, { table: "Admin_Sessions2" });
      const id = uniqueId("id");
      await a.create(id, makeStoredSession(Date.now()));
      expect(await a.get(id)).not.toBeNull();
      expect(await b.get(id)).toBeNull();
      expect(tableNames(db)).toContain("Admin_Sessions2_user_id");
      db.close();
    });

    it.each([
      "",
      "1sessions",
      "sessions; DROP TABLE users",
      'ses"sions',
      "main.sessions",
      "my-sessions",
      "sqlite_sessions",
      "s".repeat(64),
    ])("refuses the table name %j at construction", (table) => {
      const db = driver.open(":memory:");
      expect(() => new SqliteStore(db, { table })).toThrow(SessionConfigError);
      expect(() => new SqliteStore(db, { table })).toThrow(/plain SQL identifier/);
      expect(tableNames(db)).toEqual([]);
      db.close();
    });

    it("reads the real clock by default", async () => {
      const db = driver.open(":memory:");
      const store = await openStore(db);
      const retention = SQLITE_STORE_DEFAULTS.expiredRetentionMs;
      const recent = makeStoredSession(Date.now() - 10_000, { expiresAt: Date.now() - 1 });
      const past = makeStoredSession(Date.now() - 10_000, { expiresAt: Date.now() - retention });
      await store.create("recent", recent);
      await store.create("past", past);
      expect(await store.get("recent")).toEqual(recent);
      expect(await store.get("past")).toBeNull();
      db.close();
    });

    it("rejects, never throws, when SQLite fails, and GuardedStore names the failure", async () => {
      const db = driver.open(":memory:");
      const store = await openStore(db);
      const record = makeStoredSession(Date.now());
      db.exec(`DROP TABLE ${SQLITE_STORE_DEFAULTS.table}`);
      const calls: (() => unknown)[] = [
        () => store.get("id"),
        () => store.create("id", record),
        () => store.update("id", record, 1),
        () => store.delete("id"),
        () => store.listByUser("user"),
        () => store.deleteByUser("user", "id"),
        () => store.countSessions(),
        () => store.deleteExpired(),
      ];
      for (const call of calls) {
        let pending: unknown;
        expect(() => {
          pending = call();
        }).not.toThrow();
        await expect(pending).rejects.toThrow(/no such table/);
      }

      const guarded = new GuardedStore(store, { retryDelayMs: 1 });
      const failure = await guarded.get("id").catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SessionStoreError);
      expect(failure).toMatchObject({ code: "store_unavailable" });
      expect((failure as SessionStoreError).cause).toBeInstanceOf(Error);
      await expect(guarded.update("id", record, 1)).rejects.toBeInstanceOf(SessionStoreError);
      db.close();
    });
  });
}
