/**
 * `@sesame/sqlite`: a SQLite session store for sesame, on any synchronous SQLite driver
 * (`node:sqlite`, better-sqlite3, `bun:sqlite`, libsql).
 *
 * @module
 */

export type { SqliteDatabase, SqliteStatement, SqliteValue } from "./driver.js";
export {
  type DeleteExpiredOptions,
  SQLITE_STORE_DEFAULTS,
  SqliteStore,
  type SqliteStoreOptions,
} from "./sqlite-store.js";
