import { afterEach, describe, expect, it, vi } from "vitest";
import {
  MemoryStore,
  SessionConfigError,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  SessionStoreError,
} from "../src/index.js";
import { setup } from "./harness.js";

/** The warnings a manager built with `options` gives. */
function warningsFor(options: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  new SessionManager({
    ...(options as SessionManagerOptions<Record<string, unknown>>),
    onWarning: (message) => warnings.push(message),
  });
  return warnings;
}

/** What building a manager on `store` throws. */
function storeError(store: unknown): SessionConfigError {
  try {
    new SessionManager({ store: store as SessionStore, onWarning: () => {} });
  } catch (error) {
    return error as SessionConfigError;
  }
  throw new Error("the manager accepted the store");
}

describe("a wrong store is refused when the manager is built", () => {
  it("names every missing method of an empty object", () => {
    const error = storeError({});
    expect(error).toBeInstanceOf(SessionConfigError);
    expect(error.message).toBe(
      "SessionManager: store is missing get, create, update, delete, listByUser and deleteByUser: " +
        "sesame stores implement the promise-based SessionStore contract (get, create, update, " +
        "delete, listByUser, deleteByUser); use MemoryStore from @sesame/core, or SqliteStore " +
        "from @sesame/sqlite, RedisStore from @sesame/redis or PostgresStore from @sesame/postgres.",
    );
  });

  it("names the one method a hand-written store lacks", () => {
    const { deleteByUser: _omitted, ...rest } = Object.fromEntries(
      ["get", "create", "update", "delete", "listByUser", "deleteByUser"].map((name) => [
        name,
        async () => null,
      ]),
    );
    expect(storeError(rest).message).toMatch(/^SessionManager: store is missing deleteByUser: /);
  });

  it("recognises an express-session (connect) store by its callbacks", () => {
    const connectStore = {
      get(_sid: string, callback: (error: unknown, session?: object) => void) {
        callback(null);
      },
      set(_sid: string, _session: object, callback: (error?: unknown) => void) {
        callback();
      },
      destroy(_sid: string, callback: (error?: unknown) => void) {
        callback();
      },
    };
    expect(storeError(connectStore).message).toBe(
      "SessionManager: store looks like an express-session (connect) or koa-session store: its " +
        "get/set/destroy take a callback or a maxAge. Sesame stores implement the promise-based " +
        "SessionStore contract (get, create, update, delete, listByUser, deleteByUser); use " +
        "MemoryStore from @sesame/core, or SqliteStore from @sesame/sqlite, RedisStore from " +
        "@sesame/redis or PostgresStore from @sesame/postgres (RedisStore replaces connect-redis, " +
        "PostgresStore connect-pg-simple).",
    );
  });

  it.each([
    [
      "a node-redis client",
      { hGet: () => {}, get: () => {} },
      /Redis client.*new RedisStore\(client\)/,
    ],
    ["an ioredis client", { hget: () => {}, evalsha: () => {} }, /Redis client.*new RedisStore/],
    [
      "a pg Pool",
      { query: () => {}, connect: () => {} },
      /new PostgresStore\(pool\).*createSchema/,
    ],
    [
      "a SQLite database",
      { prepare: () => {}, exec: () => {} },
      /new SqliteStore\(db\).*createSchema/,
    ],
    ["a string", "redis://127.0.0.1", /got string/],
    ["the class itself", MemoryStore, /store is the class MemoryStore.*new MemoryStore\(…\)/],
  ])("says what to wrap %s in", (_name, store, message) => {
    expect(storeError(store).message).toMatch(message);
  });

  it("still takes any object that has every method, and no store at all", () => {
    expect(() => new SessionManager({ store: new MemoryStore() })).not.toThrow();
    expect(() => new SessionManager({ store: undefined })).not.toThrow();
  });
});

