import { SessionManager } from "@sesame/core";
import { sendRaw, setCookieLines } from "@sesame/core/testing";
import Fastify, { type FastifyServerOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { crossOriginProtection, sessionPlugin } from "../src/index.js";
import { listen } from "./harness.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** POST /login signs in and answers with the client IP the session recorded. */
async function serve(trustProxy: FastifyServerOptions["trustProxy"]): Promise<string> {
  const manager = new SessionManager({ onWarning: () => {} });
  const app = Fastify({ trustProxy, forceCloseConnections: true });
  await app.register(crossOriginProtection);
  await app.register(sessionPlugin, { manager });
  app.post("/login", async (request) => {
    await request.session.create("alice");
    await request.session.save();
    const [entry] = await request.session.listSessions();
    return entry?.ip ?? "none";
  });
  const server = await listen(app);
  servers.push(server);
  return server.url;
}

describe("Fastify's trustProxy given as the proxies' addresses", () => {
  it("takes the client IP past the two proxies it names, and the scheme from the nearest", async () => {
    const url = await serve(["127.0.0.1", "10.0.0.2"]);
    const reply = await sendRaw(url, "POST", "/login", [
      ["Host", "app.example"],
      ["X-Forwarded-For", "203.0.113.66, 198.51.100.7, 10.0.0.2"],
      ["X-Forwarded-Proto", "http, http, https"],
    ]);
    expect(reply.body).toBe("198.51.100.7");
    expect(setCookieLines(reply)).toHaveLength(1);
  });

  it("ignores X-Forwarded-* from a peer that trustProxy does not name", async () => {
    const url = await serve("10.0.0.1");
    const claimsHttps = await sendRaw(url, "POST", "/login", [
      ["Host", "app.example"],
      ["X-Forwarded-Proto", "https"],
    ]);
    expect(setCookieLines(claimsHttps)).toEqual([]);
    const claimsAnIp = await sendRaw(url, "POST", "/login", [["X-Forwarded-For", "198.51.100.7"]]);
    expect(claimsAnIp.body).toBe("127.0.0.1");
    const claimsAHost = await sendRaw(url, "POST", "/login", [
      ["Origin", "https://app.example"],
      ["X-Forwarded-Host", "app.example"],
    ]);
    expect(claimsAHost.status).toBe(403);
  });
});
