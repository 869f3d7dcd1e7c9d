import { type RequestSession, SessionManager, SessionStoreError } from "@sesame/core";
import { FaultInjectingStore, listenOnLoopback, sendRequest } from "@sesame/core/testing";
import Koa3, { type DefaultState, type Middleware } from "koa";
import Koa2 from "koa2";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  crossOriginProtection,
  getSession,
  type SessionContext,
  sessionMiddleware,
} from "../src/index.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe.each([
  ["Koa 3", Koa3],
  ["Koa 2", Koa2],
])("%s", (_name, Koa) => {
  async function serve(store: FaultInjectingStore): Promise<{ url: string; errors: unknown[] }> {
    const manager = new SessionManager({ store, onWarning: () => {} });
    const app = new Koa().use(sessionMiddleware(manager));
    const errors: unknown[] = [];
    app.silent = true;
    app.on("error", (error: unknown) => errors.push(error));
    app.use(async (ctx) => {
      if (ctx.path === "/login") await ctx.session.create("alice");
      if (ctx.path === "/set-then-rotate") {
        ctx.session.set("late", true);
        await ctx.session.rotate();
      }
      ctx.body = { userId: ctx.session.userId, data: ctx.session.data };
    });
    const server = await listenOnLoopback(app.callback());
    servers.push(server);
    return { url: server.url, errors };
  }

  it.each([
    ["not trusted", false, /^(::ffff:)?127\.0\.0\.1$/],
    ["trusted", true, /^203\.0\.113\.7$/],
  ])(
    "records the client IP from X-Forwarded-For only with app.proxy (%s)",
    async (_label, proxy, ip) => {
      const manager = new SessionManager({ onWarning: () => {} });
      const app = new Koa().use(sessionMiddleware(manager));
      app.proxy = proxy;
      app.use(async (ctx) => {
        await ctx.session.create("alice");
        await ctx.session.save();
        const [entry] = await ctx.session.listSessions();
        ctx.body = entry?.ip ?? "none";
      });
      const server = await listenOnLoopback(app.callback());
      servers.push(server);
      const reply = await sendRequest(server.url, "POST", "/", {
        headers: { "X-Forwarded-For": "203.0.113.7" },
      });
      expect(reply.body).toMatch(ip);
    },
  );

  async function login(url: string): Promise<string> {
    const reply = await sendRequest(url, "POST", "/login");
    return reply.setCookies[0]!.split(";")[0]!;
  }

  it("lets Koa's default error handling answer a generic 503 when the store fails", async () => {
    const store = new FaultInjectingStore();
    const { url, errors } = await serve(store);
    const cookie = await login(url);
    store.setMode("fail");
    const reply = await sendRequest(url, "GET", "/me", { cookie });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe("Service Unavailable");
    expect(reply.setCookies).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SessionStoreError);
    expect(errors[0]).toMatchObject({ status: 503, expose: false, code: "store_unavailable" });
    store.setMode("ok");
    expect((await sendRequest(url, "GET", "/me", { cookie })).status).toBe(200);
  });

  it("sends the session cookie with an error the route threw, yet upstream catches that very error", async () => {
    const notFound = Object.assign(new Error("Not found"), { status: 404, expose: true });
    const caught: unknown[] = [];
    const app = new Koa();
    app.silent = true;
    app.use(async (_ctx, next) => {
      await next().catch((error: unknown) => {
        caught.push(error);
        throw error;
      });
    });
    app.use(sessionMiddleware(new SessionManager({ onWarning: () => {} })));
    app.use(async (ctx) => {
      await ctx.session.create("alice");
      throw notFound;
    });
    const server = await listenOnLoopback(app.callback());
    servers.push(server);
    const reply = await sendRequest(server.url, "POST", "/");
    expect(reply.status).toBe(404);
    expect(reply.setCookies).toHaveLength(1);
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBe(notFound);
    expect(notFound).not.toHaveProperty("headers");
  });

  it.each([
    ["a thrown string", () => "boom", 500, []],
    [
      "an error with its own lower-case set-cookie and vary",
      () =>
        Object.assign(new Error("Gone"), {
          status: 410,
          headers: { "set-cookie": "app=1; Path=/", vary: "Accept-Encoding" },
        }),
      410,
      ["app=1; Path=/"],
    ],
  ])("keeps the session's headers and the error's own on %s", async (_, thrown, status, own) => {
    const app = new Koa();
    app.silent = true;
    app.use(sessionMiddleware(new SessionManager({ onWarning: () => {} })));
    app.use(async (ctx) => {
      await ctx.session.create("alice");
      throw thrown();
    });
    const server = await listenOnLoopback(app.callback());
    servers.push(server);
    const reply = await sendRequest(server.url, "POST", "/");
    expect(reply.status).toBe(status);
    expect(reply.setCookies.filter((line) => !line.startsWith("__Host-sid="))).toEqual(own);
    expect(reply.setCookies.filter((line) => line.startsWith("__Host-sid="))).toHaveLength(1);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    const vary = reply.headers.get("vary") ?? "";
    expect(vary.toLowerCase().split(/\s*,\s*/)).toEqual(
      own.length === 0 ? ["cookie"] : ["accept-encoding", "cookie"],
    );
  });

  it("says what to add when getSession runs without the middleware or with another manager", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const other = new SessionManager({ onWarning: () => {} });
    const answer = (ctx: Koa3.Context, use: SessionManager): void => {
      try {
        ctx.body = { userId: getSession(ctx, use).userId };
      } catch (error) {
        ctx.body = { error: (error as Error).message };
      }
    };
    const bare = new Koa().use((ctx) => answer(ctx, manager));
    const mounted = new Koa().use(sessionMiddleware(manager));
    mounted.use((ctx) => answer(ctx, ctx.path === "/other" ? other : manager));
    const [bareServer, mountedServer] = await Promise.all(
      [bare, mounted].map((app) => listenOnLoopback(app.callback())),
    );
    servers.push(bareServer!, mountedServer!);
    const message =
      "getSession: this request has no session from this manager; add app.use(sessionMiddleware(manager)) before the route.";
    expect(JSON.parse((await sendRequest(bareServer!.url, "GET", "/")).body)).toEqual({
      error: message,
    });
    expect(JSON.parse((await sendRequest(mountedServer!.url, "GET", "/")).body)).toEqual({
      userId: null,
    });
    expect(JSON.parse((await sendRequest(mountedServer!.url, "GET", "/other")).body)).toEqual({
      error: message,
    });
  });

  it("does not commit after a store error thrown downstream", async () => {
    const store = new FaultInjectingStore();
    const { url } = await serve(store);
    const cookie = await login(url);
    store.setMode("fail", { only: ["create"] });
    store.resetCalls();
    const reply = await sendRequest(url, "POST", "/set-then-rotate", { cookie });
    expect(reply.status).toBe(503);
    expect(store.calls.update).toBe(0);
    store.setMode("ok");
    const after = await sendRequest(url, "GET", "/me", { cookie });
    expect(JSON.parse(after.body).data).toEqual({});
  });
});

describe("types", () => {
  type Data = { theme: "light" | "dark"; visits: number };
  const manager = new SessionManager<Data>({ onWarning: () => {} });

  it("types ctx.session on the app that app.use(sessionMiddleware(manager)) returns", () => {
    const app = new Koa3().use(crossOriginProtection()).use(sessionMiddleware(manager));
    app.use((ctx) => {
      expectTypeOf(ctx.session).toEqualTypeOf<RequestSession<Data>>();
      expectTypeOf(ctx.session.get("theme")).toEqualTypeOf<"light" | "dark" | undefined>();
      ctx.session.set("visits", 2);
      // @ts-expect-error "blue" is not a theme
      ctx.session.set("theme", "blue");
      // @ts-expect-error the data type has no such key
      ctx.session.get("missing");
    });
  });

  it("types ctx.session through Koa's context type parameter", () => {
    const app = new Koa3<DefaultState, SessionContext<Data>>();
    app.use(sessionMiddleware(manager));
    app.use((ctx) => {
      expectTypeOf(ctx.session).toEqualTypeOf<RequestSession<Data>>();
    });
    expectTypeOf(sessionMiddleware(manager)).toEqualTypeOf<
      Middleware<DefaultState, SessionContext<Data>>
    >();
  });
});
