import { ServerResponse } from "node:http";
import { MemoryStore, type RequestSession, SessionManager } from "@sesame/core";
import {
  FaultInjectingStore,
  listenOnLoopback,
  sendRaw,
  setCookieLines,
} from "@sesame/core/testing";
import type { Request, RequestHandler, Response } from "express";
import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { crossOriginProtection, getSession, sessionMiddleware } from "../src/index.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function header(reply: { headerLines: [string, string][] }, name: string): string[] {
  return reply.headerLines
    .filter(([line]) => line.toLowerCase() === name.toLowerCase())
    .map(([, value]) => value);
}

describe.each([
  ["Express 5", express5],
  ["Express 4", express4],
])("%s", (_name, express) => {
  /** An app whose POST / signs in, then answers with `answer`; GET / answers without changes. */
  async function serve(answer: (res: Response) => void): Promise<string> {
    const manager = new SessionManager({ onWarning: () => {} });
    const app = express();
    app.use(sessionMiddleware(manager));
    app.post("/", async (req, res, next) => {
      try {
        await getSession(req, manager).create("alice");
        answer(res);
      } catch (error) {
        next(error);
      }
    });
    app.get("/", (_req, res) => answer(res));
    const server = await listenOnLoopback(app);
    servers.push(server);
    return server.url;
  }

  it.each([
    ["not trusted", false, /^(::ffff:)?127\.0\.0\.1$/],
    ["trusted", true, /^203\.0\.113\.7$/],
  ])(
    "records the client IP from X-Forwarded-For only behind a trusted proxy (%s)",
    async (_label, trust, ip) => {
      const manager = new SessionManager({ onWarning: () => {} });
      const app = express();
      if (trust) app.set("trust proxy", "loopback");
      app.use(sessionMiddleware(manager));
      app.post("/", async (req, res, next) => {
        try {
          const session = getSession(req, manager);
          await session.create("alice");
          await session.save();
          const [entry] = await session.listSessions();
          res.send(entry?.ip ?? "none");
        } catch (error) {
          next(error);
        }
      });
      const server = await listenOnLoopback(app);
      servers.push(server);
      const reply = await sendRaw(server.url, "POST", "/", [["X-Forwarded-For", "203.0.113.7"]]);
      expect(reply.body).toMatch(ip);
    },
  );

  it("keeps headers given to writeHead as [[name, value]] pairs (on-headers CVE-2025-7339)", async () => {
    const url = await serve((res) => {
      res.writeHead(200, [
        ["X-One", "1"],
        ["X-Two", "2"],
      ]);
      res.end("ok");
    });
    const reply = await sendRaw(url, "POST", "/", []);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("ok");
    expect(header(reply, "X-One")).toEqual(["1"]);
    expect(header(reply, "X-Two")).toEqual(["2"]);
    expect(setCookieLines(reply)).toHaveLength(1);
    expect(setCookieLines(reply)[0]).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; Secure/);
    expect(header(reply, "Cache-Control")).toEqual(["no-store"]);
  });

  it("keeps a flat [name, value, …] array, a reason phrase, and its own Set-Cookie", async () => {
    const url = await serve((res) => {
      res.writeHead(201, "Made", ["X-One", "1", "Set-Cookie", "theme=dark"]);
      res.end();
    });
    const reply = await sendRaw(url, "POST", "/", []);
    expect(reply.status).toBe(201);
    expect(header(reply, "X-One")).toEqual(["1"]);
    const cookies = setCookieLines(reply);
    expect(cookies).toHaveLength(2);
    expect(cookies).toContain("theme=dark");
    expect(cookies.some((line) => line.startsWith("__Host-sid="))).toBe(true);
  });

  it("lets no-store win over a Cache-Control given to writeHead when the cookie is set", async () => {
    const url = await serve((res) => {
      res.writeHead(200, { "Cache-Control": "public, max-age=60", "X-One": "1" });
      res.end();
    });
    const reply = await sendRaw(url, "POST", "/", []);
    expect(header(reply, "Cache-Control")).toEqual(["no-store"]);
    expect(header(reply, "X-One")).toEqual(["1"]);
    expect(setCookieLines(reply)).toHaveLength(1);
  });

  it("leaves the response untouched when the session has nothing to write", async () => {
    const untouched: boolean[] = [];
    const url = await serve((res) => {
      const { prototype } = ServerResponse;
      untouched.push(
        res.writeHead === prototype.writeHead &&
          res.write === prototype.write &&
          res.end === prototype.end,
      );
      res.writeHead(200, ["X-One", "1"]);
      res.end("ok");
    });
    const reply = await sendRaw(url, "GET", "/", []);
    expect(untouched).toEqual([true]);
    expect(reply.status).toBe(200);
    expect(header(reply, "X-One")).toEqual(["1"]);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("sets the cookie when the route flushes headers before writing", async () => {
    const url = await serve((res) => {
      res.flushHeaders();
      res.write("a");
      res.end("b");
    });
    const reply = await sendRaw(url, "POST", "/", []);
    expect(reply.body).toBe("ab");
    expect(setCookieLines(reply)).toHaveLength(1);
  });

  it("sends the cookie of a sign-in or sign-out the route did not wait for, over a stored session", async () => {
    const manager = new SessionManager({
      store: new FaultInjectingStore(new MemoryStore()),
      onWarning: () => {},
    });
    const failures: unknown[] = [];
    const app = express();
    app.use(sessionMiddleware(manager));
    app.post("/login", (req, res) => {
      getSession(req, manager)
        .create(String(req.query.user))
        .catch((error) => failures.push(error));
      res.json({ ok: true });
    });
    app.post("/logout", (req, res) => {
      getSession(req, manager)
        .destroy()
        .catch((error) => failures.push(error));
      res.end();
    });
    app.get("/me", (req, res) => {
      res.json({ user: getSession(req, manager).userId });
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    const cookieOf = (reply: Awaited<ReturnType<typeof sendRaw>>): string =>
      setCookieLines(reply)[0]?.split(";")[0] ?? "";
    const alice = cookieOf(await sendRaw(server.url, "POST", "/login?user=alice", []));
    const bob = cookieOf(await sendRaw(server.url, "POST", "/login?user=bob", [["Cookie", alice]]));
    expect(bob).not.toBe(alice);
    const me = await sendRaw(server.url, "GET", "/me", [["Cookie", bob]]);
    expect(JSON.parse(me.body)).toEqual({ user: "bob" });
    const out = await sendRaw(server.url, "POST", "/logout", [["Cookie", bob]]);
    expect(setCookieLines(out)[0]).toMatch(/^__Host-sid=;/);
    const after = await sendRaw(server.url, "GET", "/me", [["Cookie", bob]]);
    expect(JSON.parse(after.body)).toEqual({ user: null });
    expect(failures).toEqual([]);
  });

  it("still revokes other sessions once the response went out, and refuses a sign-in then", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const outcomes: unknown[] = [];
    const app = express();
    app.use(sessionMiddleware(manager));
    app.post("/after-reply", async (req, res) => {
      const session = getSession(req, manager);
      res.json({ ok: true });
      outcomes.push(await session.revokeOtherSessions());
      outcomes.push(await session.create("mallory").catch((error: Error) => error.message));
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    const signIn = async () => {
      const session = await manager.load(undefined, { secure: true });
      await session.create("alice");
      return (await session.commit())!.setCookie.split(";")[0]!;
    };
    const cookie = await signIn();
    await signIn();
    const reply = await sendRaw(server.url, "POST", "/after-reply", [["Cookie", cookie]]);
    expect(reply.status).toBe(200);
    await vi.waitFor(() => expect(outcomes).toHaveLength(2));
    expect(outcomes[0]).toBe(1);
    expect(outcomes[1]).toMatch(/after the response was committed/);
    expect(await manager.countSessions("alice")).toBe(1);
  });

  it("sends no cookie with a writeHead(500) after a session call failed on the store", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const manager = new SessionManager({ store, onWarning: () => {} });
    const app = express();
    app.use(sessionMiddleware(manager));
    app.post("/", async (req, res) => {
      const session = getSession(req, manager);
      await session.create("bob");
      try {
        await session.listSessions();
        res.writeHead(200).end();
      } catch {
        res.writeHead(500).end();
      }
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    store.setMode("fail", { only: ["listByUser"] });
    const reply = await sendRaw(server.url, "POST", "/", []);
    expect(reply.status).toBe(500);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("lets Express's default error handler answer 503 when the store fails", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const store = new FaultInjectingStore();
    const manager = new SessionManager({ store, onWarning: () => {} });
    const app = express();
    app.set("env", "production");
    app.use(sessionMiddleware(manager));
    app.post("/login", async (req, res, next) => {
      try {
        await getSession(req, manager).create("alice");
        res.end();
      } catch (error) {
        next(error);
      }
    });
    app.get("/me", (req, res) => {
      res.json({ userId: getSession(req, manager).userId });
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    const cookie = setCookieLines(await sendRaw(server.url, "POST", "/login", []))[0]!.split(
      ";",
    )[0]!;
    store.setMode("fail");
    const failed = await sendRaw(server.url, "GET", "/me", [["Cookie", cookie]]);
    expect(failed.status).toBe(503);
    expect(failed.body).not.toMatch(/at .*\(.*:\d+:\d+\)|ECONNREFUSED|Session store/);
    expect(setCookieLines(failed)).toEqual([]);
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
    store.setMode("ok");
    const recovered = await sendRaw(server.url, "GET", "/me", [["Cookie", cookie]]);
    expect(JSON.parse(recovered.body)).toEqual({ userId: "alice" });
  });

  it("puts the same session in req.session and getSession(req, manager)", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const app = express();
    app.use(sessionMiddleware(manager));
    app.get("/", (req, res) => {
      const session: unknown = (req as Request & { session?: unknown }).session;
      res.json({ same: session === getSession(req, manager) });
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    expect(JSON.parse((await sendRaw(server.url, "GET", "/", [])).body)).toEqual({ same: true });
  });

  it("finds the session after a later middleware replaces res.locals, and keeps it off req", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const other = new SessionManager({ onWarning: () => {} });
    const app = express();
    app.use(sessionMiddleware(manager));
    app.use((_req, res, next) => {
      res.locals = { page: "home" };
      next();
    });
    app.get("/", (req, res) => {
      const session: unknown = (req as Request & { session?: unknown }).session;
      const found = getSession(req, manager);
      res.json({
        same: session === found,
        ownKeys: Object.getOwnPropertySymbols(req).filter((key) =>
          key.description?.startsWith("sesame"),
        ).length,
        other: (() => {
          try {
            getSession(req, other);
            return "found";
          } catch {
            return "refused";
          }
        })(),
      });
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    const reply = JSON.parse((await sendRaw(server.url, "GET", "/", [])).body);
    expect(reply).toEqual({ same: true, ownKeys: 0, other: "refused" });
  });

  /** A cookie of a session signed in as `userId` through `manager` itself. */
  async function cookieOf(manager: SessionManager, userId: string): Promise<string> {
    const session = await manager.load(undefined, { secure: true, host: "app.example" });
    await session.create(userId);
    return (await session.commit())!.setCookie.split(";")[0]!;
  }

  it.each([
    ["one manager", 1],
    ["two managers", 2],
  ])(
    "never hands a request another request's session when the app shares one res.locals (%s)",
    async (_label, count) => {
      const managers = [1, 2].slice(0, count).map(
        (_, index) =>
          new SessionManager({
            store: index === 0 ? new FaultInjectingStore() : undefined,
            onWarning: () => {},
          }),
      );
      const manager = managers[0]!;
      const alice = await cookieOf(manager, "alice");
      const bob = await cookieOf(manager, "bob");
      const shared = { site: "Example" };
      let releaseAlice = (): void => {};
      const aliceWaits = new Promise<void>((resolve) => {
        releaseAlice = resolve;
      });
      let aliceArrived = (): void => {};
      const aliceIsWaiting = new Promise<void>((resolve) => {
        aliceArrived = resolve;
      });
      const app = express();
      app.use((_req, res, next) => {
        res.locals = shared;
        next();
      });
      app.use(managers.map((each) => sessionMiddleware(each)));
      app.get("/", async (req, res) => {
        const before = getSession(req, manager).userId;
        if (before === "alice") {
          aliceArrived();
          await aliceWaits;
        }
        res.json({ before, after: getSession(req, manager).userId });
      });
      const server = await listenOnLoopback(app);
      servers.push(server);
      const get = (cookie: string) =>
        sendRaw(server.url, "GET", "/", [["Cookie", cookie]]).then((reply) =>
          JSON.parse(reply.body),
        );
      const fromAlice = get(alice);
      await aliceIsWaiting;
      expect(await get(bob)).toEqual({ before: "bob", after: "bob" });
      releaseAlice();
      expect(await fromAlice).toEqual({ before: "alice", after: "alice" });
    },
  );

  it("finds each manager's session when two middlewares run, even after the app froze res.locals", async () => {
    const first = new SessionManager({ onWarning: () => {} });
    const second = new SessionManager({ onWarning: () => {} });
    const cookie = await cookieOf(first, "alice");
    const app = express();
    app.use(sessionMiddleware(first), sessionMiddleware(second));
    app.use((_req, res, next) => {
      Object.freeze(res.locals);
      next();
    });
    app.get("/", (req, res) => {
      res.json({ first: getSession(req, first).userId, second: getSession(req, second).exists });
    });
    const server = await listenOnLoopback(app);
    servers.push(server);
    const reply = await sendRaw(server.url, "GET", "/", [["Cookie", cookie]]);
    expect(JSON.parse(reply.body)).toEqual({ first: "alice", second: false });
  });

  it("answers with the session when the app froze res.locals, on a store that answers later", async () => {
    const manager = new SessionManager({ store: new FaultInjectingStore(), onWarning: () => {} });
    const cookie = await cookieOf(manager, "alice");
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const app = express();
      app.use((_req, res, next) => {
        res.locals = Object.freeze({ site: "Example" });
        next();
      });
      app.use(sessionMiddleware(manager));
      app.get("/", (req, res) => {
        res.json({ found: getSession(req, manager).userId });
      });
      const server = await listenOnLoopback(app);
      servers.push(server);
      const reply = await sendRaw(server.url, "GET", "/", [["Cookie", cookie]]);
      expect([reply.status, JSON.parse(reply.body)]).toEqual([200, { found: "alice" }]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("getSession", () => {
  it("finds the session of a middleware called with a request and response of its own", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const req = { headers: {}, socket: {} } as unknown as Request;
    const res = { locals: {} } as unknown as Response;
    const next = vi.fn();
    sessionMiddleware(manager)(req, res, next);
    await vi.waitFor(() => expect(next).toHaveBeenCalledWith());
    expect(getSession(req, manager).exists).toBe(false);
  });

  it("throws, saying what to add, without sessionMiddleware for that manager", () => {
    const manager = new SessionManager({ onWarning: () => {} });
    expect(() => getSession({} as Request, manager)).toThrow(/sessionMiddleware\(manager\)/);
  });

  it("carries the manager's data type to route handlers without casts", () => {
    type Data = { theme: "light" | "dark"; visits: number };
    const manager = new SessionManager<Data>({ onWarning: () => {} });
    const handler = (req: Request, res: Response): void => {
      const session = getSession(req, manager);
      expectTypeOf(session).toEqualTypeOf<RequestSession<Data>>();
      expectTypeOf(session.get("theme")).toEqualTypeOf<"light" | "dark" | undefined>();
      session.set("visits", 2);
      // @ts-expect-error "blue" is not a theme
      session.set("theme", "blue");
      // @ts-expect-error the data type has no such key
      session.get("missing");
      res.end();
    };
    express5().get("/", handler);
    expectTypeOf(sessionMiddleware(manager)).toEqualTypeOf<RequestHandler>();
    expectTypeOf(crossOriginProtection()).toEqualTypeOf<RequestHandler>();
  });
});
