/**
 * A value SQLite binds to a `?` parameter, as every supported driver accepts it.
 *
 * @example
 * ```ts
 * const params: SqliteValue[] = ["id", null, 1];
 * ```
 */
export type SqliteValue = string | number | bigint | null;

/**
 * The part of a prepared statement that {@link SqliteStore} calls. Every synchronous driver
 * has this shape: `node:sqlite`'s `StatementSync`, better-sqlite3's and libsql's `Statement`
 * and `bun:sqlite`'s `Statement`. A missing row may come back as `undefined` or `null`, and
 * integers and `changes` as `number` or `bigint`: the store accepts each.
 *
 * @example
 * ```ts
 * const statement: SqliteStatement = db.prepare("SELECT 1 AS one");
 * ```
 */
export interface SqliteStatement {
  /** The first row, or `undefined`/`null` when there is none. */
  get(...params: SqliteValue[]): unknown;
  /** Every row. */
  all(...params: SqliteValue[]): unknown[];
  /** Runs the statement; `changes` is how many rows it inserted, updated or deleted. */
  run(...params: SqliteValue[]): { changes: number | bigint };
}

/**
 * The part of an open SQLite database that {@link SqliteStore} calls: `exec` for the schema
 * and `prepare` for everything else. A structural type of the store's own, so the store works
 * with any synchronous driver and its types need none of theirs.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite"; // or better-sqlite3, bun:sqlite, libsql
 * const db: SqliteDatabase = new DatabaseSync("sessions.db");
 * ```
 */
export interface SqliteDatabase {
  /** Runs one or more SQL statements that return nothing. */
  exec(sql: string): unknown;
  /** Compiles one SQL statement. */
  prepare(sql: string): SqliteStatement;
}

/**
 * A statement that `prepare` compiles on its first run, not before: the store can then be
 * built before its table exists, and say so on first use instead of failing at construction.
 *
 * @example
 * ```ts
 * const select = preparedOnFirstRun(() => db.prepare("SELECT 1 AS one"));
 * select.get(); // prepares, then runs
 * ```
 */
export function preparedOnFirstRun(prepare: () => SqliteStatement): SqliteStatement {
  let statement: SqliteStatement | undefined;
  const prepared = (): SqliteStatement => {
    statement ??= prepare();
    return statement;
  };
  return {
    get: (...params) => prepared().get(...params),
    all: (...params) => prepared().all(...params),
    run: (...params) => prepared().run(...params),
  };
}
