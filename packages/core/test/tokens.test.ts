import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { platform as nodePlatform } from "../src/platform/node.js";
import { platform as webPlatform } from "../src/platform/web.js";
import {
  generateToken,
  hashToken,
  isWellFormedToken,
  signToken,
  verifySignedValue,
} from "../src/token.js";
import { setup } from "./harness.js";

const SECRET_A = new TextEncoder().encode("k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMbVtRg");
const SECRET_B = new TextEncoder().encode("Z9xPq2Lm7Wv4Ks1Nd8Fh3Jt6Rb5Yc0GeAuIoEyTrQwSz");

afterEach(() => vi.restoreAllMocks());

describe("tokens", () => {
  it("come from the CSPRNG, 32 bytes each, and never from Math.random", async () => {
    const random = vi.spyOn(Math, "random").mockImplementation(() => {
      throw new Error("Math.random must not be used");
    });
    const source = vi.fn((length: number) => crypto.getRandomValues(new Uint8Array(length)));
    const { client } = setup({ randomBytes: source });
    for (let index = 0; index < 50; index++) await client().login("alice");
    // Without a source of its own, the manager draws from the platform's pool.
    const platformDefault = setup().client;
    for (let index = 0; index < 50; index++) await platformDefault().login("alice");
    expect(random).not.toHaveBeenCalled();
    expect(source).toHaveBeenCalled();
    expect(source.mock.calls.every(([length]) => length === 32 || length === 16)).toBe(true);
  });

  it("are 43 base64url characters and unique", () => {
    const tokens = new Set(Array.from({ length: 20_000 }, () => generateToken()));
    expect(tokens.size).toBe(20_000);
    for (const token of tokens) expect(isWellFormedToken(token)).toBe(true);
  });

  it("have no bit position stuck across 20,000 tokens", () => {
    const counts = new Array(256).fill(0);
    const samples = 20_000;
    for (let index = 0; index < samples; index++) {
      const bytes = Buffer.from(generateToken(), "base64url");
      for (let bit = 0; bit < 256; bit++) counts[bit] += (bytes[bit >> 3]! >> (bit & 7)) & 1;
    }
    const sigma = Math.sqrt(samples * 0.25);
    for (const count of counts) expect(Math.abs(count - samples / 2)).toBeLessThan(5 * sigma);
  });

  it("are keyed in the store by their SHA-256, so a store dump is not a cookie", async () => {
    const { client, memory } = setup();
    const token = await client().login("alice");
    const [entry] = await memory.listByUser("alice");
    expect(entry!.id).toBe(await hashToken(token));
    expect(entry!.id).not.toContain(token);
    const replay = client();
    replay.cookie = entry!.id;
    expect(await replay.whoami()).toBeNull();
  });
});

