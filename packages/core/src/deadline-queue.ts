import { platform } from "#platform";

interface Pending {
  deadline: number;
  expire: () => void;
  /** The call's own timer, where timers cannot be shared (see `Platform.sharedTimers`). */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Watches calls that all share one timeout with a single timer. Deadlines arrive in insertion
 * order, so the queue is a `Map` in that order: adding and removing a call costs a map write,
 * not a timer, and the one timer sleeps until the oldest live deadline. The timer is `unref`ed,
 * so it never keeps a process alive. Where a timer dies with the request that set it (Workers),
 * each call gets a timer of its own instead.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number;
  readonly #shared: boolean;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #armed = false;

  constructor(timeoutMs: number, options: { sharedTimer?: boolean } = {}) {
    this.#timeoutMs = timeoutMs;
    this.#shared = options.sharedTimer ?? platform.sharedTimers;
  }

  /** Calls `expire` after the timeout unless {@link remove} is called first; returns a key. */
  add(expire: () => void): number {
    const id = this.#nextId++;
    const pending: Pending = { deadline: Date.now() + this.#timeoutMs, expire };
    this.#pending.set(id, pending);
    if (!this.#shared) {
      pending.timer = setTimeout(() => {
        this.#pending.delete(id);
        expire();
      }, this.#timeoutMs);
    } else if (!this.#armed) {
      this.#arm(this.#timeoutMs);
    }
    return id;
  }

  /** Forgets a call that settled in time. */
  remove(id: number): void {
    const pending = this.#pending.get(id);
    if (pending?.timer !== undefined) clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #arm(delay: number): void {
    this.#armed = true;
    const timer = setTimeout(() => this.#expireDue(), delay);
    if (typeof timer === "object" && typeof timer.unref === "function") timer.unref();
  }

  #expireDue(): void {
    this.#armed = false;
    const now = Date.now();
    for (const [id, pending] of this.#pending) {
      if (pending.deadline > now) {
        this.#arm(pending.deadline - now);
        return;
      }
      this.#pending.delete(id);
      pending.expire();
    }
  }
}
