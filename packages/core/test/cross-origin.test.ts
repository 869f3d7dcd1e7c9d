import { describe, expect, it } from "vitest";
import { type CrossOriginRequest, createCrossOriginProtection } from "../src/index.js";

const check = createCrossOriginProtection({
  trustedOrigins: ["https://admin.example.com"],
  exemptPaths: ["/webhook"],
});
const request = (overrides: Partial<CrossOriginRequest>): CrossOriginRequest => ({
  method: "POST",
  path: "/transfer",
  host: "app.example.com",
  origin: undefined,
  secFetchSite: undefined,
  ...overrides,
});

describe("cross-origin protection", () => {
  it.each<[string, Partial<CrossOriginRequest>, string | null]>([
    ["a request with neither header", {}, null],
    ["a same-origin fetch", { secFetchSite: "same-origin" }, null],
    ["a user-initiated navigation", { secFetchSite: "none" }, null],
    ["a cross-site fetch", { secFetchSite: "cross-site" }, "cross_site_fetch"],
    ["a same-site fetch", { secFetchSite: "same-site" }, "cross_site_fetch"],
    ["an upper-case cross-site fetch", { secFetchSite: "Cross-Site" }, "cross_site_fetch"],
    ["a foreign Origin", { origin: "https://evil.example" }, "origin_mismatch"],
    ["a null Origin", { origin: "null" }, "origin_mismatch"],
    ["a look-alike Origin", { origin: "https://app.example.com.evil.com" }, "origin_mismatch"],
    ["a garbage Origin", { origin: "::::" }, "origin_mismatch"],
    ["a matching Origin", { origin: "https://app.example.com" }, null],
    ["a trusted Origin", { origin: "https://admin.example.com", secFetchSite: "same-site" }, null],
    ["an exempt path", { path: "/webhook", secFetchSite: "cross-site" }, null],
    ["a safe method", { method: "GET", secFetchSite: "cross-site" }, null],
    ["HEAD", { method: "HEAD", origin: "https://evil.example" }, null],
    [
      "a lower-case unsafe method",
      { method: "delete", origin: "https://evil.example" },
      "origin_mismatch",
    ],
    ["PATCH", { method: "PATCH", secFetchSite: "cross-site" }, "cross_site_fetch"],
  ])("judges %s", (_name, overrides, verdict) => {
    expect(check(request(overrides))).toBe(verdict);
  });
});
