/**
 * Values that may come at once or later: a synchronous store (memory, SQLite) and `node:crypto`
 * answer at once, so a request whose every step does costs no promise at all.
 *
 * @module
 */

/** A value, or a promise of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/** Whether `value` is a promise (or any thenable) rather than the value itself. */
export function isPromiseLike<T>(value: Awaitable<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Runs `next` on the value: at once when it is at hand, when it arrives otherwise. */
export function andThen<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}

/**
 * A promise of what `run` answers, at once or later; a throw becomes a rejection. The one
 * promise an asynchronous API hands out, however many steps answered at once.
 */
export function promiseOf<T>(run: () => Awaitable<T>): Promise<T> {
  try {
    return settled(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A promise of the value, whether it came at once or not. */
export function settled<T>(value: Awaitable<T>): Promise<T> {
  return value instanceof Promise ? value : Promise.resolve(value);
}
