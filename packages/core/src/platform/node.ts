import * as crypto from "node:crypto";
import type { Platform } from "./types.js";

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

const hash: (algorithm: string, data: string, encoding: "hex") => string =
  typeof crypto.hash === "function"
    ? crypto.hash
    : (algorithm, data) => crypto.createHash(algorithm).update(data).digest("hex");

/** {@link Platform} on `node:crypto`: synchronous, and several times faster than Web Crypto. */
export const platform: Platform = {
  sha256Hex: (text) => hash("sha256", text, "hex"),
  hmacSha256: (key, message) =>
    crypto.createHmac("sha256", key).update(message).digest("base64url"),
  randomBytes(length) {
    if (length > POOL_SIZE) return crypto.randomBytes(length);
    if (poolOffset + length > POOL_SIZE) {
      crypto.randomFillSync(pool);
      poolOffset = 0;
    }
    const bytes = Uint8Array.prototype.slice.call(pool, poolOffset, poolOffset + length);
    pool.fill(0, poolOffset, poolOffset + length);
    poolOffset += length;
    return bytes;
  },
  timingSafeEqual(a, b) {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && crypto.timingSafeEqual(left, right);
  },
  toBase64Url: (bytes) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url"),
};
