/**
 * The synchronous SQLite drivers the store is tested on, each opened the same way, and which
 * of them this run must have. `SESAME_SQLITE_DRIVERS` (comma-separated names) overrides the
 * default list: every driver except `node:sqlite` before Node 22.13, where it is missing or
 * behind a flag.
 */
import { createRequire } from "node:module";
import type { SqliteDatabase } from "../src/index.js";

const require = createRequire(import.meta.url);

/** An open database of one driver, with the calls the tests need beyond the store's. */
export interface OpenDatabase extends SqliteDatabase {
  close(): void;
}

/** A driver under test: how to open a database, or why it cannot be loaded here. */
export interface SqliteDriver {
  name: DriverName;
  open(filename: string): OpenDatabase;
  /** Opens a database that reads every integer as a `bigint`. */
  openWithBigInts(filename: string): OpenDatabase;
}

export type DriverName = "node:sqlite" | "better-sqlite3" | "libsql";

type Constructor = new (filename: string, options?: object) => OpenDatabase;

function loadConstructor(name: DriverName): Constructor {
  if (name === "node:sqlite")
    return (require("node:sqlite") as { DatabaseSync: Constructor }).DatabaseSync;
  return require(name) as Constructor;
}

/**
 * `node:sqlite` reads integers as `bigint` with `readBigInts`; better-sqlite3 and libsql do
 * with `defaultSafeIntegers()`.
 */
function openWithBigInts(Database: Constructor, filename: string): OpenDatabase {
  const db = new Database(filename, { readBigInts: true }) as OpenDatabase & {
    defaultSafeIntegers?: (on: boolean) => unknown;
  };
  db.defaultSafeIntegers?.(true);
  return db;
}

/**
 * The database with every statement's `get` answering `null` for no row, as `bun:sqlite`
 * does, so Node runs prove the store reads that shape too.
 */
export function withNullForNoRow(db: OpenDatabase): OpenDatabase {
  return {
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        get: (...params) => statement.get(...params) ?? null,
        all: (...params) => statement.all(...params),
        run: (...params) => statement.run(...params),
      };
    },
  };
}

/** Loads a driver and opens one `:memory:` database with it, or returns why it cannot. */
export function loadDriver(name: DriverName): SqliteDriver | Error {
  try {
    const Database = loadConstructor(name);
    new Database(":memory:").close();
    return {
      name,
      open: (filename) => new Database(filename),
      openWithBigInts: (filename) => openWithBigInts(Database, filename),
    };
  } catch (error) {
    const hint =
      name === "better-sqlite3"
        ? " (its native binary is built by `bash .ci/build-better-sqlite3` for the Node on PATH)"
        : "";
    return new Error(
      `the SQLite driver ${name} cannot be loaded on Node ${process.version}${hint}: ${String(error)}`,
    );
  }
}

function nodeHasSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/** The drivers this run must test. */
export function expectedDrivers(): DriverName[] {
  const listed = process.env.SESAME_SQLITE_DRIVERS?.trim();
  if (listed) return listed.split(",").map((name) => name.trim() as DriverName);
  const all: DriverName[] = ["better-sqlite3", "libsql"];
  return nodeHasSqlite() ? ["node:sqlite", ...all] : all;
}

/** Whether the environment is a CI run, where a missing driver is a failure. */
export function isCI(): boolean {
  const value = (process.env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false";
}
