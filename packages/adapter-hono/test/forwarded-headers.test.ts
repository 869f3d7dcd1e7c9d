import { SessionConfigError, SessionManager } from "@sesame/core";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import {
  crossOriginProtection,
  type HonoProxyOptions,
  type SessionEnv,
  sessionMiddleware,
} from "../src/index.js";

/** An app whose POST /login signs in and answers with the client IP the session recorded. */
function proxiedApp(options: HonoProxyOptions): Hono<SessionEnv> {
  const manager = new SessionManager({ onWarning: () => {} });
  const app = new Hono<SessionEnv>();
  app.use(crossOriginProtection(options), sessionMiddleware(manager, options));
  app.post("/login", async (c) => {
    const session = c.get("session");
    await session.create("alice");
    await session.save();
    const [entry] = await session.listSessions();
    return c.text(entry?.ip ?? "none");
  });
  return app;
}

/** A POST /login `Request` with `headers` appended in order, as no Node request stands behind. */
function post(headers: [string, string][]): Request {
  const init = new Headers();
  for (const [name, value] of headers) init.append(name, value);
  return new Request("http://app.example/login", { method: "POST", headers: init });
}

describe("Hono through app.fetch (a Web Request only) behind proxies that append to X-Forwarded-*", () => {
  it("records the client IP the proxy wrote, also from several header lines", async () => {
    const response = await proxiedApp({ trustProxy: true }).fetch(
      post([
        ["x-forwarded-for", "203.0.113.66"],
        ["x-forwarded-for", "198.51.100.7"],
        ["x-forwarded-proto", "https"],
      ]),
    );
    expect(await response.text()).toBe("198.51.100.7");
  });

  it("issues no cookie over plain HTTP when only the client's part of X-Forwarded-Proto says https", async () => {
    const response = await proxiedApp({ trustProxy: true }).fetch(
      post([["x-forwarded-proto", "https, http"]]),
    );
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("takes the entries of the outermost of trustProxy: 2 proxies", async () => {
    const response = await proxiedApp({ trustProxy: 2 }).fetch(
      post([
        ["x-forwarded-for", "203.0.113.66, 198.51.100.7, 10.0.0.2"],
        ["x-forwarded-proto", "http, https, http"],
      ]),
    );
    expect(await response.text()).toBe("198.51.100.7");
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });
});

describe("Hono's trustProxy option", () => {
  it.each([-1, 1.5])("refuses trustProxy %j when the middleware is built", (trustProxy) => {
    const manager = new SessionManager({ onWarning: () => {} });
    expect(() => sessionMiddleware(manager, { trustProxy })).toThrow(SessionConfigError);
    expect(() => crossOriginProtection({ trustProxy })).toThrow(SessionConfigError);
  });
});
