/**
 * `@sesame/sqlite`: a SQLite session store for sesame, on better-sqlite3.
 *
 * @module
 */
export { SQLITE_STORE_DEFAULTS, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
