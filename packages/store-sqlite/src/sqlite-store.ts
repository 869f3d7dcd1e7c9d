import type { SessionStore, StoredSession, StoredSessionEntry } from "@sesame/core";
import { EXPIRED_RETENTION_MS, SessionConfigError, SessionStoreError } from "@sesame/core";
import { preparedOnFirstRun, type SqliteDatabase, type SqliteStatement } from "./driver.js";

/**
 * Options for {@link SqliteStore}.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { table: "app_sessions" };
 * const store = new SqliteStore(db, options);
 * ```
 */
export interface SqliteStoreOptions {
  /** Table that holds the sessions: a plain SQL identifier. `createSchema()` makes it. */
  table?: string;
  /** The clock, in milliseconds since the epoch. Inject one in tests. */
  now?: () => number;
  /**
   * How long `get` keeps returning an expired row, so the manager reports a late cookie as
   * `expired` rather than `unknown_session`; `deleteExpired` removes rows older than that.
   */
  expiredRetentionMs?: number;
}

/**
 * Options for {@link SqliteStore.deleteExpired}; `PostgresStore` takes the same.
 *
 * @example
 * ```ts
 * const removed = await store.deleteExpired({ limit: 10_000 } satisfies DeleteExpiredOptions);
 * ```
 */
export interface DeleteExpiredOptions {
  /** Most rows this call removes. Default: every expired row. */
  limit?: number;
  /** Most rows one `DELETE` statement removes before the store yields to the event loop. */
  batchSize?: number;
}

/**
 * Defaults of {@link SqliteStoreOptions} and {@link DeleteExpiredOptions}.
 *
 * @example
 * ```ts
 * const store = new SqliteStore(db, { table: SQLITE_STORE_DEFAULTS.table });
 * ```
 */
export const SQLITE_STORE_DEFAULTS = {
  table: "sesame_sessions",
  now: (): number => Date.now(),
  expiredRetentionMs: EXPIRED_RETENTION_MS,
  /** Most rows one `DELETE` statement of `deleteExpired` removes before yielding. */
  batchSize: 1_000,
} as const;

/** Letters, digits and `_`, not starting with a digit, at most 63 characters. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The record fields kept in their own columns; the rest is one JSON text. */
type Columns = { userId: string | null; version: number; expiresAt: number; record: string };
/** A row as a driver returns it: integers may come back as `bigint` (safe-integer modes). */
type Row = {
  id: string;
  user_id: string | null;
  version: number | bigint;
  expires_at: number | bigint;
  record: string;
};

function schemaFor(table: string): string {
  return `CREATE TABLE IF NOT EXISTS "${table}" (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT,
  version INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON "${table}" (expires_at);
CREATE INDEX IF NOT EXISTS "${table}_user_id" ON "${table}" (user_id) WHERE user_id IS NOT NULL;`;
}

function toColumns(session: StoredSession): Columns {
  const { userId, version, expiresAt, ...rest } = session;
  return { userId, version, expiresAt, record: JSON.stringify(rest) };
}

function fromRow(row: Row): StoredSession {
  const rest = JSON.parse(row.record) as Omit<StoredSession, "userId" | "version" | "expiresAt">;
  const version = Number(row.version);
  return { ...rest, userId: row.user_id, version, expiresAt: Number(row.expires_at) };
}

/** The parameters of an insert, in the order of the columns. */
function columnValues(id: string, { userId, version, expiresAt, record }: Columns) {
  return [id, userId, version, expiresAt, record] as const;
}

/**
 * Whether a transaction is open on `db`: `inTransaction` on better-sqlite3, libsql and
 * bun:sqlite, `isTransaction` on node:sqlite; a driver with neither is taken to have none open.
 */
function inTransaction(db: SqliteDatabase): boolean {
  const flags = db as { inTransaction?: boolean; isTransaction?: boolean };
  return flags.inTransaction ?? flags.isTransaction ?? false;
}

