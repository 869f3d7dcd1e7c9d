/**
 * What the HTTP benchmark runs: frameworks, variants, paths and the load settings.
 *
 * @module
 */

/** A web framework under test. */
export type Framework = "express" | "koa" | "hono" | "fastify";

/** A request pattern every variant (bare included) is measured on. */
export type PathId = "read" | "create" | "storm" | "touch" | "write";

/**
 * One server process: a framework with one session library, or with none (bare: the same routes
 * over a parsed `Cookie` header and a fixed user).
 */
export interface Variant {
  /** Stable id, also the server's `BENCH_VARIANT`. */
  id: string;
  framework: Framework;
  /** Column label in the tables. */
  label: string;
  /**
   * `bare`: no session library, the ceiling (the extra bare apps run only their `paths`);
   * `sesame`: ours; `incumbent`: what users compare us with.
   */
  kind: "bare" | "sesame" | "incumbent";
  /** Where the sessions live. */
  store: "none" | "memory" | "redis";
  /** The sesame variant this incumbent is compared with (same framework and store). */
  comparedWith?: string;
  /**
   * Redis variants: the commands the client sends, each one network round trip. Commands not
   * listed here ran inside a Lua script (`INFO commandstats` counts those too).
   */
  redisClientCommands?: readonly string[];
  /** The paths this variant runs; every path when absent. */
  paths?: readonly PathId[];
}

/**
 * A bare app whose login does one thing more than the bare one, measured on logins only:
 * - `headers`: writes, through the framework's own API, the three headers a session login sends
 *   (a signed-size `Set-Cookie` line, `Cache-Control: no-store`, `Vary: Cookie`): what answering
 *   a login with a cookie costs before any session work;
 * - `kept`: writes those headers and keeps one session-sized record in a `Map` (at most as many
 *   as MemoryStore keeps): what keeping sessions in process memory costs by itself, whatever the
 *   library.
 */
function bareLogin(framework: Framework, extra: "headers" | "kept"): Variant {
  return {
    id: `${framework}-bare-${extra}`,
    framework,
    label:
      extra === "headers"
        ? "bare + session headers only"
        : "bare + session headers + one record kept in memory",
    kind: "bare",
    store: "none",
    paths: ["create"],
  };
}

/**
 * A bare app with one middleware in front of its routes, measured on reads only: it parses the
 * session cookie, finds a record in a `Map` and puts it on the request the framework's way
 * (`req.session`, `ctx.session`, `c.set`, a decorated request property), and the read route
 * answers from it. What one session middleware costs on the framework, before any library's own
 * work: the ceiling of any session library's read.
 */
function bareAttached(framework: Framework): Variant {
  return {
    id: `${framework}-bare-attached`,
    framework,
    label: "bare + one middleware that finds a record and puts it on the request",
    kind: "bare",
    store: "none",
    paths: ["read"],
  };
}

