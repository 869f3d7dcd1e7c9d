/**
 * `migrateFromExpressSession` against the real thing: express-session issues sessions into its
 * MemoryStore and into Redis through connect-redis, then the app switches to sesame.
 */
import { SessionConfigError, type SessionEvent, SessionManager } from "@sesame/core";
import {
  type ConformanceServer,
  type HttpReply,
  listenOnLoopback,
  sendRequest,
} from "@sesame/core/testing";
import { RedisStore } from "connect-redis";
import { sign } from "cookie-signature";
import express, { type ErrorRequestHandler } from "express";
import expressSession from "express-session";
import fc from "fast-check";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clearExpressSessionCookie,
  unsignExpressSessionCookie,
} from "../src/express-session-cookie.js";
import {
  type ExpressSessionStore,
  getSession,
  type MigrateFromExpressSessionOptions,
  migrateFromExpressSession,
  sessionMiddleware,
} from "../src/index.js";
import { connectRedisOrSkip } from "./redis.js";

const OLD_SECRET = "an-old-express-session-secret";
const NEW_SECRET = "the-secret-express-session-had-last";

type Data = { theme?: string };

const redis = await connectRedisOrSkip("the connect-redis migration tests");
afterAll(async () => {
  await redis?.quit();
});

/** Counts calls of the connect store API, and can make them fail. */
function instrument(store: ExpressSessionStore & object): { calls: string[]; failing: boolean } {
  const state = { calls: [] as string[], failing: false };
  for (const method of ["get", "destroy"] as const) {
    const original = store[method].bind(store) as (...args: unknown[]) => unknown;
    Object.assign(store, {
      [method]: (sid: string, callback: (error?: unknown) => void) => {
        state.calls.push(`${method} ${sid}`);
        if (state.failing) return callback(new Error("old store down"));
        return original(sid, callback);
      },
    });
  }
  return state;
}

/** The app before the switch: express-session signs users in. */
function oldApp(store: expressSession.Store, cookie: expressSession.CookieOptions = {}) {
  const app = express();
  app.use(
    expressSession({
      store,
      secret: [OLD_SECRET],
      resave: false,
      saveUninitialized: false,
      cookie,
    }),
  );
  app.post(["/login", "/app/login"], (req, res) => {
    req.session.regenerate(() => {
      req.session.userId = "alice";
      req.session.theme = "dark";
      res.sendStatus(204);
    });
  });
  return app;
}

const storeFailure: ErrorRequestHandler = (error, _req, res, _next) => {
  const fromStore = error.code === "store_unavailable" || error.code === "store_timeout";
  res
    .status(fromStore ? 503 : 500)
    .json({ error: fromStore ? "session_store_unavailable" : "internal" });
};

/** The app after the switch: sesame, with the migration in front. */
function newApp(
  manager: SessionManager<Data>,
  store: ExpressSessionStore,
  options: Partial<MigrateFromExpressSessionOptions> = {},
) {
  const app = express();
  app.use(
    migrateFromExpressSession(manager, {
      store,
      secret: [NEW_SECRET, OLD_SECRET],
      map: (old) =>
        typeof old.userId === "string"
          ? { userId: old.userId, data: { theme: old.theme as string } }
          : null,
      ...options,
    }),
  );
  app.use(sessionMiddleware(manager));
  app.get("/me", (req, res) => {
    const session = getSession(req, manager);
    if (session.userId === null) res.status(401).json({ error: "unauthenticated" });
    else res.json({ userId: session.userId, data: session.data });
  });
  app.post("/login", async (req, res) => {
    await getSession(req, manager).create("bob");
    res.sendStatus(204);
  });
  app.use(storeFailure);
  return app;
}

/** The session id inside a `connect.sid=s%3A<id>.<signature>` pair. */
function oldId(pair: string): string {
  const value = decodeURIComponent(pair.slice(pair.indexOf("=") + 1));
  return value.slice(2, value.lastIndexOf("."));
}

function cookieOf(reply: HttpReply, name: string): string | undefined {
  const line = reply.setCookies.find((entry) => entry.startsWith(`${name}=`));
  return line?.slice(0, line.indexOf(";"));
}

const oldStores: [string, () => { store: expressSession.Store; cleanup(): Promise<void> }][] = [
  [
    "express-session's MemoryStore",
    () => ({ store: new expressSession.MemoryStore(), cleanup: async () => {} }),
  ],
];
if (redis !== null) {
  oldStores.push([
    "connect-redis",
    () => {
      const prefix = `sesame-test:migrate:${process.pid}-${Date.now()}-${Math.random()}:`;
      return {
        store: new RedisStore({ client: redis, prefix, ttl: 600 }),
        cleanup: async () => {
          for await (const keys of redis.scanIterator({ MATCH: `${prefix}*` })) {
            if (keys.length > 0) await redis.del(keys);
          }
        },
      };
    },
  ]);
}

