import { platform } from "#platform";

/** Bytes of CSPRNG output in a session token (256 bits). */
export const TOKEN_BYTES = 32;
/** Characters of a token (and of an HMAC) in unpadded base64url. */
const ENCODED_LENGTH = 43;
/**
 * A canonical unpadded base64url encoding of 32 bytes: 42 free characters, then one whose two
 * low bits are zero (otherwise two strings would decode to the same bytes).
 */
const CANONICAL_32_BYTES = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A source of random bytes; the platform CSPRNG unless a test injects one. */
export type RandomSource = (length: number) => Uint8Array;

/** A fresh session token: 32 CSPRNG bytes as 43 characters of base64url. */
export function generateToken(random?: RandomSource): string {
  if (random === undefined) return platform.randomBase64Url(TOKEN_BYTES);
  const bytes = random(TOKEN_BYTES);
  if (bytes.length !== TOKEN_BYTES)
    throw new RangeError("The random source returned too few bytes.");
  return platform.toBase64Url(bytes);
}

/** Whether `value` can be a token this library issued: right length, alphabet and padding bits. */
export function isWellFormedToken(value: string): boolean {
  return value.length === ENCODED_LENGTH && CANONICAL_32_BYTES.test(value);
}

/** The store key of a token: SHA-256, hex. A leaked store cannot be replayed as cookies. */
export function hashToken(token: string): string | Promise<string> {
  return platform.sha256Hex(token);
}

/**
 * The MAC of a cookie value: HMAC-SHA-256 of `name=token`, so a value signed for one cookie is
 * worthless under another name.
 */
export function signToken(
  secret: Uint8Array,
  cookieName: string,
  token: string,
): string | Promise<string> {
  return platform.hmacSha256(secret, `${cookieName}=${token}`);
}

/** A signed cookie value's token, and the index of the secret that signed it. */
export interface VerifiedValue {
  token: string;
  secretIndex: number;
}

/**
 * Splits a signed cookie value into token and MAC and finds the secret that signed it: the
 * token and the index of that secret in `secrets`, or `null` when the value is malformed or no
 * secret verifies it. Every candidate MAC is compared in constant time. Synchronous where the
 * platform signs synchronously (`node:crypto`), a promise on Web Crypto.
 */
export function verifySignedValue(
  secrets: readonly Uint8Array[],
  cookieName: string,
  value: string,
): VerifiedValue | null | Promise<VerifiedValue | null> {
  if (value.length !== 2 * ENCODED_LENGTH + 1 || value.charCodeAt(ENCODED_LENGTH) !== 0x2e)
    return null;
  const token = value.slice(0, ENCODED_LENGTH);
  const mac = value.slice(ENCODED_LENGTH + 1);
  if (!isWellFormedToken(token) || !CANONICAL_32_BYTES.test(mac)) return null;
  return verifyFrom(secrets, 0, cookieName, token, mac);
}

function verifyFrom(
  secrets: readonly Uint8Array[],
  start: number,
  cookieName: string,
  token: string,
  mac: string,
): VerifiedValue | null | Promise<VerifiedValue | null> {
  for (let index = start; index < secrets.length; index++) {
    const expected = signToken(secrets[index]!, cookieName, token);
    if (typeof expected !== "string") {
      return expected.then((signed) =>
        platform.timingSafeEqual(signed, mac)
          ? { token, secretIndex: index }
          : verifyFrom(secrets, index + 1, cookieName, token, mac),
      );
    }
    if (platform.timingSafeEqual(expected, mac)) return { token, secretIndex: index };
  }
  return null;
}

/** A random opaque handle (16 bytes, base64url) that names a session in listings. */
export function generateHandle(random?: RandomSource): string {
  return random === undefined ? platform.randomBase64Url(16) : platform.toBase64Url(random(16));
}
