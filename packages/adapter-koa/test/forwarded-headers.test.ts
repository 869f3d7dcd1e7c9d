import { SessionManager } from "@sesame/core";
import { listenOnLoopback, sendRaw, setCookieLines } from "@sesame/core/testing";
import Koa3 from "koa";
import Koa2 from "koa2";
import { afterEach, describe, expect, it } from "vitest";
import { crossOriginProtection, sessionMiddleware } from "../src/index.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe.each([
  ["Koa 3", Koa3],
  ["Koa 2", Koa2],
])("%s behind proxies that append to X-Forwarded-*", (_name, Koa) => {
  /** Any request signs in and answers with the client IP the session recorded. */
  async function serve(options: { proxy: boolean; maxIpsCount?: number }): Promise<string> {
    const manager = new SessionManager({ onWarning: () => {} });
    const app = new Koa(options);
    app.silent = true;
    app.use(crossOriginProtection()).use(sessionMiddleware(manager));
    app.use(async (ctx) => {
      await ctx.session.create("alice");
      await ctx.session.save();
      const [entry] = await ctx.session.listSessions();
      ctx.body = entry?.ip ?? "none";
    });
    const server = await listenOnLoopback(app.callback());
    servers.push(server);
    return server.url;
  }

  it("records the client IP the proxy wrote, not the one the client put first", async () => {
    const url = await serve({ proxy: true });
    const reply = await sendRaw(url, "POST", "/", [
      ["X-Forwarded-For", "203.0.113.66, 198.51.100.7"],
    ]);
    expect(reply.body).toBe("198.51.100.7");
  });

  it("issues no cookie over plain HTTP when only the client's part of X-Forwarded-Proto says https", async () => {
    const url = await serve({ proxy: true });
    const reply = await sendRaw(url, "POST", "/", [
      ["Host", "app.example"],
      ["X-Forwarded-Proto", "https, http"],
    ]);
    expect(reply.status).toBe(200);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("reads several X-Forwarded-For and X-Forwarded-Proto lines as one list", async () => {
    const url = await serve({ proxy: true });
    const reply = await sendRaw(url, "POST", "/", [
      ["Host", "app.example"],
      ["X-Forwarded-For", "203.0.113.66"],
      ["X-Forwarded-For", "198.51.100.7"],
      ["X-Forwarded-Proto", "https"],
      ["X-Forwarded-Proto", "http"],
    ]);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("takes the entries of the outermost of app.maxIpsCount proxies", async () => {
    const url = await serve({ proxy: true, maxIpsCount: 2 });
    const reply = await sendRaw(url, "POST", "/", [
      ["Host", "app.example"],
      ["X-Forwarded-For", "203.0.113.66, 198.51.100.7, 10.0.0.2"],
      ["X-Forwarded-Proto", "http, https, http"],
    ]);
    expect(reply.body).toBe("198.51.100.7");
    expect(setCookieLines(reply)).toHaveLength(1);
  });

  it("refuses a foreign Origin that matches only the client's part of X-Forwarded-Host", async () => {
    const url = await serve({ proxy: true });
    const reply = await sendRaw(url, "POST", "/", [
      ["Origin", "https://evil.example"],
      ["X-Forwarded-Host", "evil.example, app.example"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(reply.status).toBe(403);
  });

  it("allows the Origin the proxy wrote in X-Forwarded-Host", async () => {
    const url = await serve({ proxy: true });
    const reply = await sendRaw(url, "POST", "/", [
      ["Origin", "https://app.example"],
      ["X-Forwarded-Host", "evil.example, app.example"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(reply.status).toBe(200);
  });

  it("ignores every X-Forwarded-* header without app.proxy", async () => {
    const url = await serve({ proxy: false });
    const reply = await sendRaw(url, "POST", "/", [
      ["Host", "app.example"],
      ["X-Forwarded-For", "198.51.100.7"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(reply.body).toMatch(/^(::ffff:)?127\.0\.0\.1$|^none$/);
    expect(setCookieLines(reply)).toEqual([]);
  });
});
