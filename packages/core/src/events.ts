/** Why a cookie was not accepted as a session. */
export type RejectionReason =
  | "malformed"
  | "bad_signature"
  | "duplicate_cookie"
  | "unknown_session"
  | "renewed_token_reused"
  | "corrupt_record"
  | "invalid_data";

/**
 * An audit event. None carries a token, a cookie value or a store key: sessions are named by
 * their opaque `handle`, which is also what session listings show.
 */
export type SessionEvent =
  | { type: "created"; at: number; handle: string; userId: string | null }
  | {
      type: "rotated";
      at: number;
      handle: string;
      userId: string | null;
      reason: "privilege" | "renewal";
    }
  | { type: "destroyed"; at: number; handle: string; userId: string | null }
  | {
      type: "expired";
      at: number;
      handle: string;
      userId: string | null;
      reason: "idle" | "absolute";
    }
  | {
      type: "rejected";
      at: number;
      reason: RejectionReason;
      handle?: string;
      userId?: string | null;
      suppressed: number;
    }
  | { type: "revoked"; at: number; userId: string; count: number }
  | { type: "evicted"; at: number; handle: string; userId: string }
  | { type: "store_error"; at: number; code: string }
  /** A session of another library (`from`, such as `express-session`) became this new one. */
  | { type: "migrated"; at: number; handle: string; userId: string; from: string };

/** Receives audit events. It must not throw; an error it throws is reported as a warning. */
export type SessionEventListener = (event: SessionEvent) => void;

/** Rejections that are always reported: an alarm must not drown in junk. */
const ALWAYS_REPORTED: ReadonlySet<RejectionReason> = new Set(["renewed_token_reused"]);

/** One reason's budget in the current one-second window. */
interface RejectionWindow {
  start: number;
  used: number;
  suppressed: number;
}

/**
 * Decides which `rejected` events reach the listener. Each reason has its own budget of
 * `maxPerSecond` events per second, so a flood of junk cookies (`malformed`) hides no other
 * reason; `renewed_token_reused` and any rejection that names a user are never limited and use
 * no budget. What a reason suppressed is counted in that reason's next reported event.
 *
 * @example
 * ```ts
 * const limiter = new RejectionLimiter(100);
 * const suppressed = limiter.admit("malformed", undefined, Date.now());
 * if (suppressed !== null) emit({ type: "rejected", at: now, reason: "malformed", suppressed });
 * ```
 */
export class RejectionLimiter {
  readonly #maxPerSecond: number;
  readonly #windows = new Map<RejectionReason, RejectionWindow>();

  constructor(maxPerSecond: number) {
    this.#maxPerSecond = maxPerSecond;
  }

  /**
   * Admits one rejection at `now` (milliseconds): returns how many of its reason were suppressed
   * since the last one reported, or `null` when this one is suppressed.
   */
  admit(reason: RejectionReason, userId: string | null | undefined, now: number): number | null {
    const window = this.#window(reason, now);
    const limited = !ALWAYS_REPORTED.has(reason) && (userId === undefined || userId === null);
    if (limited && window.used >= this.#maxPerSecond) {
      window.suppressed++;
      return null;
    }
    if (limited) window.used++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  }

  #window(reason: RejectionReason, now: number): RejectionWindow {
    let window = this.#windows.get(reason);
    if (window === undefined) {
      window = { start: now, used: 0, suppressed: 0 };
      this.#windows.set(reason, window);
    }
    if (now - window.start >= 1000) {
      window.start = now;
      window.used = 0;
    }
    return window;
  }
}
