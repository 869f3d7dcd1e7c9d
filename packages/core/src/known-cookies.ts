/**
 * Cookie values already verified and hashed, so a returning visitor's request costs neither
 * the HMAC nor the SHA-256 again.
 *
 * @module
 */

/** What a cookie value comes to once verified: its token, the token's store key, and whether to re-sign. */
export interface IdentifiedToken {
  token: string;
  /** The store key: SHA-256 of the token, hex. */
  id: string;
  /** Signed with a secret other than the first: the response re-signs it. */
  resign: boolean;
}

/** Entries per generation; two generations are kept, so at most twice this many. */
export const KNOWN_COOKIES_PER_GENERATION = 2048;

/**
 * A bounded memo of pure functions of the cookie value (signature check and hash): entries
 * are only added for values that verified and named a stored record, keyed by the whole value,
 * so a forged, changed or made-up value always misses, is checked in full, and never takes the
 * place of a real one. It says nothing about the session itself: every
 * request still reads the store, so a destroyed or expired session is gone at once. Two
 * generations of maps: when the newer fills, the older is dropped and values still in use move
 * up as they are seen, which keeps memory bounded (about 300 bytes an entry) without any
 * per-hit bookkeeping.
 */
export class KnownCookies {
  readonly #limit: number;
  #current = new Map<string, IdentifiedToken>();
  #previous = new Map<string, IdentifiedToken>();

  constructor(limit = KNOWN_COOKIES_PER_GENERATION) {
    this.#limit = limit;
  }

  get(value: string): IdentifiedToken | undefined {
    const entry = this.#current.get(value);
    if (entry !== undefined) return entry;
    const older = this.#previous.get(value);
    if (older !== undefined) this.set(value, older);
    return older;
  }

  set(value: string, entry: IdentifiedToken): void {
    if (this.#current.size >= this.#limit) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(value, entry);
  }

  /** How many values are held, both generations counted. */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
