import { describe, expect, it } from "vitest";
import {
  CookieError,
  SessionConfigError,
  type SessionCookieOptions,
  SessionManager,
  serializeCookie,
} from "../src/index.js";

describe("cookie name prefixes, matched case-insensitively as browsers do (RFC 6265bis)", () => {
  it.each<[string, SessionCookieOptions, RegExp]>([
    ["a domain on __host-sid", { name: "__host-sid", domain: "example.com" }, /__Secure-/],
    ["a domain on __HOST-sid", { name: "__HOST-sid", domain: "example.com" }, /__Secure-/],
    ["a path on __host-sid", { name: "__host-sid", path: "/app" }, /path "\/"/],
    ["insecure HTTP with __host-sid", { name: "__host-sid", allowInsecureHttp: true }, /prefix/],
    [
      "insecure HTTP with __SECURE-sid",
      { name: "__SECURE-sid", allowInsecureHttp: true },
      /prefix/,
    ],
  ])("refuse %s when the manager is built", (_name, cookie, message) => {
    const build = () => new SessionManager({ cookie });
    expect(build).toThrow(SessionConfigError);
    expect(build).toThrow(message);
  });

  it.each<[string, SessionCookieOptions]>([
    ["__Secure-sid with a domain", { name: "__Secure-sid", domain: "example.com" }],
    ["__secure-sid with a domain", { name: "__secure-sid", domain: "example.com" }],
    ["__host-sid on its own", { name: "__host-sid" }],
    ["an unprefixed name over plain HTTP", { name: "sid", allowInsecureHttp: true }],
    ["a name that only contains the prefix", { name: "app__host-sid", domain: "example.com" }],
  ])("accept %s", (_name, cookie) => {
    expect(() => new SessionManager({ cookie, onWarning: () => {} })).not.toThrow();
  });

  it.each<[string, () => string]>([
    [
      "__host- with a Domain",
      () => serializeCookie("__host-x", "v", { path: "/", secure: true, domain: "example.com" }),
    ],
    ["__Host- without Path=/", () => serializeCookie("__Host-x", "v", { secure: true })],
    [
      "__HOST- with another path",
      () => serializeCookie("__HOST-x", "v", { path: "/a", secure: true }),
    ],
    ["__Host- without Secure", () => serializeCookie("__Host-x", "v", { path: "/" })],
    ["__secure- without Secure", () => serializeCookie("__secure-x", "v")],
  ])("refuse to serialize %s, which browsers would drop", (_name, serialize) => {
    expect(serialize).toThrow(CookieError);
  });

  it("serializes prefixed cookies that follow the rules", () => {
    expect(serializeCookie("__host-x", "v", { path: "/", secure: true })).toBe(
      "__host-x=v; Path=/; Secure",
    );
    expect(serializeCookie("__SECURE-x", "v", { domain: "example.com", secure: true })).toBe(
      "__SECURE-x=v; Domain=example.com; Secure",
    );
  });
});
