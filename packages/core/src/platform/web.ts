import type { Platform } from "./types.js";

const encoder = new TextEncoder();
const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importHmacKey(key: Uint8Array): Promise<CryptoKey> {
  let imported = keys.get(key);
  if (imported === undefined) {
    imported = crypto.subtle.importKey(
      "raw",
      key as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keys.set(key, imported);
  }
  return imported;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** {@link Platform} on Web Crypto: Bun, Deno, Cloudflare Workers, browsers. */
export const platform: Platform = {
  async sha256Hex(text) {
    return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
  },
  async hmacSha256(key, message) {
    const signature = await crypto.subtle.sign(
      "HMAC",
      await importHmacKey(key),
      encoder.encode(message),
    );
    return toBase64Url(new Uint8Array(signature));
  },
  randomBase64Url(length) {
    return toBase64Url(crypto.getRandomValues(new Uint8Array(length)));
  },
  timingSafeEqual(a, b) {
    if (a.length !== b.length) return false;
    let difference = 0;
    for (let index = 0; index < a.length; index++) {
      difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
    }
    return difference === 0;
  },
  toBase64Url,
  sharedTimers: false,
};