describe("a misconfigured store says how to fix it at request time", () => {
  /** A store that cannot work as set up, as a store with a missing table answers. */
  function misconfigured(): SessionStore & { calls: number } {
    const store = {
      calls: 0,
      async fail(): Promise<never> {
        store.calls++;
        throw new SessionStoreError(
          "store_misconfigured",
          'ExampleStore: the table "sessions" does not exist; call `await store.createSchema()` once at start-up.',
        );
      },
    };
    const fail = () => store.fail();
    const methods = { get: fail, create: fail, update: fail, delete: fail };
    return Object.assign(store, methods, { listByUser: fail, deleteByUser: fail });
  }

  it("rejects with store_misconfigured, never retries, and warns once with the fix", async () => {
    const store = misconfigured();
    const { client, warnings } = setup({ store, storeRetries: 3 });
    const alice = client();
    const first = await alice.request((session) => session.create("alice")).catch((e) => e);
    expect(first).toBeInstanceOf(SessionStoreError);
    expect(first).toMatchObject({ code: "store_misconfigured", status: 503 });
    expect((first as Error).message).toMatch(/call `await store.createSchema\(\)`/);
    const second = await alice.request(() => null, `__Host-sid=${"A".repeat(43)}`).catch((e) => e);
    expect(second).toMatchObject({ code: "store_misconfigured" });
    expect(store.calls).toBe(2);
    expect(warnings).toEqual([
      'sesame: the session store is misconfigured, so session requests answer 503: ExampleStore: the table "sessions" does not exist; call `await store.createSchema()` once at start-up.',
    ]);
  });
});

describe("unknown options warn once each, naming the option meant", () => {
  it.each([
    [
      { secret: "k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMb" },
      'sesame: unknown SessionManager option "secret" is ignored; did you mean secrets: [secret]? It takes a list, newest first; cookies are not signed without it.',
    ],
    [
      { idleTimeout: 600 },
      'sesame: unknown SessionManager option "idleTimeout" is ignored; did you mean idleTimeoutSeconds (in seconds)?',
    ],
    [
      { cookie: { secure: false } },
      'sesame: unknown SessionManager option "cookie.secure" is ignored; cookies are Secure by default; the inverse option is cookie.allowInsecureHttp: true, for development over plain HTTP only.',
    ],
    [
      { cookie: { maxAge: 86_400_000 } },
      'sesame: unknown SessionManager option "cookie.maxAge" is ignored; cookies last for the browser session; for a persistent one create(userId, { persistent: true }), capped by maxPersistentCookieSeconds.',
    ],
    [
      { storeTimeout: 500 },
      'sesame: unknown SessionManager option "storeTimeout" is ignored; did you mean storeTimeoutMs?',
    ],
    [
      { maxSesionsPerUser: 3 },
      'sesame: unknown SessionManager option "maxSesionsPerUser" is ignored; did you mean maxSessionsPerUser?',
    ],
    [
      { cookie: { samesite: "Strict" } },
      'sesame: unknown SessionManager option "cookie.samesite" is ignored; did you mean cookie.sameSite?',
    ],
  ])("%j", (options, message) => {
    expect(warningsFor(options)).toEqual([message]);
  });

  it("lists the known options when nothing is close", () => {
    const [warning] = warningsFor({ cookie: { flavour: "oat" } });
    expect(warning).toBe(
      'sesame: unknown SessionManager option "cookie.flavour" is ignored; the cookie options are cookie.name, cookie.sameSite, cookie.domain, cookie.path, cookie.allowInsecureHttp, cookie.partitioned.',
    );
  });

  it("warns for each unknown key once, and not at all for known ones", () => {
    const warnings = warningsFor({
      secret: "k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMb",
      idleTimeout: 600,
      idleTimeoutSeconds: 600,
      cookie: { name: "__Host-app", secure: true },
    });
    expect(warnings.map((warning) => /"([^"]+)"/.exec(warning)?.[1])).toEqual([
      "secret",
      "idleTimeout",
      "cookie.secure",
    ]);
  });
});

describe("MemoryStore in production", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("warns once when NODE_ENV is production, saying what is lost and what to use", () => {
    vi.stubEnv("NODE_ENV", "production");
    expect(warningsFor({})).toEqual([
      "sesame: the session store is a MemoryStore, and NODE_ENV is production. Its sessions vanish " +
        "when the process restarts (every user is signed out by each deploy) and are not shared " +
        "across processes or machines. Use a persistent store: SqliteStore (@sesame/sqlite), " +
        "RedisStore (@sesame/redis) or PostgresStore (@sesame/postgres).",
    ]);
    expect(warningsFor({ store: new MemoryStore() })).toHaveLength(1);
  });

  it("stays quiet in development and tests", () => {
    vi.stubEnv("NODE_ENV", "development");
    expect(warningsFor({})).toEqual([]);
  });
});
