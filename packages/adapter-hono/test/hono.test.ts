import {
  NoSessionError,
  ReauthRequiredError,
  type RequestSession,
  SessionDataError,
  SessionLimitError,
  SessionManager,
  SessionStoreError,
  SessionTooLargeError,
} from "@sesame/core";
import { FaultInjectingStore } from "@sesame/core/testing";
import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { stream } from "hono/streaming";
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  crossOriginProtection,
  getSession,
  type SessionEnv,
  STORE_UNAVAILABLE_BODY,
  sessionErrorHandler,
  sessionMiddleware,
} from "../src/index.js";

const ORIGIN = "http://localhost";

/** An app driven through `app.fetch` only, as on Bun, Deno or Workers. */
function fetchApp(store = new FaultInjectingStore()): Hono<SessionEnv> {
  const manager = new SessionManager({ store, onWarning: () => {} });
  const app = new Hono<SessionEnv>();
  app.use(crossOriginProtection());
  app.use(sessionMiddleware(manager));
  app.post("/login", async (c) => {
    await c.get("session").create("alice");
    return c.json({ ok: true });
  });
  app.post("/login-then-redirect", async (c) => {
    await c.get("session").create("alice");
    return Response.redirect(`${ORIGIN}/me`, 303);
  });
  app.post("/set-then-rotate", async (c) => {
    c.get("session").set("late", true);
    await c.get("session").rotate();
    return c.json({ ok: true });
  });
  app.get("/me", (c) => {
    const session = c.get("session");
    if (session.userId === null) return c.json({ error: "unauthenticated" }, 401);
    return c.json({ userId: session.userId, data: session.data });
  });
  return app;
}

async function login(app: Hono<SessionEnv>): Promise<string> {
  const response = await app.fetch(new Request(`${ORIGIN}/login`, { method: "POST" }));
  expect(response.status).toBe(200);
  const [line] = response.headers.getSetCookie();
  return line!.split(";")[0]!;
}

