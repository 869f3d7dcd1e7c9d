import type { SessionStore, StoredSession, StoredSessionEntry } from "@sesame/core";
import { SessionConfigError } from "@sesame/core";
import type { SqliteDatabase, SqliteStatement } from "./driver.js";

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
  /** Table that holds the sessions: a plain SQL identifier. Created with its indexes if missing. */
  table?: string;
  /** The clock, in milliseconds since the epoch. Inject one in tests. */
  now?: () => number;
}

/**
 * Defaults of {@link SqliteStoreOptions}, and the batch size of {@link SqliteStore.deleteExpired}.
 *
 * @example
 * ```ts
 * const store = new SqliteStore(db, { table: SQLITE_STORE_DEFAULTS.table });
 * ```
 */
export const SQLITE_STORE_DEFAULTS = {
  table: "sesame_sessions",
  now: (): number => Date.now(),
  /** Most rows one `DELETE` statement of `deleteExpired` removes before yielding. */
  deleteBatchSize: 1_000,
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sessions in a SQLite database: the persistent embedded store. Sessions survive restarts,
 * and every process on the machine that opens the same file shares them. `db` is any
 * synchronous driver's open database ({@link SqliteDatabase}): `node:sqlite`'s `DatabaseSync`,
 * better-sqlite3, `bun:sqlite` or libsql.
 *
 * The constructor turns on WAL (a no-op for `:memory:`) and creates the table and its indexes
 * if they are missing. Expired rows are never returned; {@link SqliteStore.deleteExpired} removes
 * them from disk. The store does not own `db`: close it yourself when you are done.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * const store = new SqliteStore(new DatabaseSync("sessions.db"));
 * const manager = new SessionManager({ store });
 * ```
 */
export class SqliteStore implements SessionStore {
  readonly #now: () => number;
  readonly #select: SqliteStatement;
  readonly #insert: SqliteStatement;
  readonly #update: SqliteStatement;
  readonly #delete: SqliteStatement;
  readonly #selectByUser: SqliteStatement;
  readonly #deleteByUser: SqliteStatement;
  readonly #deleteExpired: SqliteStatement;

  constructor(db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    const table = options.table ?? SQLITE_STORE_DEFAULTS.table;
    if (!IDENTIFIER.test(table) || /^sqlite_/i.test(table)) {
      throw new SessionConfigError(
        `SqliteStore: table must be a plain SQL identifier (letters, digits and _, not starting with a digit or "sqlite_", at most 63 characters); got ${JSON.stringify(table)}.`,
      );
    }
    this.#now = options.now ?? SQLITE_STORE_DEFAULTS.now;
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(schemaFor(table));
    const t = `"${table}"`;
    const columns = "id, user_id, version, expires_at, record";
    this.#select = db.prepare(`SELECT ${columns} FROM ${t} WHERE id = ? AND expires_at > ?`);
    this.#insert = db.prepare(`INSERT OR REPLACE INTO ${t} (${columns}) VALUES (?, ?, ?, ?, ?)`);
    this.#update = db.prepare(
      `UPDATE ${t} SET user_id = ?, version = ?, expires_at = ?, record = ?
       WHERE id = ? AND version = ? AND expires_at > ?`,
    );
    this.#delete = db.prepare(`DELETE FROM ${t} WHERE id = ?`);
    this.#selectByUser = db.prepare(
      `SELECT ${columns} FROM ${t} WHERE user_id = ? AND expires_at > ?`,
    );
    this.#deleteByUser = db.prepare(
      `DELETE FROM ${t} WHERE user_id = ? AND id IS NOT ? RETURNING expires_at`,
    );
    this.#deleteExpired = db.prepare(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?)`,
    );
  }

  async get(id: string): Promise<StoredSession | null> {
    const row = this.#select.get(id, this.#now()) as Row | null | undefined;
    return row == null ? null : fromRow(row);
  }

  async create(id: string, record: StoredSession): Promise<void> {
    this.#insert.run(...columnValues(id, toColumns(record)));
  }

  async update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    const next = toColumns({ ...record, version: expectedVersion + 1 });
    const now = this.#now();
    const { userId, version, expiresAt, record: json } = next;
    const { changes } = this.#update.run(
      userId,
      version,
      expiresAt,
      json,
      id,
      expectedVersion,
      now,
    );
    return Number(changes) === 1;
  }

  async delete(id: string): Promise<void> {
    this.#delete.run(id);
  }

  async listByUser(userId: string): Promise<StoredSessionEntry[]> {
    const rows = this.#selectByUser.all(userId, this.#now()) as Row[];
    return rows.map((row) => ({ id: row.id, record: fromRow(row) }));
  }

  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const now = this.#now();
    const deleted = this.#deleteByUser.all(userId, exceptId ?? null) as Pick<Row, "expires_at">[];
    return deleted.filter((row) => Number(row.expires_at) > now).length;
  }

  /**
   * Removes up to `limit` expired rows from disk and resolves how many it removed. It deletes
   * in batches of `SQLITE_STORE_DEFAULTS.deleteBatchSize` rows, yielding to the event loop
   * between batches, so a large backlog never blocks requests for long. Expired rows are
   * invisible either way; this only keeps the file small. Call it on an interval, for example
   * `setInterval(() => void store.deleteExpired().catch(log), 60_000).unref()`.
   *
   * @example
   * ```ts
   * const removed = await store.deleteExpired(); // every expired row
   * ```
   */
  async deleteExpired(limit = Number.POSITIVE_INFINITY): Promise<number> {
    if (!(limit >= 0) || (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)) {
      throw new RangeError(`SqliteStore: limit must be a non-negative integer, got ${limit}`);
    }
    let deleted = 0;
    while (deleted < limit) {
      const batch = Math.min(SQLITE_STORE_DEFAULTS.deleteBatchSize, limit - deleted);
      const changes = Number(this.#deleteExpired.run(this.#now(), batch).changes);
      deleted += changes;
      if (changes < batch) break;
      await yieldToEventLoop();
    }
    return deleted;
  }
}
