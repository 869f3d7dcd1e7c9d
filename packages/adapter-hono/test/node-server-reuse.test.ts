import { getRequestListener } from "@hono/node-server";
import { MemoryStore, SessionManager } from "@sesame/core";
import { listenOnLoopback, sendRequest } from "@sesame/core/testing";
import { type Context, Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { type SessionEnv, sessionMiddleware } from "../src/index.js";

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/**
 * @hono/node-server's light `Response` keeps a text body as it is, so an app can answer every
 * request with one cached `Response` there; the adapter copies it without turning the body into
 * a stream, and never writes a session cookie onto the app's object.
 */
describe("Hono on @hono/node-server, with a cached text Response", () => {
  it("sends the cached body on every request and a session cookie only to the one who signed in", async () => {
    const app = new Hono<SessionEnv>();
    const listener = getRequestListener(app.fetch);
    // Made after @hono/node-server installed its light Response, as a cache filled while serving.
    const cached = new Response("shared reply", { status: 404, headers: { "X-Shared": "1" } });
    app.use(sessionMiddleware(new SessionManager({ store: new MemoryStore() })));
    app.post("/page", async (c) => {
      if (c.req.query("login") !== undefined) await c.get("session").create("alice");
      return cached;
    });
    const server = await listenOnLoopback(listener);
    servers.push(server);

    const alice = await sendRequest(server.url, "POST", "/page?login");
    const visitor = await sendRequest(server.url, "POST", "/page");
    const again = await sendRequest(server.url, "POST", "/page");

    expect(alice.status).toBe(404);
    expect(alice.body).toBe("shared reply");
    expect(alice.setCookies).toHaveLength(1);
    for (const reply of [visitor, again]) {
      expect(reply.status).toBe(404);
      expect(reply.body).toBe("shared reply");
      expect(reply.setCookies).toEqual([]);
      expect(reply.headers.get("x-shared")).toBe("1");
    }
    expect(cached.headers.get("set-cookie")).toBeNull();
    expect(cached.headers.get("cache-control")).toBeNull();
  });
});

describe("Hono on @hono/node-server, session headers on a light Response", () => {
  it("keeps the app's headers, adds Cookie to its Vary, replaces its Cache-Control, keeps its own cookie", async () => {
    const app = new Hono<SessionEnv>();
    const listener = getRequestListener(app.fetch);
    app.use(sessionMiddleware(new SessionManager({ store: new MemoryStore() })));
    app.post("/login", async (c) => {
      await c.get("session").create("alice");
      if (c.req.query("theme") !== undefined) c.header("Set-Cookie", "theme=dark; Path=/");
      return c.json({ ok: true }, 200, {
        Vary: "Accept-Encoding",
        "Cache-Control": "public, max-age=60",
        "X-App": "1",
      });
    });
    app.post("/text", async (c) => {
      await c.get("session").create("bob");
      return c.text("signed in");
    });
    const server = await listenOnLoopback(listener);
    servers.push(server);

    const plain = await sendRequest(server.url, "POST", "/login");
    expect(plain.status).toBe(200);
    expect(plain.body).toBe('{"ok":true}');
    expect(plain.headers.get("content-type")).toMatch(/^application\/json/);
    expect(plain.headers.get("x-app")).toBe("1");
    expect(plain.headers.get("vary")).toBe("Accept-Encoding, Cookie");
    expect(plain.headers.get("cache-control")).toBe("no-store");
    expect(plain.setCookies).toHaveLength(1);
    expect(plain.setCookies[0]).toMatch(/^__Host-sid=/);

    const withTheme = await sendRequest(server.url, "POST", "/login?theme");
    expect(withTheme.setCookies).toHaveLength(2);
    expect(withTheme.setCookies[0]).toBe("theme=dark; Path=/");
    expect(withTheme.setCookies[1]).toMatch(/^__Host-sid=/);
    expect(withTheme.headers.get("vary")).toBe("Accept-Encoding, Cookie");

    const text = await sendRequest(server.url, "POST", "/text");
    expect(text.body).toBe("signed in");
    expect(text.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(text.setCookies).toHaveLength(1);
    expect(text.headers.get("vary")).toBe("Cookie");
  });
});

describe("Hono on @hono/node-server, a request the app changed", () => {
  it("reads the Cookie header the app left, not Node's original one", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const inner = new Hono<SessionEnv>();
    inner.use(sessionMiddleware(manager));
    inner.post("/login", async (c) => {
      await c.get("session").create("alice");
      return c.json({ ok: true });
    });
    const who = (c: Context<SessionEnv>) => c.json({ userId: c.get("session").userId });
    inner.get("/who", who);
    inner.get("/edited/who", who);
    const outer = new Hono();
    // Passes the request on without its cookies, with Node's request still in c.env.
    outer.get("/stripped/who", (c) => {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("cookie");
      return inner.fetch(new Request(new URL("/who", c.req.url), { headers }), c.env);
    });
    // Deletes the cookie from the request's own headers, then passes that same request on.
    outer.use("/edited/*", async (c, next) => {
      c.req.raw.headers.delete("cookie");
      await next();
    });
    outer.all("*", (c) => inner.fetch(c.req.raw, c.env));
    const server = await listenOnLoopback(getRequestListener(outer.fetch));
    servers.push(server);

    const login = await sendRequest(server.url, "POST", "/login");
    const cookie = login.setCookies[0]!.split(";")[0]!;
    const direct = await sendRequest(server.url, "GET", "/who", { cookie });
    expect(JSON.parse(direct.body)).toEqual({ userId: "alice" });
    for (const path of ["/stripped/who", "/edited/who"]) {
      const reply = await sendRequest(server.url, "GET", path, { cookie });
      expect(JSON.parse(reply.body), path).toEqual({ userId: null });
    }
  });
});
