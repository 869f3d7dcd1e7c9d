import { SessionManager } from "@sesame/core";
import { listenOnLoopback, sendRaw, setCookieLines } from "@sesame/core/testing";
import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, it } from "vitest";
import { crossOriginProtection, getSession, sessionMiddleware } from "../src/index.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe.each([
  ["Express 5", express5],
  ["Express 4", express4],
])("%s behind proxies that append to X-Forwarded-*", (_name, express) => {
  /** POST /login signs in and answers with the client IP the session recorded. */
  async function serve(trustProxy: string | number): Promise<string> {
    const manager = new SessionManager({ onWarning: () => {} });
    const app = express();
    app.set("trust proxy", trustProxy);
    app.use(crossOriginProtection(), sessionMiddleware(manager));
    app.post("/login", async (req, res, next) => {
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
    return server.url;
  }

  it("issues no cookie over plain HTTP when only the client's part of X-Forwarded-Proto says https", async () => {
    const url = await serve("loopback");
    const reply = await sendRaw(url, "POST", "/login", [
      ["Host", "app.example"],
      ["X-Forwarded-Proto", "https, http"],
    ]);
    expect(reply.status).toBe(200);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("reads several X-Forwarded-Proto lines as one list", async () => {
    const url = await serve("loopback");
    const reply = await sendRaw(url, "POST", "/login", [
      ["Host", "app.example"],
      ["X-Forwarded-Proto", "https"],
      ["X-Forwarded-Proto", "http"],
    ]);
    expect(setCookieLines(reply)).toEqual([]);
  });

  it("takes X-Forwarded-Proto and X-Forwarded-For from the outermost trusted proxy (trust proxy 2)", async () => {
    const url = await serve(2);
    const reply = await sendRaw(url, "POST", "/login", [
      ["Host", "app.example"],
      ["X-Forwarded-For", "203.0.113.66, 198.51.100.7, 10.0.0.2"],
      ["X-Forwarded-Proto", "http, https, http"],
    ]);
    expect(reply.body).toBe("198.51.100.7");
    expect(setCookieLines(reply)).toHaveLength(1);
  });

  it("refuses a foreign Origin that matches only the client's part of X-Forwarded-Host", async () => {
    const url = await serve("loopback");
    const reply = await sendRaw(url, "POST", "/login", [
      ["Origin", "https://evil.example"],
      ["X-Forwarded-Host", "evil.example, app.example"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(reply.status).toBe(403);
  });

  it("allows the Origin the proxy wrote in X-Forwarded-Host", async () => {
    const url = await serve("loopback");
    const reply = await sendRaw(url, "POST", "/login", [
      ["Origin", "https://app.example"],
      ["X-Forwarded-Host", "evil.example, app.example"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(reply.status).toBe(200);
  });
});
