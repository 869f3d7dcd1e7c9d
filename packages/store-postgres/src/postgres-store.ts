import type { SessionStore, StoredSession, StoredSessionEntry } from "@sesame/core";
import { EXPIRED_RETENTION_MS, SessionConfigError, SessionStoreError } from "@sesame/core";
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from "pg";

/**
 * Options for {@link PostgresStore}.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { schema: "auth", table: "sessions" };
 * ```
 */
export interface PostgresStoreOptions {
  /** PostgreSQL schema that holds the table; it must already exist. Unset: the `search_path`. */
  schema?: string;
  /** Table name. At most 48 characters, so that the derived index names fit in 63. */
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
 * Options for {@link PostgresStore.deleteExpired}; `SqliteStore` takes the same.
 *
 * @example
 * ```ts
 * const removed = await store.deleteExpired({ batchSize: 5_000 } satisfies DeleteExpiredOptions);
 * ```
 */
export interface DeleteExpiredOptions {
  /** Most rows this call removes. Default: every expired row. */
  limit?: number;
  /** Most rows one `DELETE` statement removes; each batch is its own short transaction. */
  batchSize?: number;
}

/**
 * Defaults of {@link PostgresStoreOptions} and {@link DeleteExpiredOptions}.
 *
 * @example
 * ```ts
 * new PostgresStore(pool, { table: `${POSTGRES_STORE_DEFAULTS.table}_staging` });
 * ```
 */
export const POSTGRES_STORE_DEFAULTS = {
  schema: undefined,
  table: "sesame_sessions",
  now: Date.now,
  expiredRetentionMs: EXPIRED_RETENTION_MS,
  batchSize: 1_000,
} as const;

/** The record fields kept in the `record` JSON column; the others have columns of their own. */
type RecordBody = Omit<StoredSession, "userId" | "version" | "expiresAt">;

interface SessionRow {
  id: string;
  user_id: string | null;
  version: string;
  expires_at: string;
  record: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COLUMNS = "id, user_id, version, expires_at, record";

/**
 * Sessions in a PostgreSQL table, through a `pg` {@link Pool}: for apps that already run one.
 *
 * Every method is one statement. `update` is a compare-and-set on the `version` column, and
 * reads filter out expired rows in SQL, so a record is dead the instant its `expiresAt`
 * passes; only `get` returns it for `expiredRetentionMs` more, so the manager can report it as
 * expired. Expired rows stay on disk until {@link PostgresStore.deleteExpired} removes them.
 * The pool is the application's: attach a `pool.on("error", …)` listener, because `pg` emits
 * `error` when an idle connection drops, and an unhandled `error` event ends the process.
 *
 * @example
 * ```ts
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on("error", (error) => console.error("idle PostgreSQL client failed", error));
 * const store = new PostgresStore(pool, { table: "sessions" });
 * await store.createSchema();
 * const manager = new SessionManager({ store });
 * ```
 */
export class PostgresStore implements SessionStore {
  /**
   * The exact SQL {@link PostgresStore.createSchema} runs, for migration tools that keep DDL
   * in their own files.
   *
   * @example
   * ```ts
   * writeFileSync("migrations/001_sessions.sql", new PostgresStore(pool).schemaSql);
   * ```
   */
  readonly schemaSql: string;
  readonly #pool: Pool;
  readonly #now: () => number;
  readonly #retention: number;
  readonly #table: string;
  /** Settles once the table is known to exist; `null` until the first call looks. */
  #tableFound: Promise<void> | null = null;

