/**
 * Failed sign-in limiting for `POST /login`: at most so many failures per account and per client
 * (IP address) in a fixed window, counted in this process's memory. A refused try is answered
 * before the password is hashed, so it costs no scrypt work.
 *
 * Every try counts as a failure the moment it starts and {@link LoginThrottle.recordSuccess} takes
 * it back: tries sent in parallel cannot all pass the check while the first ones are still
 * hashing. Memory is bounded: at most `maxEntries` counters per kind, oldest window first out.
 *
 * @module
 */

/** How many failures are allowed, and for how long they count. */
export interface LoginThrottleLimits {
  /** Failures one username may have in a window; further tries on it are refused. */
  maxFailuresPerAccount: number;
  /** Failures one client (IP address) may have in a window, over all usernames. */
  maxFailuresPerClient: number;
  /** Length of the window, from its first failure. */
  windowSeconds: number;
}

/** Options of a {@link LoginThrottle}; every default is in {@link LOGIN_THROTTLE_DEFAULTS}. */
export interface LoginThrottleOptions extends LoginThrottleLimits {
  /**
   * Most counters kept for accounts, and again for clients. Past it the oldest window is
   * forgotten, so a flood of distinct usernames or addresses cannot grow memory without limit.
   */
  maxEntries: number;
  /** The clock, in milliseconds (tests pin it). */
  now: () => number;
}

/**
 * Every default of {@link LoginThrottleOptions}: 5 failures per account and 20 per client in
 * 15 minutes, at most 10,000 counters of each kind.
 *
 * @example
 * ```ts
 * LOGIN_THROTTLE_DEFAULTS.maxFailuresPerAccount; // 5
 * ```
 */
export const LOGIN_THROTTLE_DEFAULTS: Readonly<LoginThrottleOptions> = {
  maxFailuresPerAccount: 5,
  maxFailuresPerClient: 20,
  windowSeconds: 15 * 60,
  maxEntries: 10_000,
  now: () => Date.now(),
};

/** The answer to the start of a sign-in: go ahead, or wait this many seconds. */
export type LoginAttempt = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Usernames are cut to this many characters for their counter (the body may hold 16 KiB). */
const MAX_KEY_LENGTH = 256;

/** The counter of clients whose address the framework did not give. */
const UNKNOWN_CLIENT = "unknown";

/**
 * Limits failed sign-ins per account and per client.
 *
 * @example
 * ```ts
 * const throttle = new LoginThrottle({ maxFailuresPerAccount: 5 });
 * const attempt = throttle.beginAttempt(username, clientIp);
 * if (!attempt.allowed) return tooManyAttempts(attempt.retryAfterSeconds);
 * const user = await verifyCredentials(username, password);
 * if (user !== null) throttle.recordSuccess(username, clientIp);
 * ```
 */
export class LoginThrottle {
  readonly #now: () => number;
  readonly #accounts: FailureCounter;
  readonly #clients: FailureCounter;

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    const { now, ...numbers } = { ...LOGIN_THROTTLE_DEFAULTS, ...options };
    for (const [name, value] of Object.entries(numbers)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`LoginThrottle: ${name} must be a whole number of 1 or more.`);
      }
    }
    const windowMs = numbers.windowSeconds * 1000;
    this.#now = now;
    this.#accounts = new FailureCounter(
      numbers.maxFailuresPerAccount,
      windowMs,
      numbers.maxEntries,
    );
    this.#clients = new FailureCounter(numbers.maxFailuresPerClient, windowMs, numbers.maxEntries);
  }

  /**
   * Starts a sign-in. Refused while the account or the client has used up its failures; else
   * the try counts as a failure of both right away, until {@link recordSuccess} takes it back.
   */
  beginAttempt(username: string, clientIp: string | undefined): LoginAttempt {
    const now = this.#now();
    const account = accountKey(username);
    const client = clientIp || UNKNOWN_CLIENT;
    const waitMs = Math.max(this.#accounts.waitMs(account, now), this.#clients.waitMs(client, now));
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    this.#accounts.add(account, now);
    this.#clients.add(client, now);
    return { allowed: true };
  }

  /** The sign-in worked: the account's failures are forgotten, and the try is not the client's. */
  recordSuccess(username: string, clientIp: string | undefined): void {
    this.#accounts.clear(accountKey(username));
    this.#clients.takeBack(clientIp || UNKNOWN_CLIENT, this.#now());
  }

  /** How many counters are kept, accounts and clients together (at most `2 × maxEntries`). */
  get size(): number {
    return this.#accounts.size + this.#clients.size;
  }
}

/** Usernames compare case-insensitively at sign-in, so their counters do too. */
function accountKey(username: string): string {
  return username.toLowerCase().slice(0, MAX_KEY_LENGTH);
}

interface FailureWindow {
  failures: number;
  endsAt: number;
}

/**
 * Failures per key in fixed windows. Windows all have the same length and enter the map when
 * they start, so the map's order is the order they end in: the oldest is always first.
 */
class FailureCounter {
  readonly #windows = new Map<string, FailureWindow>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.#windows.size;
  }

  /** Milliseconds until `key` may try again; 0 if it may now. */
  waitMs(key: string, now: number): number {
    const window = this.#current(key, now);
    return window !== undefined && window.failures >= this.maxFailures ? window.endsAt - now : 0;
  }

  add(key: string, now: number): void {
    const window = this.#current(key, now);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    // Drop ended windows from the front, and the oldest live ones while the map is full.
    for (const [oldKey, old] of this.#windows) {
      if (old.endsAt > now && this.#windows.size < this.maxEntries) break;
      this.#windows.delete(oldKey);
    }
    this.#windows.set(key, { failures: 1, endsAt: now + this.windowMs });
  }

  takeBack(key: string, now: number): void {
    const window = this.#current(key, now);
    if (window === undefined) return;
    window.failures--;
    if (window.failures <= 0) this.#windows.delete(key);
  }

  clear(key: string): void {
    this.#windows.delete(key);
  }

  #current(key: string, now: number): FailureWindow | undefined {
    const window = this.#windows.get(key);
    if (window === undefined || window.endsAt > now) return window;
    this.#windows.delete(key);
    return undefined;
  }
}
