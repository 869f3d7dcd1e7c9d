import { describe, expect, it } from "vitest";
import { isLoopbackHost, type RequestContext } from "../src/index.js";
import { setup } from "./harness.js";

async function login(context: RequestContext, options = {}) {
  const { manager, warnings, memory } = setup(options);
  const session = await manager.load(undefined, context);
  await session.create("alice");
  const committed = await session.commit();
  const lines = committed === null ? [] : [committed.setCookie];
  return { lines, warnings, stored: memory.size };
}

describe("secure transport", () => {
  it("sets a Secure __Host- cookie over HTTPS", async () => {
    const { lines } = await login({ secure: true, host: "app.example" });
    expect(lines[0]).toMatch(/^__Host-sid=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  });

  it.each(["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "app.localhost"])(
    "works over plain HTTP on %s for development",
    async (host) => {
      const { lines } = await login({ secure: false, host });
      expect(lines[0]).toMatch(/; Secure; HttpOnly; SameSite=Lax$/);
    },
  );

  it("never emits the cookie over plain HTTP to another host, and warns once", async () => {
    const { lines, warnings, stored } = await login({ secure: false, host: "app.example" });
    expect(lines).toEqual([]);
    expect(stored).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/plain-HTTP/);
  });

  it("drops Secure only with the explicit insecure option, and warns", async () => {
    const { lines, warnings } = await login(
      { secure: false, host: "10.0.0.5" },
      { cookie: { name: "sid", allowInsecureHttp: true } },
    );
    expect(lines[0]).toBe(lines[0]!.replace("Secure", ""));
    expect(lines[0]).toMatch(/^sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(warnings[0]).toMatch(/allowInsecureHttp/);
  });

  it("takes Strict SameSite and a __Secure- cookie with a domain", async () => {
    const { lines } = await login(
      { secure: true },
      { cookie: { name: "__Secure-sid", domain: "example.com", sameSite: "Strict" } },
    );
    expect(lines[0]).toMatch(
      /^__Secure-sid=[^;]+; Domain=example.com; Path=\/; Secure; HttpOnly; SameSite=Strict$/,
    );
  });

  it("reads X-Forwarded-Proto and X-Forwarded-For from a Web Request only with trustProxy", async () => {
    const { contextFromRequest } = await import("../src/index.js");
    const request = new Request("http://app.example/", {
      headers: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7, 10.0.0.1" },
    });
    expect(contextFromRequest(request)).toMatchObject({ secure: false, ip: undefined });
    expect(contextFromRequest(request, { trustProxy: true })).toMatchObject({
      secure: true,
      ip: "10.0.0.1",
    });
  });

  it("recognises loopback hosts only", () => {
    expect(isLoopbackHost("127.1.2.3:80")).toBe(true);
    expect(isLoopbackHost("localhost.evil.example")).toBe(false);
    expect(isLoopbackHost("127.0.0.1.evil.example")).toBe(false);
    expect(isLoopbackHost(undefined)).toBe(false);
  });
});
