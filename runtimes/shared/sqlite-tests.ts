/**
 * The store conformance suite on `@sesame/sqlite` over a runtime's built-in SQLite driver
 * (`bun:sqlite`, Deno's `node:sqlite`): an in-memory database, a file, and a connection that
 * reads integers as `bigint`; then the writes under another connection's lock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionStore } from "@sesame/core";
import { describeStoreConformance } from "@sesame/core/testing";
import { type SqliteDatabase, SqliteStore } from "@sesame/sqlite";
import { afterAll } from "vitest";
import { describeWriteLocking } from "../../packages/store-sqlite/test/write-lock-tests.ts";

/** An open database of the driver under test. */
export interface OpenDatabase extends SqliteDatabase {
  close(): void;
}

/** How to open the driver's databases. */
export interface SqliteDriver {
  name: string;
  open(filename: string): OpenDatabase;
  openWithBigInts(filename: string): OpenDatabase;
}

function connections(open: () => OpenDatabase) {
  const opened = new Map<SessionStore, OpenDatabase>();
  return {
    async makeStore(now: () => number): Promise<SessionStore> {
      const db = open();
      const store = new SqliteStore(db, { now });
      await store.createSchema();
      opened.set(store, db);
      return store;
    },
    closeStore(store: SessionStore): void {
      opened.get(store)?.close();
      opened.delete(store);
    },
  };
}

/** Registers the store conformance suite three times on `driver`, then the write-lock tests. */
export function describeSqliteConformance(driver: SqliteDriver): void {
  const dir = mkdtempSync(join(tmpdir(), "sesame-runtimes-sqlite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const name = `SqliteStore on ${driver.name}`;
  describeStoreConformance(
    `${name} (:memory:)`,
    connections(() => driver.open(":memory:")),
  );
  describeStoreConformance(
    `${name} (file)`,
    connections(() => driver.open(join(dir, "conformance.db"))),
  );
  describeStoreConformance(
    `${name} (integers read as bigint)`,
    connections(() => driver.openWithBigInts(":memory:")),
  );
  describeWriteLocking(driver, (base) => join(dir, base));
}
