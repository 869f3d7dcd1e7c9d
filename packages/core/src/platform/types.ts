/**
 * The cryptographic primitives core needs, implemented once on `node:crypto` (fast, sync) and
 * once on Web Crypto (any runtime). The package's `#platform` import picks one by condition.
 */
export interface Platform {
  /** SHA-256 of a UTF-8 string, as lowercase hex. */
  sha256Hex(text: string): string | Promise<string>;
  /** HMAC-SHA-256 of a UTF-8 message under `key`, as unpadded base64url. */
  hmacSha256(key: Uint8Array, message: string): string | Promise<string>;
  /** Constant-time equality of two strings of equal length (unequal lengths are unequal). */
  timingSafeEqual(a: string, b: string): boolean;
  /** Unpadded base64url of `bytes`. */
  toBase64Url(bytes: Uint8Array): string;
  /** `length` CSPRNG bytes as unpadded base64url, with no byte array handed out. */
  randomBase64Url(length: number): string;
  /**
   * Whether one timer may serve every request's store deadline. Not on Workers, where a timer
   * dies with the request that set it, so each call there gets its own.
   */
  sharedTimers: boolean;
}