describe("platform primitives (known answers, node and web alike)", () => {
  it.each([
    ["node", nodePlatform],
    ["web", webPlatform],
  ])("%s: SHA-256 and HMAC-SHA-256 known answers", async (_name, platform) => {
    expect(await platform.sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    const mac = await platform.hmacSha256(
      new TextEncoder().encode("Jefe"),
      "what do ya want for nothing?",
    );
    expect(Buffer.from(mac, "base64url").toString("hex")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(platform.toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(platform.timingSafeEqual("abc", "abc")).toBe(true);
    expect(platform.timingSafeEqual("abc", "abd")).toBe(false);
    expect(platform.timingSafeEqual("abc", "abcd")).toBe(false);
    expect(platform.randomBase64Url(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(platform.randomBase64Url(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(platform.randomBase64Url(8192)).toHaveLength(10_923);
  });

  it("node and web agree on every input", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (text, key) => {
          expect(await webPlatform.sha256Hex(text)).toBe(await nodePlatform.sha256Hex(text));
          expect(await webPlatform.hmacSha256(key, text)).toBe(
            await nodePlatform.hmacSha256(key, text),
          );
          expect(webPlatform.toBase64Url(key)).toBe(nodePlatform.toBase64Url(key));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("signed cookies", () => {
  it("sign name=token with HMAC-SHA-256 (known answer)", async () => {
    const token = "A".repeat(43);
    const mac = await signToken(SECRET_A, "__Host-sid", token);
    const expected = await nodePlatform.hmacSha256(SECRET_A, `__Host-sid=${token}`);
    expect(mac).toBe(expected);
    expect(await verifySignedValue([SECRET_A], "__Host-sid", `${token}.${mac}`)).toEqual({
      token,
      secretIndex: 0,
    });
    expect(await verifySignedValue([SECRET_A], "other", `${token}.${mac}`)).toBeNull();
  });

  it("reject every variant of a valid signed value", async () => {
    const token = generateToken();
    const mac = await signToken(SECRET_A, "__Host-sid", token);
    const valid = `${token}.${mac}`;
    const otherToken = generateToken();
    const variants = [
      token,
      `${valid}x`,
      `x${valid}`,
      `${valid}.x`,
      `x.${valid}`,
      `${valid}=`,
      `${token}.${mac.slice(0, -1)}`,
      `${token}%2E${mac}`,
      `${token}.${mac.replace(/-/g, "+").replace(/_/g, "/")}`,
      `${otherToken}.${mac}`,
      `${token}.`,
      `.${mac}`,
    ];
    for (const variant of variants) {
      if (variant === valid) continue;
      expect(await verifySignedValue([SECRET_A], "__Host-sid", variant), variant).toBeNull();
    }
  });

  it("reject a value when any single character changes", async () => {
    const token = generateToken();
    const valid = `${token}.${await signToken(SECRET_A, "__Host-sid", token)}`;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(valid.length - 1),
        fc.constantFrom(..."ABCabc012-_."),
        async (index, char) => {
          fc.pre(valid[index] !== char);
          const changed = valid.slice(0, index) + char + valid.slice(index + 1);
          expect(await verifySignedValue([SECRET_A], "__Host-sid", changed)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rotate keys: old secrets verify and are re-signed, removed ones are refused", async () => {
    const secretA = Buffer.from(SECRET_A).toString();
    const secretB = Buffer.from(SECRET_B).toString();
    const first = setup({ secrets: [secretA] });
    const alice = first.client();
    const c1 = await alice.login("alice");
    expect(c1).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);

    const { SessionManager } = await import("../src/index.js");
    const { Client } = await import("./harness.js");
    const rotated = new Client(
      new SessionManager({
        store: first.memory,
        now: first.clock.now,
        secrets: [secretB, secretA],
      }),
    );
    rotated.cookie = c1;
    const { result, setCookies } = await rotated.request((session) => session.userId);
    expect(result).toBe("alice");
    expect(setCookies).toHaveLength(1);
    const c2 = rotated.cookie!;
    expect(c2).not.toBe(c1);
    expect(c2.slice(0, 43)).toBe(c1.slice(0, 43));

    const onlyNew = new Client(
      new SessionManager({ store: first.memory, now: first.clock.now, secrets: [secretB] }),
    );
    onlyNew.cookie = c1;
    expect(await onlyNew.whoami()).toBeNull();
    onlyNew.cookie = c2;
    expect(await onlyNew.whoami()).toBe("alice");
  });

  it("refuse an unsigned or forged value with no store round trip", async () => {
    const { client, calls } = setup({ secrets: [Buffer.from(SECRET_A).toString()] });
    const alice = client();
    const value = await alice.login("alice");
    const getsBefore = calls.get ?? 0;
    for (const forged of [value.slice(0, 43), `${value.slice(0, 43)}.${"A".repeat(43)}`]) {
      alice.cookie = forged;
      expect(await alice.whoami()).toBeNull();
    }
    expect(calls.get ?? 0).toBe(getsBefore);
  });

  it("compare MACs in constant time", async () => {
    const spy = vi.spyOn(nodePlatform, "timingSafeEqual");
    const token = generateToken();
    await verifySignedValue([SECRET_A], "__Host-sid", `${token}.${"A".repeat(43)}`);
    expect(spy).toHaveBeenCalled();
  });
});
