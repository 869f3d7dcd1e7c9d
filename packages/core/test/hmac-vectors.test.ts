import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { platform as nodePlatform } from "../src/platform/node.js";
import { platform as webPlatform } from "../src/platform/web.js";

/** Hex as the unpadded base64url that `hmacSha256` answers. */
function base64url(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64url");
}

const LONG_KEY = new Uint8Array(131).fill(0xaa);

/** The RFC 4231 test cases whose data is text (cases 3 and 4 are raw bytes, case 5 truncates). */
const RFC_4231: readonly (readonly [name: string, key: Uint8Array, data: string, hex: string])[] = [
  [
    "case 1",
    new Uint8Array(20).fill(0x0b),
    "Hi There",
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  ],
  [
    "case 2 (a key shorter than the digest)",
    new TextEncoder().encode("Jefe"),
    "what do ya want for nothing?",
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    "case 6 (a key longer than the block, hashed first)",
    LONG_KEY,
    "Test Using Larger Than Block-Size Key - Hash Key First",
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
  [
    "case 7 (key and data longer than the block)",
    LONG_KEY,
    "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
];

describe("HMAC-SHA-256, one-shot on node:crypto and on Web Crypto", () => {
  it.each(RFC_4231)("matches RFC 4231 %s", async (_name, key, data, hex) => {
    expect(nodePlatform.hmacSha256(key, data)).toBe(base64url(hex));
    expect(await webPlatform.hmacSha256(key, data)).toBe(base64url(hex));
  });

  it("matches node's Hmac for any key and message, also messages past its reused buffer", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 400 }),
        (key, message) => {
          const expected = createHmac("sha256", key).update(message).digest("base64url");
          expect(nodePlatform.hmacSha256(key, message)).toBe(expected);
          // Twice: the reused buffers must not carry one message into the next.
          expect(nodePlatform.hmacSha256(key, message)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps keys apart that share a cache entry's shape", () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(1);
    b[31] = 2;
    expect(nodePlatform.hmacSha256(a, "m")).not.toBe(nodePlatform.hmacSha256(b, "m"));
    a[0] = 9; // a key changed in place after first use is not re-read: keys are immutable
    expect(nodePlatform.hmacSha256(a, "m")).toBe(
      createHmac("sha256", new Uint8Array(32).fill(1)).update("m").digest("base64url"),
    );
  });
});
