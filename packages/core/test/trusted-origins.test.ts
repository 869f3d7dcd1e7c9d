import { describe, expect, it } from "vitest";
import {
  type CrossOriginRequest,
  createCrossOriginProtection,
  SessionConfigError,
} from "../src/index.js";

const request = (overrides: Partial<CrossOriginRequest>): CrossOriginRequest => ({
  method: "POST",
  path: "/transfer",
  host: "app.example.com",
  origin: undefined,
  secFetchSite: undefined,
  ...overrides,
});

describe("trusted origins", () => {
  it.each([
    "capacitor://localhost",
    "tauri://localhost",
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
    "https://admin.example.com",
  ])("never let Origin: null through because %s is trusted", (trusted) => {
    const check = createCrossOriginProtection({ trustedOrigins: [trusted] });
    expect(check(request({ origin: "null" }))).toBe("origin_mismatch");
    expect(check(request({ origin: "null", secFetchSite: "cross-site" }))).toBe("cross_site_fetch");
  });

  it.each<[string, string, string | null]>([
    ["capacitor://localhost", "capacitor://localhost", null],
    ["tauri://localhost", "tauri://localhost", null],
    ["https://Admin.Example.com", "https://admin.example.com", null],
    ["https://admin.example.com", "HTTPS://ADMIN.EXAMPLE.COM", null],
    ["https://admin.example.com:8443", "https://admin.example.com:8443", null],
    ["http://[::1]:3000", "http://[::1]:3000", null],
    ["https://admin.example.com", "https://admin.example.com:443", "cross_site_fetch"],
    ["https://admin.example.com", "http://admin.example.com", "cross_site_fetch"],
    ["https://admin.example.com", "https://admin.example.com.evil.example", "cross_site_fetch"],
    ["capacitor://localhost", "capacitor://localhost.evil.example", "cross_site_fetch"],
  ])("compare %s with an Origin of %s as exact strings", (trusted, origin, verdict) => {
    const check = createCrossOriginProtection({ trustedOrigins: [trusted] });
    expect(check(request({ origin, secFetchSite: "cross-site" }))).toBe(verdict);
  });

  it.each<[string, RegExp]>([
    ["null", /opaque/],
    ["NULL", /opaque/],
    ["file://", /scheme:\/\/host/],
    ["file:///etc/passwd", /scheme:\/\/host/],
    ["https://admin.example.com/", /remove the trailing "\/"/],
    ["https://admin.example.com/app", /path/],
    ["https://admin.example.com?x=1", /query/],
    ["https://admin.example.com#top", /fragment/],
    ["https://user:pass@admin.example.com", /user info/],
    ["admin.example.com", /scheme:\/\/host/],
    ["https://", /scheme:\/\/host/],
    ["*", /scheme:\/\/host/],
    ["https://*.example.com", /scheme:\/\/host/],
    [" https://admin.example.com", /scheme:\/\/host/],
    ["https://admin.example.com:99999", /scheme:\/\/host/],
  ])("refuse %j at configuration time, saying how to fix it", (entry, hint) => {
    const build = () => createCrossOriginProtection({ trustedOrigins: [entry] });
    expect(build).toThrow(SessionConfigError);
    expect(build).toThrow(hint);
    expect(build).toThrow(/trustedOrigins\[0\]/);
  });
});