describe.each(oldStores)("migrating from express-session with %s", (_label, makeStore) => {
  let store: expressSession.Store;
  let cleanup: () => Promise<void>;
  let counted: { calls: string[]; failing: boolean };
  let manager: SessionManager<Data>;
  let clock: number;
  let events: SessionEvent[];
  let servers: ConformanceServer[];
  let before: ConformanceServer;
  let after: ConformanceServer;

  /** Signs alice in on the old app; resolves the `connect.sid=…` pair it set. */
  async function oldCookie(): Promise<string> {
    const reply = await sendRequest(before.url, "POST", "/login");
    expect(reply.status).toBe(204);
    return cookieOf(reply, "connect.sid")!;
  }
  const me = (cookie?: string): Promise<HttpReply> =>
    sendRequest(after.url, "GET", "/me", cookie === undefined ? {} : { cookie });
  const oldRecord = (cookie: string): Promise<unknown> =>
    new Promise((resolve) => {
      store.get(oldId(cookie), (_error, session) => resolve(session ?? null));
    });

  beforeEach(async () => {
    ({ store, cleanup } = makeStore());
    counted = instrument(store as unknown as ExpressSessionStore);
    events = [];
    clock = Date.now();
    manager = new SessionManager<Data>({
      onEvent: (event) => events.push(event),
      onWarning: () => {},
      now: () => clock,
    });
    servers = [];
    before = await listenOnLoopback(oldApp(store));
    after = await listenOnLoopback(newApp(manager, store as unknown as ExpressSessionStore));
    servers.push(before, after);
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await cleanup();
  });

  it("signs the user in on the next request, with a new token and the old data", async () => {
    const cookie = await oldCookie();
    const reply = await me(cookie);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ userId: "alice", data: { theme: "dark" } });
    const session = cookieOf(reply, manager.cookieName)!;
    expect(session).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}$/);
    expect(session).not.toContain(oldId(cookie));
    expect(reply.setCookies).toContain(
      "connect.sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly",
    );
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(await oldRecord(cookie)).toBeNull();
    expect(events.filter((event) => event.type === "migrated")).toEqual([
      expect.objectContaining({ userId: "alice", from: "express-session" }),
    ]);
    const next = await me(session);
    expect(JSON.parse(next.body)).toEqual({ userId: "alice", data: { theme: "dark" } });
    expect(next.setCookies).toEqual([]);
  });

  it("sends one session cookie when the route signs in anew on the migrating request", async () => {
    const cookie = await oldCookie();
    const reply = await sendRequest(after.url, "POST", "/login", { cookie });
    expect(reply.status).toBe(204);
    const lines = reply.setCookies.filter((line) => line.startsWith(`${manager.cookieName}=`));
    expect(lines).toHaveLength(1);
    const bob = await me(cookieOf(reply, manager.cookieName));
    expect(JSON.parse(bob.body)).toEqual({ userId: "bob", data: {} });
  });

  it("gives the same session to the old cookie within renewalGraceSeconds, and none after", async () => {
    const cookie = await oldCookie();
    const first = await me(cookie);
    expect(first.status).toBe(200);
    clock += 29_000;
    const late = await me(cookie);
    expect(late.status).toBe(200);
    expect(cookieOf(late, manager.cookieName)).toBe(cookieOf(first, manager.cookieName));
    clock += 2_000;
    const replay = await me(cookie);
    expect(replay.status).toBe(401);
    expect(replay.setCookies).toEqual([]);
    expect(await manager.listUserSessions("alice")).toHaveLength(1);
  });

  it.each([
    [
      "a tampered signature",
      (cookie: string) => `${cookie.slice(0, -2)}${cookie.endsWith("AA") ? "BB" : "AA"}`,
    ],
    ["a tampered id", (cookie: string) => cookie.replace("s%3A", "s%3AX")],
    ["an unsigned id", (cookie: string) => `connect.sid=${oldId(cookie)}`],
    [
      "the id signed with another secret",
      (cookie: string) =>
        `connect.sid=${encodeURIComponent(`s:${sign(oldId(cookie), "not-the-secret")}`)}`,
    ],
  ])("ignores %s, with no store call", async (_label, tamper) => {
    const cookie = await oldCookie();
    counted.calls.length = 0;
    const reply = await me(tamper(cookie));
    expect(reply.status).toBe(401);
    expect(reply.setCookies).toEqual([]);
    expect(counted.calls).toEqual([]);
    expect(await oldRecord(cookie)).not.toBeNull();
  });

  it("ignores a validly signed id the old store does not know", async () => {
    const forged = `connect.sid=${encodeURIComponent(`s:${sign("no-such-session", OLD_SECRET)}`)}`;
    const reply = await me(forged);
    expect(reply.status).toBe(401);
    expect(reply.setCookies).toEqual([]);
    expect(counted.calls).toEqual(["get no-such-session"]);
  });

  it("keeps a sesame session the request carries, and leaves the old cookie alone", async () => {
    const cookie = await oldCookie();
    const bob = cookieOf(await sendRequest(after.url, "POST", "/login"), manager.cookieName)!;
    counted.calls.length = 0;
    const reply = await me(`${cookie}; ${bob}`);
    expect(JSON.parse(reply.body).userId).toBe("bob");
    expect(reply.setCookies).toEqual([]);
    expect(counted.calls).toEqual([]);
    expect(await oldRecord(cookie)).not.toBeNull();
  });

  it("creates one sesame session for concurrent first requests of one user, and signs each in", async () => {
    const cookie = await oldCookie();
    const replies = await Promise.all(Array.from({ length: 6 }, () => me(cookie)));
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).userId).toBe("alice");
    }
    const sessions = new Set(replies.map((reply) => cookieOf(reply, manager.cookieName)));
    expect(sessions.size).toBe(1);
    expect(await manager.listUserSessions("alice")).toHaveLength(1);
    expect(events.filter((event) => event.type === "migrated")).toHaveLength(1);
    expect(counted.calls.filter((call) => call.startsWith("get"))).toHaveLength(1);
  });

  it("answers 503 while the old store fails, and migrates once it is back", async () => {
    const cookie = await oldCookie();
    counted.failing = true;
    const failing = await me(cookie);
    expect(failing.status).toBe(503);
    expect(failing.setCookies).toEqual([]);
    counted.failing = false;
    expect((await me(cookie)).status).toBe(200);
  });

  it("answers 503 when map gives no answer within mapTimeoutMs, and migrates once it does", async () => {
    let answering = false;
    const server = await listenOnLoopback(
      newApp(manager, store as unknown as ExpressSessionStore, {
        mapTimeoutMs: 50,
        map: (old) => (answering ? { userId: old.userId as string } : new Promise(() => {})),
      }),
    );
    servers.push(server);
    const cookie = await oldCookie();
    const stuck = await sendRequest(server.url, "GET", "/me", { cookie });
    expect(stuck.status).toBe(503);
    expect(stuck.setCookies).toEqual([]);
    answering = true;
    const reply = await sendRequest(server.url, "GET", "/me", { cookie });
    expect(reply.status).toBe(200);
    expect(await oldRecord(cookie)).toBeNull();
  });

  it("refuses a mapTimeoutMs that is not a positive whole number of milliseconds", () => {
    for (const mapTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        newApp(manager, store as unknown as ExpressSessionStore, { mapTimeoutMs }),
      ).toThrow(SessionConfigError);
    }
  });

  it("leaves a session that map turns down", async () => {
    const anonymous = express();
    anonymous.use(
      expressSession({ store, secret: OLD_SECRET, resave: false, saveUninitialized: false }),
    );
    anonymous.post("/visit", (req, res) => {
      req.session.theme = "light";
      res.sendStatus(204);
    });
    const server = await listenOnLoopback(anonymous);
    servers.push(server);
    const cookie = cookieOf(await sendRequest(server.url, "POST", "/visit"), "connect.sid")!;
    const reply = await me(cookie);
    expect(reply.status).toBe(401);
    expect(reply.setCookies).toEqual([]);
    expect(await oldRecord(cookie)).not.toBeNull();
  });

  it("clears an old cookie with the path and SameSite it was set with", async () => {
    const scoped = await listenOnLoopback(oldApp(store, { path: "/app", sameSite: "lax" }));
    servers.push(scoped);
    const cookie = cookieOf(await sendRequest(scoped.url, "POST", "/app/login"), "connect.sid")!;
    const reply = await me(cookie);
    expect(reply.setCookies).toContain(
      "connect.sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/app; HttpOnly; SameSite=Lax",
    );
  });
});

describe("express-session cookies", () => {
  it("verifies what cookie-signature signs, with any of the secrets, and nothing else", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (sid, secret, other) => {
          const signed = `s:${sign(sid, secret)}`;
          expect(unsignExpressSessionCookie(signed, [other, secret])).toBe(sid);
          if (other !== secret) expect(unsignExpressSessionCookie(signed, [other])).toBeNull();
          expect(unsignExpressSessionCookie(signed.slice(2), [secret])).toBeNull();
        },
      ),
    );
  });

  it("matches a known answer", () => {
    // cookie-signature's own test vector: sign("hello", "tobiiscool").
    expect(sign("hello", "tobiiscool")).toBe("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI");
    expect(
      unsignExpressSessionCookie("s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI", [
        "tobiiscool",
      ]),
    ).toBe("hello");
  });

  it("clears the old cookie with its path, domain and flags", () => {
    expect(
      clearExpressSessionCookie("connect.sid", {
        path: "/app",
        domain: "example.com",
        secure: true,
        httpOnly: true,
        sameSite: true,
      }),
    ).toBe(
      "connect.sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict",
    );
  });
});