describe("Hono through app.fetch", () => {
  it("reads the session from a Request built with two appended cookie headers", async () => {
    const app = fetchApp();
    const cookie = await login(app);
    const headers = new Headers();
    headers.append("cookie", "theme=dark");
    headers.append("cookie", cookie);
    const response = await app.fetch(new Request(`${ORIGIN}/me`, { headers }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: "alice", data: {} });
  });

  it("adds the cookie to a response with immutable headers", async () => {
    const response = await fetchApp().fetch(
      new Request(`${ORIGIN}/login-then-redirect`, { method: "POST" }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toHaveLength(1);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 503 JSON with Hono's default error handler when the store fails", async () => {
    const store = new FaultInjectingStore();
    const app = fetchApp(store);
    const cookie = await login(app);
    store.setMode("fail");
    const response = await app.fetch(new Request(`${ORIGIN}/me`, { headers: { cookie } }));
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(STORE_UNAVAILABLE_BODY);
    expect(response.headers.getSetCookie()).toEqual([]);
    store.setMode("ok");
    const recovered = await app.fetch(new Request(`${ORIGIN}/me`, { headers: { cookie } }));
    expect(recovered.status).toBe(200);
  });

  it("hands app.onError an HTTPException whose cause is the SessionStoreError", async () => {
    const store = new FaultInjectingStore();
    const app = fetchApp(store);
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.text("custom", 500);
    });
    const cookie = await login(app);
    store.setMode("fail");
    const response = await app.fetch(new Request(`${ORIGIN}/me`, { headers: { cookie } }));
    expect(await response.text()).toBe("custom");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(HTTPException);
    expect((seen[0] as HTTPException).status).toBe(503);
    expect((seen[0] as HTTPException).cause).toBeInstanceOf(SessionStoreError);
  });

  it("does not commit after a store error thrown inside a route", async () => {
    const store = new FaultInjectingStore();
    const app = fetchApp(store);
    app.onError(sessionErrorHandler);
    const cookie = await login(app);
    store.setMode("fail", { only: ["create"] });
    store.resetCalls();
    const response = await app.fetch(
      new Request(`${ORIGIN}/set-then-rotate`, { method: "POST", headers: { cookie } }),
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(STORE_UNAVAILABLE_BODY);
    expect(store.calls.update).toBe(0);
    store.setMode("ok");
    const after = await app.fetch(new Request(`${ORIGIN}/me`, { headers: { cookie } }));
    expect((await after.json()).data).toEqual({});
  });

  it("answers a failed commit's 503 without the route's headers, and stops a streaming route", async () => {
    const store = new FaultInjectingStore();
    const app = fetchApp(store);
    app.onError(sessionErrorHandler);
    let aborted = false;
    let finished = false;
    app.post("/cached-set", (c) => {
      c.get("session").set("k", 1);
      c.header("Cache-Control", "public, max-age=3600");
      c.header("X-App", "1");
      return c.json({ ok: true });
    });
    app.post("/stream-set", (c) => {
      c.get("session").set("k", 1);
      return stream(c, async (body) => {
        body.onAbort(() => {
          aborted = true;
        });
        for (let chunk = 0; chunk < 64; chunk++) await body.write(`chunk ${chunk} `.repeat(1024));
        finished = true;
      });
    });
    const cookie = await login(app);
    store.setMode("fail", { only: ["update"] });
    const cached = await app.fetch(
      new Request(`${ORIGIN}/cached-set`, { method: "POST", headers: { cookie } }),
    );
    expect(cached.status).toBe(503);
    expect(await cached.json()).toEqual(STORE_UNAVAILABLE_BODY);
    expect(cached.headers.get("x-app")).toBeNull();
    expect(cached.headers.get("cache-control") ?? "").not.toMatch(/public/);
    const streamed = await app.fetch(
      new Request(`${ORIGIN}/stream-set`, { method: "POST", headers: { cookie } }),
    );
    expect(streamed.status).toBe(503);
    await vi.waitFor(() => expect(aborted).toBe(true));
    expect(finished).toBe(false);
  });

  it("says what to add when getSession runs without the middleware or with another manager", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const other = new SessionManager({ onWarning: () => {} });
    const bare = new Hono().get("/", (c) => c.json({ userId: getSession(c, manager).userId }));
    const mounted = new Hono()
      .use(sessionMiddleware(manager))
      .get("/", (c) => c.json({ userId: getSession(c, manager).userId }))
      .get("/other", (c) => c.json({ userId: getSession(c, other).userId }));
    const errors: string[] = [];
    for (const app of [bare, mounted]) {
      app.onError((error, c) => {
        errors.push(error.message);
        return c.text("error", 500);
      });
    }
    expect((await bare.fetch(new Request(`${ORIGIN}/`))).status).toBe(500);
    expect(await (await mounted.fetch(new Request(`${ORIGIN}/`))).json()).toEqual({ userId: null });
    expect((await mounted.fetch(new Request(`${ORIGIN}/other`))).status).toBe(500);
    const message =
      "getSession: this request has no session from this manager; add app.use(sessionMiddleware(manager)) before the route.";
    expect(errors).toEqual([message, message]);
  });

  it.each([
    ["SessionTooLargeError", new SessionTooLargeError(70_000, 65_536), 413, "session_too_large"],
    ["NoSessionError", new NoSessionError("Rotating a session"), 401, "no_session"],
    ["ReauthRequiredError", new ReauthRequiredError(300), 401, "reauth_required"],
    ["SessionLimitError", new SessionLimitError(3), 409, "session_limit"],
    ["SessionDataError", new SessionDataError("no"), 400, "session_data_invalid"],
  ])(
    "answers a %s with its own status in sessionErrorHandler, as Express and Koa do",
    async (_name, error, status, code) => {
      const app = new Hono().get("/", () => {
        throw error;
      });
      app.onError(sessionErrorHandler);
      const response = await app.fetch(new Request(`${ORIGIN}/`));
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ error: code });
    },
  );

  it("answers 500 in sessionErrorHandler for errors without a status", async () => {
    const errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = new Hono().get("/", () => {
      throw new Error("boom");
    });
    app.onError(sessionErrorHandler);
    const response = await app.fetch(new Request(`${ORIGIN}/`));
    expect(response.status).toBe(500);
    expect(errorLog).toHaveBeenCalledTimes(1);
    errorLog.mockRestore();
  });

  it("takes the target origin from X-Forwarded-Host only with trustProxy", async () => {
    const request = (): Request =>
      new Request(`${ORIGIN}/login`, {
        method: "POST",
        headers: { origin: "https://app.example", "x-forwarded-host": "app.example" },
      });
    const untrusted = new Hono().use(crossOriginProtection()).post("/login", (c) => c.text("ok"));
    expect((await untrusted.fetch(request())).status).toBe(403);
    const trusted = new Hono()
      .use(crossOriginProtection({ trustProxy: true }))
      .post("/login", (c) => c.text("ok"));
    expect((await trusted.fetch(request())).status).toBe(200);
  });
});

describe("types", () => {
  type Data = { theme: "light" | "dark"; visits: number };
  const manager = new SessionManager<Data>({ onWarning: () => {} });

  it("types c.get('session') and c.var.session through SessionEnv", () => {
    const app = new Hono<SessionEnv<Data>>();
    app.use(sessionMiddleware(manager));
    app.get("/", (c) => {
      expectTypeOf(c.get("session")).toEqualTypeOf<RequestSession<Data>>();
      expectTypeOf(c.var.session.get("theme")).toEqualTypeOf<"light" | "dark" | undefined>();
      c.get("session").set("visits", 2);
      // @ts-expect-error "blue" is not a theme
      c.get("session").set("theme", "blue");
      // @ts-expect-error the data type has no such key
      c.get("session").get("missing");
      return c.text("ok");
    });
    expectTypeOf(sessionMiddleware(manager)).toEqualTypeOf<MiddlewareHandler<SessionEnv<Data>>>();
  });
});