  constructor(pool: Pool, options: PostgresStoreOptions = {}) {
    const { schema, table = POSTGRES_STORE_DEFAULTS.table } = options;
    checkIdentifier("table", table, 48);
    if (schema !== undefined) checkIdentifier("schema", schema, 63);
    this.#pool = pool;
    this.#now = options.now ?? POSTGRES_STORE_DEFAULTS.now;
    this.#retention = options.expiredRetentionMs ?? POSTGRES_STORE_DEFAULTS.expiredRetentionMs;
    if (!Number.isFinite(this.#retention) || this.#retention < 0) {
      throw new SessionConfigError(
        `PostgresStore: expiredRetentionMs must be a non-negative number, got ${String(this.#retention)}.`,
      );
    }
    this.#table = schema === undefined ? `"${table}"` : `"${schema}"."${table}"`;
    const lockKey = schema === undefined ? `sesame:${table}` : `sesame:${schema}.${table}`;
    this.schemaSql = `SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));
CREATE TABLE IF NOT EXISTS ${this.#table} (
  id text PRIMARY KEY,
  user_id text,
  version bigint NOT NULL,
  expires_at bigint NOT NULL,
  record text NOT NULL
);
CREATE INDEX IF NOT EXISTS "${table}_expires_at_idx" ON ${this.#table} (expires_at);
CREATE INDEX IF NOT EXISTS "${table}_user_id_idx" ON ${this.#table} (user_id)
  WHERE user_id IS NOT NULL;`;
  }

  /**
   * Creates the table and its indexes if they do not exist yet. Safe to call on every start,
   * from many processes at once: the statements run as one transaction under an advisory lock.
   *
   * @example
   * ```ts
   * await new PostgresStore(pool).createSchema();
   * ```
   */
  async createSchema(): Promise<void> {
    await this.#pool.query(this.schemaSql);
    this.#tableFound = Promise.resolve();
  }

  async get(id: string): Promise<StoredSession | null> {
    const sql = `SELECT ${COLUMNS} FROM ${this.#table} WHERE id = $1 AND expires_at > $2`;
    const { rows } = await this.#query<SessionRow>(sql, [id, this.#now() - this.#retention]);
    return rows[0] === undefined ? null : toRecord(rows[0]);
  }

  async create(id: string, record: StoredSession): Promise<void> {
    const sql = `INSERT INTO ${this.#table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, version = EXCLUDED.version,
      expires_at = EXCLUDED.expires_at, record = EXCLUDED.record`;
    await this.#query(sql, [id, ...toColumns(record, record.version)]);
  }

  async update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    const sql = `UPDATE ${this.#table} SET user_id = $4, version = $5, expires_at = $6, record = $7
      WHERE id = $1 AND version = $2 AND expires_at > $3`;
    const values = [id, expectedVersion, this.#now(), ...toColumns(record, expectedVersion + 1)];
    const { rowCount } = await this.#query(sql, values);
    return rowCount === 1;
  }

  async delete(id: string): Promise<void> {
    await this.#query(`DELETE FROM ${this.#table} WHERE id = $1`, [id]);
  }

  async listByUser(userId: string): Promise<StoredSessionEntry[]> {
    const sql = `SELECT ${COLUMNS} FROM ${this.#table} WHERE user_id = $1 AND expires_at > $2`;
    const { rows } = await this.#query<SessionRow>(sql, [userId, this.#now()]);
    return rows.map((row) => ({ id: row.id, record: toRecord(row) }));
  }

  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const sql = `WITH deleted AS (
        DELETE FROM ${this.#table} WHERE user_id = $1 AND id IS DISTINCT FROM $2::text
        RETURNING expires_at)
      SELECT count(*) FILTER (WHERE expires_at > $3)::int AS count FROM deleted`;
    const values = [userId, exceptId ?? null, this.#now()];
    const { rows } = await this.#query<{ count: number }>(sql, values);
    return rows[0]?.count ?? 0;
  }

  async countSessions(userId?: string): Promise<number> {
    // Live records that hold a session of their own: not a forwarder, tombstone or pending one.
    const live = "expires_at > $1 AND (record::json ->> 'successorId') IS NULL";
    const sql =
      userId === undefined
        ? `SELECT count(*)::int AS count FROM ${this.#table} WHERE ${live}`
        : `SELECT count(*)::int AS count FROM ${this.#table} WHERE ${live} AND user_id = $2`;
    const values = userId === undefined ? [this.#now()] : [this.#now(), userId];
    const { rows } = await this.#query<{ count: number }>(sql, values);
    return rows[0]?.count ?? 0;
  }

  /**
   * Deletes every row that expired more than `expiredRetentionMs` ago, `batchSize` rows per
   * statement so no single transaction holds many locks or much WAL, and resolves how many rows
   * it deleted. Run it on an interval in one process (`scheduleExpiredSweep(store)` from
   * `@sesame/core` does, and stops on shutdown), or from `pg_cron`; only the table's size
   * depends on it.
   *
   * @example
   * ```ts
   * const sweep = scheduleExpiredSweep(store, { intervalMs: 5 * 60_000 });
   * await sweep.stop(); // on shutdown, before pool.end()
   * ```
   */
  async deleteExpired(options: DeleteExpiredOptions = {}): Promise<number> {
    const { limit = Number.POSITIVE_INFINITY, batchSize = POSTGRES_STORE_DEFAULTS.batchSize } =
      options;
    checkDeleteExpired(limit, batchSize);
    const sql = `DELETE FROM ${this.#table} WHERE id IN (SELECT id FROM ${this.#table}
      WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;
    const before = this.#now() - this.#retention;
    let total = 0;
    while (total < limit) {
      const batch = Math.min(batchSize, limit - total);
      const { rowCount } = await this.#query(sql, [before, batch]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) break;
    }
    return total;
  }

  /** Runs `text` as a prepared statement, parsed once per connection, once the table is found. */
  async #query<Row extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<QueryResult<Row>> {
    this.#tableFound ??= this.#findTable();
    await this.#tableFound;
    const query: QueryConfig = { name: statementName(text), text, values };
    return this.#pool.query<Row>(query);
  }

  /**
   * Checks, on first use, that the table exists: without `createSchema()` every call would
   * fail with a bare `relation does not exist`. A failed check is tried again on the next call.
   */
  async #findTable(): Promise<void> {
    try {
      const sql = "SELECT to_regclass($1) IS NOT NULL AS found";
      const { rows } = await this.#pool.query<{ found: boolean }>(sql, [this.#table]);
      if (rows[0]?.found === true) return;
    } catch (error) {
      this.#tableFound = null;
      throw error;
    }
    this.#tableFound = null;
    throw new SessionStoreError(
      "store_misconfigured",
      `PostgresStore: the table ${this.#table} does not exist. Call \`await store.createSchema()\` ` +
        "once at start-up, before serving requests (or run store.schemaSql in a migration).",
    );
  }
}

/**
 * A prepared statement's name: an FNV-1a hash of its text plus its length, so equal texts
 * share one name, other tables' statements never clash on a shared pool, and the name stays
 * far below PostgreSQL's 63-character limit.
 */
function statementName(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return `sesame_${(hash >>> 0).toString(36)}_${text.length}`;
}

function checkDeleteExpired(limit: number, batchSize: number): void {
  if (!(limit >= 0) || (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)) {
    throw new RangeError(`deleteExpired: limit must be a non-negative integer, got ${limit}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`deleteExpired: batchSize must be a positive integer, got ${batchSize}`);
  }
}

function checkIdentifier(option: string, value: string, maxLength: number): void {
  if (!IDENTIFIER.test(value) || value.length > maxLength) {
    throw new SessionConfigError(
      `PostgresStore: ${option} must be 1 to ${maxLength} letters, digits or underscores, ` +
        `not starting with a digit; got ${JSON.stringify(value)}.`,
    );
  }
}

function toColumns(record: StoredSession, version: number): unknown[] {
  const { userId, version: _version, expiresAt, ...body } = record;
  return [userId, version, expiresAt, JSON.stringify(body satisfies RecordBody)];
}

function toRecord(row: SessionRow): StoredSession {
  const body = JSON.parse(row.record) as RecordBody;
  return {
    ...body,
    userId: row.user_id,
    version: Number(row.version),
    expiresAt: Number(row.expires_at),
  };
}
