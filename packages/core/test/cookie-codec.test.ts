import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CookieError, getCookieValues, serializeCookie } from "../src/index.js";

const cookieName = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
const cookieValue = fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,60}$/);

describe("getCookieValues (lenient parser)", () => {
  it.each([
    ["a=1; b=2", "b", ["2"]],
    ["a=1;b=2", "b", ["2"]],
    [" \tb=2\t ; a=1", "b", ["2"]],
    ['b="quoted"', "b", ["quoted"]],
    ["b=1; b=2", "b", ["1", "2"]],
    ["b", "b", []],
    ["=b=1", "b", []],
    ["=", "b", []],
    ["", "b", []],
    ["B=1", "b", []],
    ["\u00a0b=1", "b", []],
    ["b=%41", "b", ["%41"]],
    ["a=1, b=2", "b", []],
    ["toString=1; __proto__=2; constructor=3", "__proto__", ["2"]],
    ["toString=1", "toString", ["1"]],
  ])("parses %j for %s", (header, name, expected) => {
    expect(getCookieValues(header, name)).toEqual(expected);
  });

  it("reads several header fields in order", () => {
    expect(getCookieValues(["a=1", "b=2", "b=3"], "b")).toEqual(["2", "3"]);
  });

  it("never throws and never pollutes prototypes, whatever the header", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ maxLength: 12 }),
        (header, name) => {
          expect(Array.isArray(getCookieValues(header, name))).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("reads back what the serializer writes", () => {
    fc.assert(
      fc.property(
        cookieName,
        cookieValue,
        fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 4 }),
        (name, value, others) => {
          const pairs = others
            .filter(([other]) => other !== name)
            .map(([other, v]) => serializeCookie(other, v).split(";")[0]);
          const header = [
            ...pairs,
            serializeCookie(name, value, { path: "/", secure: true }).split(";")[0],
          ].join("; ");
          expect(getCookieValues(header, name)).toEqual([
            value.length >= 2 && value.startsWith('"') && value.endsWith('"')
              ? value.slice(1, -1)
              : value,
          ]);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("takes linear time on a pathological 64 KiB header", () => {
    const header = `${"a=b;".repeat(16_384)}__Host-sid=x`;
    const started = performance.now();
    for (let index = 0; index < 20; index++) getCookieValues(header, "__Host-sid");
    expect(getCookieValues(header, "__Host-sid")).toEqual(["x"]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("serializeCookie (strict serializer)", () => {
  it("writes the attributes in a fixed order", () => {
    expect(
      serializeCookie("__Secure-sid", "abc", {
        maxAge: 60.9,
        expires: new Date(0),
        domain: "example.com",
        path: "/",
        secure: true,
        httpOnly: true,
        sameSite: "Strict",
        partitioned: true,
        priority: "High",
      }),
    ).toBe(
      "__Secure-sid=abc; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Strict; Partitioned; Priority=High",
    );
  });

  it.each([
    ["a name with a semicolon", () => serializeCookie("sid=x; Domain=evil", "v")],
    ["an empty name", () => serializeCookie("", "v")],
    ["a value with a space", () => serializeCookie("a", "x y")],
    ["a value with a semicolon", () => serializeCookie("a", "x;y")],
    ["a value with a comma", () => serializeCookie("a", "x,y")],
    [
      "an injected domain",
      () => serializeCookie("a", "v", { domain: "example.com; SameSite=None" }),
    ],
    ["an injected path", () => serializeCookie("a", "v", { path: "/; SameSite=None" })],
    ["a CRLF in the path", () => serializeCookie("a", "v", { path: "/\r\nSet-Cookie: x=y" })],
    ["an oversized cookie", () => serializeCookie("a", "v".repeat(4096))],
    ["a bad SameSite", () => serializeCookie("a", "v", { sameSite: "Lax; x" as "Lax" })],
    ["a bad priority", () => serializeCookie("a", "v", { priority: "High; x" as "High" })],
    ["an infinite Max-Age", () => serializeCookie("a", "v", { maxAge: Number.POSITIVE_INFINITY })],
  ])("throws CookieError for %s", (_name, serialize) => {
    expect(serialize).toThrow(CookieError);
  });

  it("emits only grammar-valid set-cookie strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 }), (name, value) => {
        let line: string;
        try {
          line = serializeCookie(name, value, {
            path: "/",
            secure: true,
            httpOnly: true,
            sameSite: "Lax",
          });
        } catch (error) {
          expect(error).toBeInstanceOf(CookieError);
          return;
        }
        expect(line).toMatch(
          /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+=[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
