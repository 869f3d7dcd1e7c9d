/**
 * Which outside services the tests can use. Without `CI`, a missing service skips its tests
 * with a loud warning; with `CI=true` it is a failure, never a silent skip.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { Redis } from "ioredis";
import pg from "pg";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** The demo's default PostgreSQL URL, with the OS user filled in when `$USER` is unset. */
export const DATABASE_URL = withDefaultUser(
  process.env.DATABASE_URL ?? "postgres://127.0.0.1:5432/test",
);

function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username !== "" || process.env.PGUSER || process.env.USER) return url;
  parsed.username = encodeURIComponent(userInfo().username);
  return parsed.toString();
}
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Whether this is a CI run, where a missing service fails the tests. */
export function isCi(): boolean {
  const value = (process.env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false";
}

/** A service's availability: `null` when it answers, else why not. */
export type Probe = string | null;

export async function probeRedis(): Promise<Probe> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return `Redis does not answer at ${REDIS_URL} (${(error as Error).message})`;
  } finally {
    client.disconnect();
  }
}

export async function probePostgres(): Promise<Probe> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return `PostgreSQL does not answer at ${DATABASE_URL} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function probeChromium(): Probe {
  return existsSync(CHROMIUM_PATH) ? null : `Chromium is not installed at ${CHROMIUM_PATH}`;
}

/**
 * Whether tests that need a service should be skipped: `false` when it answers, or when this is
 * CI (the tests then run, and the `beforeAll` that calls {@link assertAvailable} fails them).
 */
export function shouldSkip(probe: Probe, what: string): boolean {
  if (probe === null || isCi()) return false;
  console.warn(`\n⚠️  SKIPPING ${what}: ${probe}. Set CI=true to make this a failure.\n`);
  return true;
}

/** Throws when the service is missing (only reached under CI, see {@link shouldSkip}). */
export function assertAvailable(probe: Probe): void {
  if (probe !== null)
    throw new Error(`${probe}; CI=true, so these tests fail instead of skipping.`);
}
