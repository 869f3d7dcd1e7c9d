interface Pending {
  deadline: number;
  expire: () => void;
}

/**
 * Watches calls that all share one timeout with a single timer. Deadlines arrive in insertion
 * order, so the queue is a `Map` in that order: adding and removing a call costs a map write,
 * not a timer, and the one timer sleeps until the oldest live deadline. The timer is `unref`ed,
 * so it never keeps a process alive.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #armed = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Calls `expire` after the timeout unless {@link remove} is called first; returns a key. */
  add(expire: () => void): number {
    const id = this.#nextId++;
    this.#pending.set(id, { deadline: Date.now() + this.#timeoutMs, expire });
    if (!this.#armed) this.#arm(this.#timeoutMs);
    return id;
  }

  /** Forgets a call that settled in time. */
  remove(id: number): void {
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