/** Rolls back the open transaction; SQLite may have rolled it back already on the error. */
function rollBack(db: SqliteDatabase): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // No transaction was left to roll back.
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sessions in a SQLite database: the persistent embedded store. Sessions survive restarts,
 * and every process on the machine that opens the same file shares them. `db` is any
 * synchronous driver's open database ({@link SqliteDatabase}): `node:sqlite`'s `DatabaseSync`,
 * better-sqlite3, `bun:sqlite` or libsql.
 *
 * The constructor turns on WAL (a no-op for `:memory:`); {@link SqliteStore.createSchema}
 * creates the table and its indexes, and the first call checks that they exist. Expired rows are returned by `get` for `expiredRetentionMs` (so the
 * manager can report them as expired), never by anything else; {@link SqliteStore.deleteExpired}
 * removes them from disk after that. The store does not own `db`: close it yourself when you are done.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * const store = new SqliteStore(new DatabaseSync("sessions.db"));
 * await store.createSchema();
 * const manager = new SessionManager({ store });
 * ```
 */
export class SqliteStore implements SessionStore {
  /**
   * The exact SQL {@link SqliteStore.createSchema} runs, for migration tools that keep DDL in
   * their own files.
   *
   * @example
   * ```ts
   * writeFileSync("migrations/001_sessions.sql", new SqliteStore(db).schemaSql);
   * ```
   */
  readonly schemaSql: string;
  readonly #db: SqliteDatabase;
  readonly #table: string;
  /** Whether the table is known to exist; checked by the first statement that runs. */
  #tableFound = false;
  readonly #now: () => number;
  readonly #retention: number;
  readonly #select: SqliteStatement;
  readonly #insert: SqliteStatement;
  readonly #update: SqliteStatement;
  readonly #delete: SqliteStatement;
  readonly #selectByUser: SqliteStatement;
  readonly #deleteByUser: SqliteStatement;
  readonly #deleteExpired: SqliteStatement;
  readonly #count: SqliteStatement;
  readonly #countByUser: SqliteStatement;
  /** A write that changes nothing: takes the write lock inside a caller's transaction. */
  readonly #takeWriteLock: string;

  constructor(db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    const table = options.table ?? SQLITE_STORE_DEFAULTS.table;
    if (!IDENTIFIER.test(table) || /^sqlite_/i.test(table)) {
      throw new SessionConfigError(
        `SqliteStore: table must be a plain SQL identifier (letters, digits and _, not starting with a digit or "sqlite_", at most 63 characters); got ${JSON.stringify(table)}.`,
      );
    }
    this.#now = options.now ?? SQLITE_STORE_DEFAULTS.now;
    this.#retention = options.expiredRetentionMs ?? SQLITE_STORE_DEFAULTS.expiredRetentionMs;
    if (!Number.isFinite(this.#retention) || this.#retention < 0) {
      throw new SessionConfigError(
        `SqliteStore: expiredRetentionMs must be a non-negative number, got ${String(this.#retention)}.`,
      );
    }
    db.exec("PRAGMA journal_mode = WAL");
    this.schemaSql = schemaFor(table);
    this.#db = db;
    this.#table = table;
    const t = `"${table}"`;
    const columns = "id, user_id, version, expires_at, record";
    this.#select = this.#prepare(`SELECT ${columns} FROM ${t} WHERE id = ? AND expires_at > ?`);
    this.#insert = this.#prepare(`INSERT OR REPLACE INTO ${t} (${columns}) VALUES (?, ?, ?, ?, ?)`);
    this.#update = this.#prepare(
      `UPDATE ${t} SET user_id = ?, version = ?, expires_at = ?, record = ?
       WHERE id = ? AND version = ? AND expires_at > ?`,
    );
    this.#delete = this.#prepare(`DELETE FROM ${t} WHERE id = ?`);
    this.#takeWriteLock = `DELETE FROM ${t} WHERE 0`;
    this.#selectByUser = this.#prepare(
      `SELECT ${columns} FROM ${t} WHERE user_id = ? AND expires_at > ?`,
    );
    this.#deleteByUser = this.#prepare(
      `DELETE FROM ${t} WHERE user_id = ? AND id IS NOT ? RETURNING expires_at`,
    );
    this.#deleteExpired = this.#prepare(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?)`,
    );
    // Live records that hold a session of their own: not a forwarder, tombstone or pending one.
    const holdsSession = "json_extract(record, '$.successorId') IS NULL";
    this.#count = this.#prepare(
      `SELECT count(*) AS count FROM ${t} WHERE expires_at > ? AND ${holdsSession}`,
    );
    this.#countByUser = this.#prepare(
      `SELECT count(*) AS count FROM ${t} WHERE user_id = ? AND expires_at > ? AND ${holdsSession}`,
    );
  }

  /**
   * Creates the table and its indexes if they do not exist yet. Idempotent: call it once at
   * every start, from any number of processes sharing the file.
   *
   * @example
   * ```ts
   * await new SqliteStore(db).createSchema();
   * ```
   */
  async createSchema(): Promise<void> {
    this.#db.exec(this.schemaSql);
    this.#tableFound = true;
  }

  /**
   * Answers synchronously, as the driver does (the store contract allows it), so a session read
   * costs no promise; a failure (a missing table: `store_misconfigured`) is still a rejected
   * promise, never a throw.
   */
  get(id: string): StoredSession | null | Promise<never> {
    try {
      const row = this.#select.get(id, this.#now() - this.#retention) as Row | null | undefined;
      return row == null ? null : fromRow(row);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async create(id: string, record: StoredSession): Promise<void> {
    this.#write(() => this.#insert.run(...columnValues(id, toColumns(record))));
  }

  async update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    const next = toColumns({ ...record, version: expectedVersion + 1 });
    const now = this.#now();
    const { userId, version, expiresAt, record: json } = next;
    const { changes } = this.#write(() =>
      this.#update.run(userId, version, expiresAt, json, id, expectedVersion, now),
    );
    return Number(changes) === 1;
  }

  async delete(id: string): Promise<void> {
    this.#write(() => this.#delete.run(id));
  }

  async listByUser(userId: string): Promise<StoredSessionEntry[]> {
    const rows = this.#selectByUser.all(userId, this.#now()) as Row[];
    return rows.map((row) => ({ id: row.id, record: fromRow(row) }));
  }

  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const now = this.#now();
    const deleted = this.#write(
      () => this.#deleteByUser.all(userId, exceptId ?? null) as Pick<Row, "expires_at">[],
    );
    return deleted.filter((row) => Number(row.expires_at) > now).length;
  }

  async countSessions(userId?: string): Promise<number> {
    const now = this.#now();
    const row = (
      userId === undefined ? this.#count.get(now) : this.#countByUser.get(userId, now)
    ) as { count: number | bigint };
    return Number(row.count);
  }

  /**
   * Removes up to `limit` rows that expired more than `expiredRetentionMs` ago from disk, and
   * resolves how many it removed. It deletes
   * in batches of `batchSize` rows, yielding to the event loop
   * between batches, so a large backlog never blocks requests for long. Expired rows are
   * invisible either way; this only keeps the file small. Call it on an interval with
   * `scheduleExpiredSweep(store)` from `@sesame/core`, which also stops on shutdown.
   *
   * @example
   * ```ts
   * const removed = await store.deleteExpired(); // every expired row
   * ```
   */
  async deleteExpired(options: DeleteExpiredOptions = {}): Promise<number> {
    const { limit = Number.POSITIVE_INFINITY, batchSize = SQLITE_STORE_DEFAULTS.batchSize } =
      options;
    if (!(limit >= 0) || (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)) {
      throw new RangeError(`deleteExpired: limit must be a non-negative integer, got ${limit}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`deleteExpired: batchSize must be a positive integer, got ${batchSize}`);
    }
    let deleted = 0;
    while (deleted < limit) {
      const batch = Math.min(batchSize, limit - deleted);
      const before = this.#now() - this.#retention;
      const changes = Number(this.#write(() => this.#deleteExpired.run(before, batch)).changes);
      deleted += changes;
      if (changes < batch) break;
      await yieldToEventLoop();
    }
    return deleted;
  }

  /**
   * Runs one writing statement so that another connection's lock fails a statement `exec` runs
   * (and always finishes), never the statement itself: some drivers (libsql) leave a statement
   * that failed busy in progress, and SQLite then keeps the connection's later writes from
   * committing, or rolls them back when that statement next runs. On its own, the write runs in
   * a transaction that takes the write lock first (`BEGIN IMMEDIATE`); inside a transaction the
   * caller opened on the same connection, it takes the lock with a write that changes nothing,
   * then joins that transaction.
   */
  #write<T>(statement: () => T): T {
    if (!inTransaction(this.#db) && this.#begin()) {
      try {
        const result = statement();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        rollBack(this.#db);
        throw error;
      }
    }
    this.#requireTable();
    this.#db.exec(this.#takeWriteLock);
    return statement();
  }

  /**
   * Opens the write's own transaction; `false` when the caller has one open on the connection
   * already (which a driver without `inTransaction` or `isTransaction` does not say).
   */
  #begin(): boolean {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      return true;
    } catch (error) {
      if (error instanceof Error && /within a transaction/i.test(error.message)) return false;
      throw error;
    }
  }

  /** A statement prepared on its first run, once the table is known to exist. */
  #prepare(sql: string): SqliteStatement {
    return preparedOnFirstRun(() => {
      this.#requireTable();
      return this.#db.prepare(sql);
    });
  }

  /** Throws `store_misconfigured`, saying to call `createSchema()`, while the table is missing. */
  #requireTable(): void {
    if (this.#tableFound) return;
    const found = this.#db
      .prepare(
        "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
      )
      .get(this.#table);
    if (found == null) {
      throw new SessionStoreError(
        "store_misconfigured",
        `SqliteStore: the table "${this.#table}" does not exist. Call \`await store.createSchema()\` ` +
          "once at start-up, before serving requests (or run store.schemaSql in a migration).",
      );
    }
    this.#tableFound = true;
  }
}
