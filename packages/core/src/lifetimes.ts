/**
 * A session's lifetimes as pure functions of the options and the record: how long a new
 * session lives, how far a touch slides its idle expiry, and when a touch or a token renewal is
 * due. Nothing here reads a clock; callers pass `now`.
 *
 * @module
 */
import type { ResolvedOptions } from "./options.js";
import type { StoredSession } from "./store.js";

type LifetimeOptions = Pick<
  ResolvedOptions<object>,
  | "idleTimeoutMs"
  | "absoluteTimeoutMs"
  | "anonymousTimeoutMs"
  | "touchIntervalMs"
  | "renewalIntervalMs"
>;

/** The idle and absolute lifetimes of a session of `userId` (`null`: anonymous, capped). */
export function lifetimesFor(
  options: LifetimeOptions,
  userId: string | null,
): { idle: number; absolute: number } {
  const { idleTimeoutMs, absoluteTimeoutMs, anonymousTimeoutMs } = options;
  if (userId !== null) return { idle: idleTimeoutMs, absolute: absoluteTimeoutMs };
  return {
    idle: Math.min(idleTimeoutMs, anonymousTimeoutMs),
    absolute: Math.min(absoluteTimeoutMs, anonymousTimeoutMs),
  };
}

/** The idle expiry a touch at `now` gives, never past the absolute expiry. */
export function slidExpiry(options: LifetimeOptions, record: StoredSession, now: number): number {
  return Math.min(now + lifetimesFor(options, record.userId).idle, record.absoluteExpiresAt);
}

/** Whether a request at `now` should slide the idle expiry (at most once per touch interval). */
export function isTouchDue(options: LifetimeOptions, record: StoredSession, now: number): boolean {
  return (
    now - record.lastSeenAt >= options.touchIntervalMs &&
    slidExpiry(options, record, now) > record.expiresAt
  );
}

/**
 * Whether the session's token is due for periodic renewal at `now`. A session reached through a
 * renewed token's grace window (`token` is `null`) has no token of its own to renew.
 */
export function isRenewalDue(
  options: LifetimeOptions,
  session: { token: string | null; record: StoredSession },
  now: number,
): boolean {
  const interval = options.renewalIntervalMs;
  return (
    interval !== null && session.token !== null && now - session.record.tokenIssuedAt >= interval
  );
}

/** Whether the record has passed its idle or absolute expiry at `now`, and which. */
export function expiryReached(record: StoredSession, now: number): "idle" | "absolute" | null {
  if (now >= record.absoluteExpiresAt) return "absolute";
  return now >= record.expiresAt ? "idle" : null;
}

/**
 * Whether the record is expired at `now`. Stores return expired records for a while (see
 * `EXPIRED_RETENTION_MS`), so every read that needs a live session checks this.
 */
export function isExpired(record: StoredSession, now: number): boolean {
  return expiryReached(record, now) !== null;
}