/** Every variant, one server process each. */
export const VARIANTS: readonly Variant[] = [
  { id: "express-bare", framework: "express", label: "bare", kind: "bare", store: "none" },
  bareLogin("express", "headers"),
  bareLogin("express", "kept"),
  bareAttached("express"),
  {
    id: "express-sesame",
    framework: "express",
    label: "sesame (memory, unsigned)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "express-sesame-signed",
    framework: "express",
    label: "sesame (memory, signed)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "express-session",
    framework: "express",
    label: "express-session (MemoryStore)",
    kind: "incumbent",
    store: "memory",
    comparedWith: "express-sesame-signed",
  },
  {
    id: "express-sesame-redis",
    framework: "express",
    label: "sesame (RedisStore, signed)",
    kind: "sesame",
    store: "redis",
    redisClientCommands: ["evalsha", "eval", "hget"],
  },
  {
    id: "express-session-redis",
    framework: "express",
    label: "express-session (connect-redis)",
    kind: "incumbent",
    store: "redis",
    comparedWith: "express-sesame-redis",
    redisClientCommands: ["get", "set", "expire", "del"],
  },
  { id: "koa-bare", framework: "koa", label: "bare", kind: "bare", store: "none" },
  bareLogin("koa", "headers"),
  bareLogin("koa", "kept"),
  bareAttached("koa"),
  {
    id: "koa-sesame",
    framework: "koa",
    label: "sesame (memory, unsigned)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "koa-sesame-signed",
    framework: "koa",
    label: "sesame (memory, signed)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "koa-session",
    framework: "koa",
    label: "koa-session (Map store)",
    kind: "incumbent",
    store: "memory",
    comparedWith: "koa-sesame-signed",
  },
  { id: "hono-bare", framework: "hono", label: "bare", kind: "bare", store: "none" },
  bareLogin("hono", "headers"),
  bareLogin("hono", "kept"),
  bareAttached("hono"),
  {
    id: "hono-sesame",
    framework: "hono",
    label: "sesame (memory, unsigned)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "hono-sesame-signed",
    framework: "hono",
    label: "sesame (memory, signed)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "hono-sessions",
    framework: "hono",
    label: "hono-sessions (MemoryStore)",
    kind: "incumbent",
    store: "memory",
    comparedWith: "hono-sesame-signed",
  },
  {
    id: "hono-session",
    framework: "hono",
    label: "@hono/session (Map storage)",
    kind: "incumbent",
    store: "memory",
    comparedWith: "hono-sesame-signed",
  },
  { id: "fastify-bare", framework: "fastify", label: "bare", kind: "bare", store: "none" },
  bareLogin("fastify", "headers"),
  bareLogin("fastify", "kept"),
  bareAttached("fastify"),
  {
    id: "fastify-sesame",
    framework: "fastify",
    label: "sesame (memory, unsigned)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "fastify-sesame-signed",
    framework: "fastify",
    label: "sesame (memory, signed)",
    kind: "sesame",
    store: "memory",
  },
  {
    id: "fastify-session",
    framework: "fastify",
    label: "@fastify/session (MemoryStore)",
    kind: "incumbent",
    store: "memory",
    comparedWith: "fastify-sesame-signed",
  },
];

/** The frameworks, in table order. */
export const FRAMEWORKS: readonly Framework[] = ["express", "koa", "hono", "fastify"];

/** The paths, in table order. */
export const PATHS: readonly PathId[] = ["read", "create", "storm", "touch", "write"];

/** What each path sends. Paths under `/t/` reach the app configured to touch on every read. */
export const PATH_REQUESTS: Readonly<
  Record<PathId, { method: "GET" | "POST"; path: string; cookies: "one" | "pool" | "none" }>
> = {
  read: { method: "GET", path: "/read", cookies: "one" },
  create: { method: "POST", path: "/login", cookies: "none" },
  /** Logins that all sign one user in: the per-user index under many sessions of one user. */
  storm: { method: "POST", path: "/login?storm", cookies: "none" },
  touch: { method: "GET", path: "/t/read", cookies: "pool" },
  write: { method: "POST", path: "/write", cookies: "pool" },
};

/**
 * Sessions in the pool for the touch and write paths. Requests take them round-robin, so a
 * session is never hammered by concurrent requests (that would measure write conflicts, not
 * writes) and each one is seen every few milliseconds, so every read is due for a touch.
 */
export const SESSION_POOL_SIZE = 64;

/** Load settings, overridable through the environment for quick checks. */
export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
}

/** Reads `BENCH_DURATION`, `BENCH_WARMUP`, `BENCH_ROUNDS` and `BENCH_CONNECTIONS`. */
export function loadSettingsFromEnv(env: NodeJS.ProcessEnv): LoadSettings {
  return {
    connections: positive(env.BENCH_CONNECTIONS, 32),
    durationSeconds: positive(env.BENCH_DURATION, 3),
    warmupSeconds: positive(env.BENCH_WARMUP, 0.5),
    rounds: positive(env.BENCH_ROUNDS, 5),
  };
}

/**
 * A comma-separated choice from the environment (`BENCH_FRAMEWORKS`, `BENCH_PATHS`): every known
 * value when unset or empty, else the values named; a `RangeError` names any it does not know.
 */
export function chosenFromEnv<T extends string>(
  name: string,
  text: string | undefined,
  known: readonly T[],
): T[] {
  const chosen = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (chosen.length === 0) return [...known];
  const unknown = chosen.filter((entry) => !(known as readonly string[]).includes(entry));
  if (unknown.length > 0) {
    throw new RangeError(`${name}: unknown ${unknown.join(", ")} (known: ${known.join(", ")})`);
  }
  return chosen as T[];
}

function positive(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`Not a positive number: ${text}`);
  return value;
}
