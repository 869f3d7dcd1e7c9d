import pg from "pg";

/** The server the tests use; override with `SESAME_POSTGRES_URL`. */
export const connectionString =
  process.env.SESAME_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether the environment is a CI run, where a missing service is a failure. */
function isCi(): boolean {
  const value = (process.env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false";
}

/**
 * Checks that PostgreSQL answers. Under `CI=true` an unreachable server throws, which fails
 * the test file; elsewhere it warns loudly and resolves `false`, so the caller can skip.
 */
export async function requirePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    const reason = `PostgreSQL is unreachable at ${connectionString} (${String(error)})`;
    if (isCi()) throw new Error(`${reason}; CI=true, so the PostgreSQL tests fail.`);
    console.warn(`\n⚠️  SKIPPING @sesame/postgres tests: ${reason}.\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A table name no other test file uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
}
