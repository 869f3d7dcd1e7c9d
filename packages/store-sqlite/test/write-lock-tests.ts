/**
 * How the store writes while another connection holds SQLite's write lock, and inside a
 * transaction of the caller's: run on every Node driver and on the runtimes' own (bun:sqlite,
 * Deno's node:sqlite), because drivers differ in how they leave a statement that failed busy.
 */
import { makeStoredSession, uniqueId } from "@sesame/core/testing";
import { describe, expect, it } from "vitest";
import { type SqliteDatabase, SqliteStore } from "../src/index.js";

/** An open database of the driver under test. */
type LockTestDb = SqliteDatabase & { close(): void };

/** A driver's way to open a database file (or `:memory:`). */
export interface LockTestDriver {
  name: string;
  open(filename: string): LockTestDb;
}

/** Registers the write-lock tests on `driver`; `file` names a database file in a temporary folder. */
export function describeWriteLocking(driver: LockTestDriver, file: (base: string) => string): void {
  describe(`SqliteStore on ${driver.name}: writes under another connection's lock`, () => {
    /** A store on a file with a 10 ms busy timeout, and a second connection to the same file. */
    async function withLocker(
      run: (store: SqliteStore, db: LockTestDb, locker: LockTestDb) => Promise<void>,
    ): Promise<void> {
      const filename = file(`${uniqueId("locked")}.db`);
      const db = driver.open(filename);
      const locker = driver.open(filename);
      try {
        db.exec("PRAGMA busy_timeout = 10");
        const store = new SqliteStore(db);
        await store.createSchema();
        await run(store, db, locker);
      } finally {
        locker.close();
        db.close();
      }
    }

    it("loses no later write after writes failed on another connection's lock", async () => {
      await withLocker(async (store, _db, locker) => {
        const record = makeStoredSession(Date.now());
        const kept = uniqueId("id");
        await store.create(kept, record);
        locker.exec("BEGIN IMMEDIATE");
        const writes = (id: string): (() => Promise<unknown>)[] => [
          () => store.update(kept, record, record.version),
          () => store.delete(id),
          () => store.deleteByUser("nobody"),
          () => store.deleteExpired(),
          () => store.create(id, record),
        ];
        for (const write of writes(uniqueId("id"))) {
          await expect(write()).rejects.toThrow(/locked|busy/i);
        }
        locker.exec("COMMIT");

        const later = uniqueId("id");
        await store.create(later, record);
        // Each statement that failed runs again, with the lock free.
        for (const write of writes(uniqueId("id"))) await write();
        expect(await store.get(later)).toEqual(record);
        expect(await new SqliteStore(locker).get(later)).toEqual(record);
      });
    });

    it("writes inside a transaction the caller opened on the same connection, as part of it", async () => {
      for (const db of [driver.open(":memory:"), withoutTransactionFlag(driver.open(":memory:"))]) {
        try {
          const store = new SqliteStore(db);
          await store.createSchema();
          const id = uniqueId("id");
          db.exec("BEGIN");
          await store.create(id, makeStoredSession(Date.now()));
          expect(await store.get(id)).not.toBeNull();
          db.exec("ROLLBACK");
          expect(await store.get(id)).toBeNull();
        } finally {
          db.close();
        }
      }
    });

    it("keeps writing after writes inside the caller's transaction failed on another connection's lock", async () => {
      await withLocker(async (store, db, locker) => {
        const record = makeStoredSession(Date.now());
        locker.exec("BEGIN IMMEDIATE");
        db.exec("BEGIN");
        await expect(store.delete(uniqueId("id"))).rejects.toThrow(/locked|busy/i);
        await expect(store.deleteByUser("nobody")).rejects.toThrow(/locked|busy/i);
        db.exec("ROLLBACK");
        locker.exec("COMMIT");

        const later = uniqueId("id");
        await store.create(later, record);
        await store.update(later, record, record.version);
        expect(await new SqliteStore(locker).get(later)).toEqual({
          ...record,
          version: record.version + 1,
        });
      });
    });
  });
}

/** The database without `inTransaction`/`isTransaction`, as a driver that has neither. */
function withoutTransactionFlag(
  db: SqliteDatabase & { close(): void },
): SqliteDatabase & { close(): void } {
  return {
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    close: () => db.close(),
  };
}
