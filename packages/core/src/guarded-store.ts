import { type Awaitable, isPromiseLike, settled } from "./awaitable.js";
import { DeadlineQueue } from "./deadline-queue.js";
import {
  isSessionStoreError,
  type SesameErrorCode,
  SessionConfigError,
  SessionStoreError,
} from "./errors.js";
import type { SessionStore, StoredSession, StoredSessionEntry } from "./store.js";

/** A store method, as {@link StoreCall} names it. */
export type StoreCallOperation =
  | "get"
  | "create"
  | "update"
  | "delete"
  | "listByUser"
  | "deleteByUser"
  | "countSessions";

/**
 * One finished store call, as the `onStoreCall` option receives it: what to chart for store
 * latency and errors.
 *
 * @example
 * ```ts
 * const onStoreCall = ({ op, ms, ok, code }: StoreCall) =>
 *   histogram.record(ms, { op, outcome: ok ? "ok" : code });
 * ```
 */
export interface StoreCall {
  /** The store method called. */
  op: StoreCallOperation;
  /** Milliseconds from the call to its outcome, retries and the pauses between them included. */
  ms: number;
  /** Whether it succeeded. A read that found nothing succeeded. */
  ok: boolean;
  /** Why it failed (`store_timeout`, `store_unavailable`…); absent when it succeeded. */
  code?: SesameErrorCode;
}

/**
 * Receives every finished store call. It must not throw: the manager reports a listener that
 * throws once through `onWarning`, and the request goes on either way.
 */
export type StoreCallListener = (call: StoreCall) => void;

/** How a {@link GuardedStore} bounds every store call. */
export interface StoreGuardOptions {
  /** Longest a single store call may take before it fails with `store_timeout`. */
  timeoutMs: number;
  /** Extra attempts for calls that are safe to repeat (reads and deletes); writes never retry. */
  retries: number;
  /** Pause before the first retry; it doubles for each further one. */
  retryDelayMs: number;
  /** Told about every finished call; whatever it throws is dropped. */
  onCall: StoreCallListener | undefined;
  /** The clock that times calls for `onCall`, in milliseconds. Default: `performance.now()`. */
  clock: () => number;
}

/** Defaults of {@link StoreGuardOptions}. */
export const STORE_GUARD_DEFAULTS: StoreGuardOptions = {
  timeoutMs: 2_000,
  retries: 1,
  retryDelayMs: 25,
  onCall: undefined,
  clock: () => performance.now(),
};

/**
 * Wraps a store so that every call ends within `timeoutMs`, repeatable calls retry with
 * back-off, and every failure is a {@link SessionStoreError} whose `cause` is the store's
 * error. The manager guards its store this way; use it directly to call a store yourself.
 *
 * @example
 * ```ts
 * const store = new GuardedStore(new RedisStore(client), { timeoutMs: 500 });
 * await store.get(id); // resolves, or rejects with SessionStoreError within ~500 ms
 * ```
 */
export class GuardedStore implements SessionStore {
  /** The store being guarded. */
  readonly inner: SessionStore;
  readonly #options: StoreGuardOptions;
  readonly #deadlines: DeadlineQueue;

  constructor(inner: SessionStore, options: Partial<StoreGuardOptions> = {}) {
    this.inner = inner;
    this.#options = { ...STORE_GUARD_DEFAULTS, ...options };
    this.#deadlines = new DeadlineQueue(this.#options.timeoutMs);
  }

  get(id: string): Promise<StoredSession | null> {
    return settled(this.lookup(id));
  }

  /**
   * Like {@link get}, but a store that answers synchronously (`MemoryStore`, `SqliteStore`) is
   * answered at once, with no promise and no deadline: it cannot hang. A promise is guarded like
   * `get`, and a synchronous throw counts as the first failed attempt.
   */
  lookup(id: string): Awaitable<StoredSession | null> {
    return this.#now("get", true, () => this.inner.get(id));
  }

  create(id: string, record: StoredSession): Promise<void> {
    return settled(this.insert(id, record));
  }

  /** {@link create}, answered at once when the store answers at once (as {@link lookup} does). */
  insert(id: string, record: StoredSession): Awaitable<void> {
    return this.#now("create", false, () => this.inner.create(id, record));
  }

