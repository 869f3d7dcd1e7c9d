import { MemoryStore, SessionManager, type SessionStore } from "@sesame/core";
import { FaultInjectingStore } from "@sesame/core/testing";
import Fastify, { type FastifyInstance } from "fastify";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  crossOriginProtection,
  getSession,
  STORE_UNAVAILABLE_BODY,
  sessionPlugin,
} from "../src/index.js";

type Data = { theme?: "light" | "dark" };

async function appWith(store: SessionStore = new MemoryStore()): Promise<{
  app: FastifyInstance;
  manager: SessionManager<Data>;
}> {
  const manager = new SessionManager<Data>({ store, onWarning: () => {} });
  const app = Fastify();
  await app.register(sessionPlugin, { manager });
  app.post("/login", async (request) => {
    await request.session.create("alice");
    return { ok: true };
  });
  return { app, manager };
}

async function signIn(app: FastifyInstance): Promise<string> {
  const reply = await app.inject({ method: "POST", url: "/login" });
  return String(reply.headers["set-cookie"]).split(";")[0]!;
}

describe("sessionPlugin on Fastify", () => {
  it("puts the same session in request.session and getSession(request, manager), typed by the manager", async () => {
    const { app, manager } = await appWith();
    app.get("/same", async (request) => {
      const session = getSession(request, manager);
      expectTypeOf(session.get("theme")).toEqualTypeOf<"light" | "dark" | undefined>();
      return { same: session === (request.session as unknown) };
    });
    expect((await app.inject({ url: "/same" })).json()).toEqual({ same: true });
  });

  it("throws, saying what to register, for a manager the plugin was not given", async () => {
    const { app } = await appWith();
    const other = new SessionManager();
    app.get("/other", async (request) => getSession(request, other).userId);
    const reply = await app.inject({ url: "/other" });
    expect(reply.statusCode).toBe(500);
    expect(reply.json().message).toMatch(/register sessionPlugin with \{ manager \}/);
  });

  it("answers 503 for a store failure before the app's own error handler, which gets every other error once", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const { app } = await appWith(store);
    const seen: string[] = [];
    app.addHook("onError", async (_request, _reply, error) => {
      seen.push(`hook: ${error.message}`);
    });
    app.setErrorHandler((error, _request, reply) => {
      seen.push(`handler: ${(error as Error).message}`);
      return reply.code(418).send({ handled: true });
    });
    app.get("/boom", async () => {
      throw new Error("boom");
    });
    const cookie = await signIn(app);
    store.setMode("fail");
    const failing = await app.inject({ url: "/boom", headers: { cookie } });
    expect(failing.statusCode).toBe(503);
    expect(failing.json()).toEqual(STORE_UNAVAILABLE_BODY);
    expect(failing.headers["set-cookie"]).toBeUndefined();
    seen.length = 0;
    store.setMode("ok");
    const boom = await app.inject({ url: "/boom", headers: { cookie } });
    expect(boom.statusCode).toBe(418);
    expect(seen).toEqual(["hook: boom", "handler: boom"]);
  });

  it("adds no-store to a Response the app reuses, on a copy, and adds Cookie to its Vary", async () => {
    const { app } = await appWith();
    const cached = new Response("hello", {
      headers: { "cache-control": "public, max-age=600", vary: "Accept-Encoding" },
    });
    app.post("/cached", async (request, reply) => {
      await request.session.create("alice");
      return reply.send(cached.clone());
    });
    const reply = await app.inject({ method: "POST", url: "/cached" });
    expect(reply.body).toBe("hello");
    expect(reply.headers["cache-control"]).toBe("no-store");
    expect(reply.headers.vary).toBe("Accept-Encoding, Cookie");
    expect(String(reply.headers["set-cookie"])).toMatch(/^__Host-sid=/);
    expect(cached.headers.get("cache-control")).toBe("public, max-age=600");
    expect(cached.headers.has("set-cookie")).toBe(false);
  });

  it("answers 500, and goes on serving, when the reply cannot be written after the commit (a header Node refuses)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { app } = await appWith();
      app.post("/bad-header", async (request, reply) => {
        await request.session.create("alice");
        reply.header("x-note", "line\nbreak");
        return { ok: true };
      });
      await app.listen({ port: 0, host: "127.0.0.1" });
      const { port } = app.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      const bad = await fetch(`${base}/bad-header`, {
        method: "POST",
        signal: AbortSignal.timeout(5_000),
      });
      expect(bad.status).toBe(500);
      await bad.arrayBuffer();
      const login = await fetch(`${base}/login`, { method: "POST" });
      expect(login.status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      await app.close();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("commits the session it loaded even when the app replaced request.session", async () => {
    const { app } = await appWith();
    app.post("/logout", async (request) => {
      await request.session.destroy();
      (request as { session: unknown }).session = null;
      return { ok: true };
    });
    const cookie = await signIn(app);
    const reply = await app.inject({ method: "POST", url: "/logout", headers: { cookie } });
    expect(reply.statusCode).toBe(200);
    expect(String(reply.headers["set-cookie"])).toMatch(/^__Host-sid=;.*Max-Age=0/);
  });

  it("keeps the route's Vary and adds Cookie once", async () => {
    const { app } = await appWith();
    app.post("/vary", async (request, reply) => {
      await request.session.create("alice");
      return reply.header("vary", "Accept, cookie").send({ ok: true });
    });
    const reply = await app.inject({ method: "POST", url: "/vary" });
    expect(reply.headers.vary).toBe("Accept, cookie");
    expect(reply.headers["cache-control"]).toBe("no-store");
  });

  it("passes crossOriginProtection's options to core: trusted origins and exempt paths", async () => {
    const manager = new SessionManager({ onWarning: () => {} });
    const app = Fastify();
    await app.register(crossOriginProtection, {
      trustedOrigins: ["https://admin.example"],
      exemptPaths: ["/webhook"],
    });
    await app.register(sessionPlugin, { manager });
    app.post("/login", async () => ({ ok: true }));
    app.post("/webhook", async () => ({ ok: true }));
    const post = (url: string, origin: string) =>
      app.inject({ method: "POST", url, headers: { origin } });
    expect((await post("/login", "https://evil.example")).statusCode).toBe(403);
    expect((await post("/login", "https://evil.example")).json()).toEqual({
      error: "cross_origin_request_refused",
    });
    expect((await post("/login", "https://admin.example")).statusCode).toBe(200);
    expect((await post("/webhook?x=1", "https://evil.example")).statusCode).toBe(200);
  });
});
