import { describe, expect, it } from "vitest";
import {
  contextFromRequest,
  pickForwardedEntry,
  resolveTrustedHops,
  SessionConfigError,
} from "../src/index.js";

/** A request as the app sees it behind proxies that append to `X-Forwarded-*`. */
function forwarded(headers: [string, string][]): Request {
  const init = new Headers();
  for (const [name, value] of headers) init.append(name, value);
  return new Request("http://app.internal/", { headers: init });
}

describe("contextFromRequest behind a proxy that appends to X-Forwarded-*", () => {
  it("takes the client IP and scheme the proxy wrote (rightmost), not what the client wrote", () => {
    const request = forwarded([
      ["x-forwarded-for", "203.0.113.66, 198.51.100.7"],
      ["x-forwarded-proto", "https, http"],
    ]);
    expect(contextFromRequest(request, { trustProxy: true })).toMatchObject({
      ip: "198.51.100.7",
      secure: false,
    });
  });

  it("takes the entry the outermost of `trustProxy` proxies wrote", () => {
    const request = forwarded([
      ["x-forwarded-for", "203.0.113.66, 198.51.100.7, 10.0.0.2"],
      ["x-forwarded-proto", "http, https, http"],
    ]);
    expect(contextFromRequest(request, { trustProxy: 2 })).toMatchObject({
      ip: "198.51.100.7",
      secure: true,
    });
    expect(contextFromRequest(request, { trustProxy: 1 })).toMatchObject({
      ip: "10.0.0.2",
      secure: false,
    });
  });

  it('reads several header lines as one list (joined with ", ")', () => {
    const request = forwarded([
      ["x-forwarded-for", "203.0.113.66"],
      ["x-forwarded-for", "198.51.100.7"],
      ["x-forwarded-proto", "https"],
      ["x-forwarded-proto", "http"],
    ]);
    expect(contextFromRequest(request, { trustProxy: true })).toMatchObject({
      ip: "198.51.100.7",
      secure: false,
    });
  });

  it.each([false, 0])("ignores X-Forwarded-* with trustProxy %j", (trustProxy) => {
    const request = forwarded([
      ["x-forwarded-for", "198.51.100.7"],
      ["x-forwarded-proto", "https"],
    ]);
    expect(contextFromRequest(request, { trustProxy })).toMatchObject({
      ip: undefined,
      secure: false,
    });
  });
});

describe("pickForwardedEntry", () => {
  it.each<[string | null, number, string | undefined]>([
    ["a, b, c", 1, "c"],
    ["a, b, c", 2, "b"],
    ["a, b, c", 3, "a"],
    ["a, b, c", 9, "a"],
    ["a,b,c", 1, "c"],
    [" a ,  , b ,", 1, "b"],
    ["a, b", 0, undefined],
    ["", 1, undefined],
    [" , ", 1, undefined],
    [null, 1, undefined],
  ])("picks from %j with %i trusted hops: %j", (header, hops, expected) => {
    expect(pickForwardedEntry(header, hops)).toBe(expected);
  });
});

describe("resolveTrustedHops", () => {
  it.each<[boolean | number | undefined, number]>([
    [undefined, 0],
    [false, 0],
    [true, 1],
    [0, 0],
    [3, 3],
  ])("turns trustProxy %j into %i hops", (trustProxy, hops) => {
    expect(resolveTrustedHops(trustProxy)).toBe(hops);
  });

  it.each([-1, 1.5, Number.NaN, "1" as unknown as number])("refuses trustProxy %j", (value) => {
    expect(() => resolveTrustedHops(value)).toThrow(SessionConfigError);
    expect(() => resolveTrustedHops(value)).toThrow(/number of proxies/);
  });
});
