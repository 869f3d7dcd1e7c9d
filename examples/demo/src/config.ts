import { fileURLToPath } from "node:url";
import { LOGIN_THROTTLE_DEFAULTS, type LoginThrottleLimits } from "./login-throttle.js";

/** The web frameworks the demo runs on. */
export const FRAMEWORKS = ["express", "koa", "hono", "fastify"] as const;
/** The session stores the demo runs on. */
export const STORES = ["sqlite", "memory", "redis", "postgres"] as const;

export type FrameworkName = (typeof FRAMEWORKS)[number];
export type StoreName = (typeof STORES)[number];

/** Everything the demo reads from its environment. */
export interface DemoConfig {
  port: number;
  host: string;
  framework: FrameworkName;
  store: StoreName;
  /** SQLite database file (store `sqlite`). */
  sqlitePath: string;
  redisUrl: string;
  /** Treat `redisUrl` as one node of a Redis Cluster. */
  redisCluster: boolean;
  /** Prepended to every Redis key. */
  redisPrefix: string;
  databaseUrl: string;
  /** PostgreSQL table that holds the sessions (created if missing). */
  postgresTable: string;
  /** May exceed `absoluteTimeoutSeconds`; the absolute timeout then alone ends sessions. */
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  /** Revoking sessions needs a sign-in at most this long ago. */
  reauthWindowSeconds: number;
  /** Failed sign-ins allowed per account and per client, and the window they count in. */
  loginThrottle: LoginThrottleLimits;
}

/** Every default of {@link DemoConfig}: the environment overrides each one. */
export const CONFIG_DEFAULTS: DemoConfig = {
  port: 3000,
  host: "127.0.0.1",
  framework: "express",
  store: "sqlite",
  sqlitePath: fileURLToPath(new URL("../../../.data/sessions.db", import.meta.url)),
  redisUrl: "redis://127.0.0.1:6379",
  redisCluster: false,
  redisPrefix: "sesame:demo:",
  databaseUrl: "postgres://127.0.0.1:5432/test",
  postgresTable: "demo_sessions",
  idleTimeoutSeconds: 1800,
  absoluteTimeoutSeconds: 43200,
  reauthWindowSeconds: 900,
  loginThrottle: {
    maxFailuresPerAccount: LOGIN_THROTTLE_DEFAULTS.maxFailuresPerAccount,
    maxFailuresPerClient: LOGIN_THROTTLE_DEFAULTS.maxFailuresPerClient,
    windowSeconds: LOGIN_THROTTLE_DEFAULTS.windowSeconds,
  },
};

/** A bad environment variable; the message says which one and what it accepts. */
export class DemoConfigError extends Error {
  override name = "DemoConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the demo's configuration from `env` (normally `process.env`).
 *
 * @example
 * ```ts
 * const config = readConfig({ FRAMEWORK: "hono", SESSION_STORE: "memory" });
 * ```
 */
export function readConfig(env: Env): DemoConfig {
  const d = CONFIG_DEFAULTS;
  const config: DemoConfig = {
    port: integer(env, "PORT", d.port, 0, 65535),
    host: text(env, "HOST", d.host),
    framework: oneOf(env, "FRAMEWORK", FRAMEWORKS, d.framework),
    store: oneOf(env, "SESSION_STORE", STORES, d.store),
    sqlitePath: text(env, "SQLITE_PATH", d.sqlitePath),
    redisUrl: text(env, "REDIS_URL", d.redisUrl),
    redisCluster: flag(env, "REDIS_CLUSTER"),
    redisPrefix: text(env, "REDIS_PREFIX", d.redisPrefix),
    databaseUrl: text(env, "DATABASE_URL", d.databaseUrl),
    postgresTable: text(env, "POSTGRES_TABLE", d.postgresTable),
    idleTimeoutSeconds: integer(env, "IDLE_TIMEOUT_SECONDS", d.idleTimeoutSeconds, 1),
    absoluteTimeoutSeconds: integer(env, "ABSOLUTE_TIMEOUT_SECONDS", d.absoluteTimeoutSeconds, 1),
    reauthWindowSeconds: integer(env, "REAUTH_WINDOW_SECONDS", d.reauthWindowSeconds, 1),
    loginThrottle: {
      maxFailuresPerAccount: integer(
        env,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT",
        d.loginThrottle.maxFailuresPerAccount,
        1,
      ),
      maxFailuresPerClient: integer(
        env,
        "LOGIN_MAX_FAILURES_PER_CLIENT",
        d.loginThrottle.maxFailuresPerClient,
        1,
      ),
      windowSeconds: integer(
        env,
        "LOGIN_THROTTLE_WINDOW_SECONDS",
        d.loginThrottle.windowSeconds,
        1,
      ),
    },
  };
  return config;
}

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? fallback : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max = 2 ** 31): number {
  const raw = text(env, name, String(fallback));
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new DemoConfigError(
      `${name} must be a whole number from ${min} to ${max}, got "${raw}".`,
    );
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = text(env, name, fallback).toLowerCase();
  if (!(values as readonly string[]).includes(raw)) {
    throw new DemoConfigError(`${name} must be one of ${values.join(", ")}, got "${raw}".`);
  }
  return raw as T;
}

function flag(env: Env, name: string): boolean {
  const raw = text(env, name, "0").toLowerCase();
  return raw === "1" || raw === "true" || raw === "yes";
}
