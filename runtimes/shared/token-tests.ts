/**
 * The runtime-portable part of core's tokens.test.ts (which compares against node:crypto and so
 * stays on Node): known answers on the Web Crypto platform, tokens from the CSPRNG, store keys
 * by SHA-256, and signed cookies, through whatever `#platform` resolved to on this runtime.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionManager } from "../../packages/core/src/index.ts";
import { platform as webPlatform } from "../../packages/core/src/platform/web.ts";
import {
  generateToken,
  hashToken,
  isWellFormedToken,
  signToken,
  verifySignedValue,
} from "../../packages/core/src/token.ts";
import { Client, setup } from "../../packages/core/test/harness.ts";

const encoder = new TextEncoder();
const SECRET_A = "k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMbVtRg";
const SECRET_B = "Z9xPq2Lm7Wv4Ks1Nd8Fh3Jt6Rb5Yc0GeAuIoEyTrQwSz";
const SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
/** RFC 4231, test case 2. */
const HMAC_JEFE = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

/** The implementation `#platform` resolved to: node:crypto answers synchronously. */
export function resolvedPlatform(): "node:crypto" | "Web Crypto" {
  return typeof hashToken("") === "string" ? "node:crypto" : "Web Crypto";
}

function base64UrlToHex(text: string): string {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Array.from(binary, (char) => char.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/**
 * Registers the token tests; `expected` is the platform `#platform` must resolve to here
 * (src/platform/web.ts on Deno and workerd; Bun matches the `node` condition).
 */
export function describeTokenTests(expected: "node:crypto" | "Web Crypto"): void {
  afterEach(() => vi.restoreAllMocks());

  describe("#platform", () => {
    it(`resolves to ${expected} and gives the known SHA-256 answer`, async () => {
      expect(resolvedPlatform()).toBe(expected);
      expect(await hashToken("abc")).toBe(SHA256_ABC);
    });
  });

  describe("Web Crypto platform (known answers)", () => {
    it("SHA-256, HMAC-SHA-256, base64url, constant-time compare, random bytes", async () => {
      expect(await webPlatform.sha256Hex("abc")).toBe(SHA256_ABC);
      const mac = await webPlatform.hmacSha256(
        encoder.encode("Jefe"),
        "what do ya want for nothing?",
      );
      expect(base64UrlToHex(mac)).toBe(HMAC_JEFE);
      expect(webPlatform.toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
      expect(webPlatform.timingSafeEqual("abc", "abc")).toBe(true);
      expect(webPlatform.timingSafeEqual("abc", "abd")).toBe(false);
      expect(webPlatform.timingSafeEqual("abc", "abcd")).toBe(false);
      expect(webPlatform.randomBase64Url(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(webPlatform.randomBase64Url(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it("agrees with #platform on every input", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string(),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          async (text, key) => {
            expect(await webPlatform.sha256Hex(text)).toBe(await hashToken(text));
            expect(await webPlatform.hmacSha256(key, `sid=${text}`)).toBe(
              await signToken(key, "sid", text),
            );
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  describe("tokens", () => {
    it("come from the CSPRNG, 32 bytes each, and never from Math.random", async () => {
      const random = vi.spyOn(Math, "random").mockImplementation(() => {
        throw new Error("Math.random must not be used");
      });
      const source = vi.fn((length: number) => crypto.getRandomValues(new Uint8Array(length)));
      const { client } = setup({ randomBytes: source });
      for (let index = 0; index < 20; index++) await client().login("alice");
      expect(random).not.toHaveBeenCalled();
      expect(source).toHaveBeenCalled();
      expect(source.mock.calls.every(([length]) => length === 32 || length === 16)).toBe(true);
    });

    it("are 43 base64url characters and unique", () => {
      const tokens = new Set(Array.from({ length: 20_000 }, () => generateToken()));
      expect(tokens.size).toBe(20_000);
      for (const token of tokens) expect(isWellFormedToken(token)).toBe(true);
    });

    it("are keyed in the store by their SHA-256, so a store dump is not a cookie", async () => {
      const { client, memory } = setup();
      const token = await client().login("alice");
      const [entry] = await memory.listByUser("alice");
      expect(entry!.id).toBe(await webPlatform.sha256Hex(token));
      const replay = client();
      replay.cookie = entry!.id;
      expect(await replay.whoami()).toBeNull();
    });
  });

  describe("signed cookies", () => {
    const secretA = encoder.encode(SECRET_A);

    it("sign name=token with HMAC-SHA-256 (known answer on Web Crypto)", async () => {
      const token = "A".repeat(43);
      const mac = await signToken(secretA, "__Host-sid", token);
      expect(mac).toBe(await webPlatform.hmacSha256(secretA, `__Host-sid=${token}`));
      expect(await verifySignedValue([secretA], "__Host-sid", `${token}.${mac}`)).toEqual({
        token,
        secretIndex: 0,
      });
      expect(await verifySignedValue([secretA], "other", `${token}.${mac}`)).toBeNull();
    });

    it("reject a value when any single character changes", async () => {
      const token = generateToken();
      const valid = `${token}.${await signToken(secretA, "__Host-sid", token)}`;
      await fc.assert(
        fc.asyncProperty(
          fc.nat(valid.length - 1),
          fc.constantFrom(..."ABCabc012-_."),
          async (index, char) => {
            fc.pre(valid[index] !== char);
            const changed = valid.slice(0, index) + char + valid.slice(index + 1);
            expect(await verifySignedValue([secretA], "__Host-sid", changed)).toBeNull();
          },
        ),
        { numRuns: 200 },
      );
    });

    it("rotate keys: old secrets verify and are re-signed, removed ones are refused", async () => {
      const first = setup({ secrets: [SECRET_A] });
      const c1 = await first.client().login("alice");
      expect(c1).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
      const options = { store: first.memory, now: first.clock.now };
      const rotated = new Client(new SessionManager({ ...options, secrets: [SECRET_B, SECRET_A] }));
      rotated.cookie = c1;
      expect((await rotated.request((session) => session.userId)).result).toBe("alice");
      const c2 = rotated.cookie!;
      expect(c2).not.toBe(c1);
      const onlyNew = new Client(new SessionManager({ ...options, secrets: [SECRET_B] }));
      onlyNew.cookie = c1;
      expect(await onlyNew.whoami()).toBeNull();
      onlyNew.cookie = c2;
      expect(await onlyNew.whoami()).toBe("alice");
    });

    it("refuse an unsigned or forged value with no store round trip", async () => {
      const { client, calls } = setup({ secrets: [SECRET_A] });
      const alice = client();
      const value = await alice.login("alice");
      const getsBefore = calls.get ?? 0;
      for (const forged of [value.slice(0, 43), `${value.slice(0, 43)}.${"A".repeat(43)}`]) {
        alice.cookie = forged;
        expect(await alice.whoami()).toBeNull();
      }
      expect(calls.get ?? 0).toBe(getsBefore);
    });
  });
}
