import { describe, expect, it } from "vitest";
import {
  SESSION_DEFAULTS,
  SessionConfigError,
  SessionManager,
  type SessionManagerOptions,
} from "../src/index.js";

describe("configuration", () => {
  it("has safe defaults that do not fingerprint the library", () => {
    const { cookie } = new SessionManager().options;
    expect(cookie).toMatchObject({
      name: "__Host-sid",
      sameSite: "Lax",
      path: "/",
      secure: true,
      domain: undefined,
    });
    expect(cookie.name).not.toMatch(/sesame|connect\.sid|koa\.sess|PHPSESSID/i);
    expect(SESSION_DEFAULTS.idleTimeoutSeconds).toBe(1800);
    expect(SESSION_DEFAULTS.absoluteTimeoutSeconds).toBe(43_200);
  });

  it("takes a custom cookie name", () => {
    expect(new SessionManager({ cookie: { name: "__Host-app" } }).cookieName).toBe("__Host-app");
  });

  it.each<[string, SessionManagerOptions<Record<string, unknown>>, RegExp]>([
    ["a domain on a __Host- cookie", { cookie: { domain: "example.com" } }, /__Secure-/],
    ["a path on a __Host- cookie", { cookie: { path: "/app" } }, /path "\/"/],
    [
      "SameSite=None without Secure",
      { cookie: { name: "sid", sameSite: "None", allowInsecureHttp: true } },
      /Secure/,
    ],
    [
      "insecure HTTP with a prefixed name",
      { cookie: { allowInsecureHttp: true } },
      /without the "__Host-"/,
    ],
    ["an invalid cookie name", { cookie: { name: "bad name" } }, /Invalid cookie/],
    [
      "an injected domain",
      { cookie: { name: "__Secure-sid", domain: "example.com; SameSite=None" } },
      /Invalid cookie/,
    ],
    ["an empty secret list", { secrets: [] }, /non-empty/],
    ["an empty secret", { secrets: [""] }, /at least 32/],
    ["a placeholder secret", { secrets: ["secret"] }, /placeholder/],
    ["a placeholder secret", { secrets: ["changeme"] }, /placeholder/],
    [
      "a placeholder secret",
      { secrets: ["complex_password_at_least_32_characters_long"] },
      /placeholder/,
    ],
    ["a 16-byte secret", { secrets: [new Uint8Array(16).fill(7)] }, /at least 32/],
    ["a repetitive secret", { secrets: ["a".repeat(40)] }, /not random/],
    [
      "a null secret in the rotation list",
      { secrets: ["k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMb", null as unknown as string] },
      /remove it/,
    ],
    ["a zero idle timeout", { idleTimeoutSeconds: 0 }, /positive/],
    ["a NaN timeout", { absoluteTimeoutSeconds: Number.NaN }, /positive/],
    ["a persistent cookie over 400 days", { maxPersistentCookieSeconds: 401 * 86400 }, /400 days/],
    ["a per-user limit of zero", { maxSessionsPerUser: 0 }, /positive integer/],
    ["an unknown limit policy", { sessionLimitPolicy: "drop" as "reject" }, /sessionLimitPolicy/],
    ["an unknown store failure policy", { onStoreError: "ignore" as "fail" }, /onStoreError/],
    ["a fractional store timeout", { storeTimeoutMs: 1.5 }, /positive integer/],
    [
      "a clock method passed without its object",
      {
        now: {
          at: 1_700_000_000_000,
          now() {
            return this.at;
          },
        }.now,
      },
      /arrow function/,
    ],
    ["a clock answering a Date", { now: (() => new Date()) as unknown as () => number }, /finite/],
  ])("rejects %s at construction, saying how to fix it", (_name, options, message) => {
    expect(() => new SessionManager(options)).toThrow(SessionConfigError);
    expect(() => new SessionManager(options)).toThrow(message);
  });
});
