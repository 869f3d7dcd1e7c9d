/**
 * Checks, when the manager is built, that its `store` is a sesame store: a wrong one (an
 * express-session store, a bare database client, `{}`) would otherwise be accepted and then
 * fail every request with a 503 whose reason hides in `cause`. Also notices a `MemoryStore`
 * in production.
 *
 * @module
 */
import { MemoryStore } from "./memory-store.js";

/** The methods of the {@link SessionStore} contract, in the order the contract lists them. */
const STORE_METHODS = ["get", "create", "update", "delete", "listByUser", "deleteByUser"] as const;

const CONTRACT =
  "sesame stores implement the promise-based SessionStore contract (get, create, update, " +
  "delete, listByUser, deleteByUser)";
const STORES =
  "use MemoryStore from @sesame/core, or SqliteStore from @sesame/sqlite, RedisStore from " +
  "@sesame/redis or PostgresStore from @sesame/postgres";

/**
 * What is wrong with `store` as a session store, as a sentence that says how to fix it, or
 * `null` when it has every method of the contract. Database clients and express-session
 * (connect) stores are named as such.
 *
 * @example
 * ```ts
 * describeStoreProblem({}); // "store is missing get, create, … ; use MemoryStore from …"
 * describeStoreProblem(new MemoryStore()); // null
 * ```
 */
export function describeStoreProblem(store: unknown): string | null {
  if (typeof store === "function" && typeof store.prototype?.get === "function") {
    return `store is the class ${store.name || "itself"}, not a store; pass an instance: store: new ${store.name || "Store"}(…).`;
  }
  if (typeof store !== "object" || store === null) {
    return `store must be a session store object, got ${store === null ? "null" : typeof store}; ${STORES}.`;
  }
  const missing = STORE_METHODS.filter((name) => !hasMethod(store, name));
  if (missing.length === 0) return null;
  return describeLookAlike(store) ?? `store is missing ${list(missing)}: ${CONTRACT}; ${STORES}.`;
}

/** Names the well-known things passed as a store by mistake, and what to wrap them in. */
function describeLookAlike(store: object): string | null {
  if (hasMethod(store, "hGet") || (hasMethod(store, "hget") && hasMethod(store, "evalsha"))) {
    return "store is a Redis client, not a session store; pass new RedisStore(client) from @sesame/redis.";
  }
  if (hasMethod(store, "query") && hasMethod(store, "connect")) {
    return (
      "store is a PostgreSQL client or pool, not a session store; pass new PostgresStore(pool) " +
      "from @sesame/postgres (and call `await store.createSchema()` once at start-up)."
    );
  }
  if (hasMethod(store, "prepare") && hasMethod(store, "exec")) {
    return (
      "store is a SQLite database, not a session store; pass new SqliteStore(db) from " +
      "@sesame/sqlite (and call `await store.createSchema()` once at start-up)."
    );
  }
  if (isCallbackStore(store)) {
    return (
      "store looks like an express-session (connect) or koa-session store: its get/set/destroy " +
      `take a callback or a maxAge. ${capitalized(CONTRACT)}; ${STORES} (RedisStore replaces ` +
      "connect-redis, PostgresStore connect-pg-simple)."
    );
  }
  return null;
}

/** express-session's `get(sid, callback)`, `set(sid, session, callback)`, `destroy(sid, callback)`. */
function isCallbackStore(store: object): boolean {
  const { get } = store as { get?: unknown };
  return hasMethod(store, "destroy") && typeof get === "function" && get.length >= 2;
}

function hasMethod(value: object, name: string): boolean {
  return typeof (value as Record<string, unknown>)[name] === "function";
}

function list(names: readonly string[]): string {
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A warning when `store` is a {@link MemoryStore} and `NODE_ENV` is `production`, else `null`.
 * Core imports no `node:` module: `process` is read only where the runtime has one.
 *
 * @example
 * ```ts
 * describeMemoryStoreInProduction(new MemoryStore()); // a warning under NODE_ENV=production
 * ```
 */
export function describeMemoryStoreInProduction(store: unknown): string | null {
  if (!(store instanceof MemoryStore) || nodeEnv() !== "production") return null;
  return (
    "sesame: the session store is a MemoryStore, and NODE_ENV is production. Its sessions vanish " +
    "when the process restarts (every user is signed out by each deploy) and are not shared " +
    "across processes or machines. Use a persistent store: SqliteStore (@sesame/sqlite), " +
    "RedisStore (@sesame/redis) or PostgresStore (@sesame/postgres)."
  );
}

function nodeEnv(): string | undefined {
  try {
    const { process } = globalThis as { process?: { env?: Record<string, string | undefined> } };
    return process?.env?.NODE_ENV;
  } catch {
    // Deno without --allow-env refuses to read the environment.
    return undefined;
  }
}