  update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    return settled(
      this.#now("update", false, () => this.inner.update(id, record, expectedVersion)),
    );
  }

  delete(id: string): Promise<void> {
    return settled(this.#now("delete", true, () => this.inner.delete(id)));
  }

  listByUser(userId: string): Promise<StoredSessionEntry[]> {
    return settled(this.#now("listByUser", true, () => this.inner.listByUser(userId)));
  }

  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return settled(
      this.#now("deleteByUser", true, () => this.inner.deleteByUser(userId, exceptId)),
    );
  }

  /**
   * Counts live sessions (see the store contract). Rejects with `SessionConfigError` when the
   * guarded store does not implement `countSessions`.
   */
  countSessions(userId?: string): Promise<number> {
    const inner = this.inner;
    if (typeof inner.countSessions !== "function") {
      return Promise.reject(
        new SessionConfigError(
          "The session store does not implement countSessions(); add it (see the store contract).",
        ),
      );
    }
    return settled(this.#now("countSessions", true, () => inner.countSessions!(userId)));
  }

  /**
   * Makes the call at once. A synchronous answer comes back as it is, told to `onCall`: an
   * in-process store cannot hang, so it needs no deadline. A promise, or a throw, is guarded:
   * it is the first attempt, under the deadline, with the retries after it.
   */
  #now<T>(
    operation: StoreCallOperation,
    repeatable: boolean,
    run: () => Awaitable<T>,
  ): Awaitable<T> {
    const { onCall, clock } = this.#options;
    const started = onCall === undefined ? 0 : clock();
    let answer: Awaitable<T>;
    try {
      answer = run();
    } catch (error) {
      answer = Promise.reject(error);
    }
    if (!isPromiseLike(answer)) {
      if (onCall !== undefined) report(onCall, { op: operation, ms: clock() - started, ok: true });
      return answer;
    }
    let first: PromiseLike<T> | null = answer;
    const attempt = (): Awaitable<T> => {
      const pending = first ?? run();
      first = null;
      return pending;
    };
    return this.#call(operation, repeatable, attempt, started);
  }

  /** Runs one call with its retries, and tells `onCall` how it went. */
  async #call<T>(
    operation: StoreCallOperation,
    repeatable: boolean,
    run: () => Awaitable<T>,
    started: number,
  ): Promise<T> {
    const { onCall, clock } = this.#options;
    if (onCall === undefined) return this.#attempt(operation, repeatable, run);
    try {
      const value = await this.#attempt(operation, repeatable, run);
      report(onCall, { op: operation, ms: clock() - started, ok: true });
      return value;
    } catch (error) {
      const { code } = error as SessionStoreError;
      report(onCall, { op: operation, ms: clock() - started, ok: false, code });
      throw error;
    }
  }

  async #attempt<T>(operation: string, repeatable: boolean, run: () => Awaitable<T>): Promise<T> {
    const attempts = repeatable ? this.#options.retries + 1 : 1;
    let delay = this.#options.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#withTimeout(operation, run);
      } catch (error) {
        // A timeout has used the caller's budget; a misconfigured store fails the same way again.
        if (
          attempt >= attempts ||
          (isSessionStoreError(error) && error.code !== "store_unavailable")
        ) {
          throw isSessionStoreError(error)
            ? error
            : new SessionStoreError("store_unavailable", `Session store ${operation} failed.`, {
                cause: error,
              });
        }
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  #withTimeout<T>(operation: string, run: () => Awaitable<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.#deadlines.add(() => {
        const { timeoutMs } = this.#options;
        reject(
          new SessionStoreError(
            "store_timeout",
            `Session store ${operation} did not answer within ${timeoutMs} ms.`,
          ),
        );
      });
      let pending: PromiseLike<T>;
      try {
        pending = Promise.resolve(run());
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          this.#deadlines.remove(id);
          resolve(value);
        },
        (error: unknown) => {
          this.#deadlines.remove(id);
          reject(error);
        },
      );
    });
  }
}

/** Tells the listener, which must never fail a request: the manager's wrapper reports a throw. */
function report(onCall: StoreCallListener, call: StoreCall): void {
  try {
    onCall(call);
  } catch {
    // Dropped here; see StoreCallListener.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
