/**
 * A schedule for a store's expired-record sweep: SQL stores keep expired rows (readable for the
 * retention window, then invisible) until `deleteExpired()` removes them, so a long-running app
 * calls it on an interval and stops calling it when it shuts down.
 *
 * @module
 */
import { SessionConfigError } from "./errors.js";

/** Anything that can remove its expired records: `SqliteStore`, `PostgresStore`, or your own. */
export interface ExpiredRecordSweeper {
  /** Removes expired records; resolves how many. */
  deleteExpired(): Promise<number>;
}

/** Options of {@link scheduleExpiredSweep}. Every default is in {@link EXPIRED_SWEEP_DEFAULTS}. */
export interface ExpiredSweepOptions {
  /** Time between two sweeps. A sweep still running when the next is due makes it skip. */
  intervalMs?: number;
  /** Receives the error of a sweep that failed; the schedule goes on. Default: `console.error`. */
  onError?: (error: unknown) => void;
  /** Told how many records each sweep removed. */
  onSwept?: (removed: number) => void;
}

/**
 * Defaults of {@link ExpiredSweepOptions}.
 *
 * @example
 * ```ts
 * scheduleExpiredSweep(store, { intervalMs: EXPIRED_SWEEP_DEFAULTS.intervalMs * 2 });
 * ```
 */
export const EXPIRED_SWEEP_DEFAULTS = {
  intervalMs: 5 * 60 * 1000,
  onError: (error: unknown): void =>
    console.error("sesame: the expired-session sweep failed", error),
} as const;

/** A running schedule, as {@link scheduleExpiredSweep} returns it. */
export interface ExpiredSweep {
  /**
   * Stops the schedule. Resolves once a sweep in progress, if any, has finished, so the
   * database can be closed right after.
   */
  stop(): Promise<void>;
}

/**
 * Calls `store.deleteExpired()` every `intervalMs` until `stop()`. The timer is `unref`ed, so it
 * never keeps a process alive; sweeps never overlap; an error goes to `onError` and the next
 * sweep runs as planned. Run it in one process per database (several are harmless, only wasteful).
 *
 * @example
 * ```ts
 * const sweep = scheduleExpiredSweep(store, { intervalMs: 5 * 60_000, onError: log.error });
 * process.once("SIGTERM", async () => {
 *   await closeHttpServer();
 *   await sweep.stop();
 *   db.close();
 * });
 * ```
 */
export function scheduleExpiredSweep(
  store: ExpiredRecordSweeper,
  options: ExpiredSweepOptions = {},
): ExpiredSweep {
  const intervalMs = options.intervalMs ?? EXPIRED_SWEEP_DEFAULTS.intervalMs;
  if (typeof store?.deleteExpired !== "function") {
    throw new SessionConfigError(
      "scheduleExpiredSweep: the store has no deleteExpired() method; SqliteStore and PostgresStore have one (Redis and MemoryStore expire records themselves).",
    );
  }
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new SessionConfigError(
      `scheduleExpiredSweep: intervalMs must be a positive number of milliseconds, got ${String(intervalMs)}.`,
    );
  }
  const onError = options.onError ?? EXPIRED_SWEEP_DEFAULTS.onError;
  let running: Promise<void> | null = null;
  const sweep = (): void => {
    if (running !== null) return;
    running = Promise.resolve()
      .then(() => store.deleteExpired())
      .then(
        (removed) => options.onSwept?.(removed),
        (error: unknown) => onError(error),
      )
      .catch(() => undefined)
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(sweep, intervalMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
