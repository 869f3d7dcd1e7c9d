import type { Awaitable } from "../awaitable.js";
import type { SessionStore, StoredSession, StoredSessionEntry } from "../store.js";
import type { StoreOperation } from "./fault-injecting-store.js";

/**
 * One call held by a {@link PausingStore}: `reached` resolves (with the operation's name) when
 * the call arrives and waits; `release` lets it go on.
 *
 * @example
 * ```ts
 * const pause = store.pauseAt(1);
 * const rotation = session.rotate();
 * await pause.reached;      // the rotation's second store call is waiting
 * await other.destroy();    // lands exactly there
 * pause.release();
 * await rotation;
 * ```
 */
export interface StorePause {
  readonly reached: Promise<StoreOperation>;
  release(): void;
}

/**
 * A store that wraps another and holds one chosen call until the test releases it, so a test
 * can make something else happen at exactly that point of a request: the tool for forced
 * interleavings. Every other call passes straight through.
 *
 * @example
 * ```ts
 * const store = new PausingStore(new MemoryStore());
 * const pause = store.pauseAt(0); // the next call, whichever it is
 * ```
 */
export class PausingStore implements SessionStore {
  /** The store that answers. */
  readonly inner: SessionStore;
  #countdown = -1;
  #arrived: (operation: StoreOperation) => void = () => {};
  #gate: Promise<void> = Promise.resolve();

  constructor(inner: SessionStore) {
    this.inner = inner;
  }

  /**
   * Holds the call `index` calls from now (0: the next one) until the pause is released.
   * Releasing a pause that was never reached disarms it.
   */
  pauseAt(index: number): StorePause {
    let arrived!: (operation: StoreOperation) => void;
    let open!: () => void;
    const reached = new Promise<StoreOperation>((resolve) => {
      arrived = resolve;
    });
    this.#gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#arrived = arrived;
    this.#countdown = index;
    const release = (): void => {
      this.#countdown = -1;
      open();
    };
    return { reached, release };
  }

  get(id: string): Promise<StoredSession | null> {
    return this.#call("get", () => this.inner.get(id));
  }

  create(id: string, record: StoredSession): Promise<void> {
    return this.#call("create", () => this.inner.create(id, record));
  }

  update(id: string, record: StoredSession, expectedVersion: number): Promise<boolean> {
    return this.#call("update", () => this.inner.update(id, record, expectedVersion));
  }

  delete(id: string): Promise<void> {
    return this.#call("delete", () => this.inner.delete(id));
  }

  listByUser(userId: string): Promise<StoredSessionEntry[]> {
    return this.#call("listByUser", () => this.inner.listByUser(userId));
  }

  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return this.#call("deleteByUser", () => this.inner.deleteByUser(userId, exceptId));
  }

  async #call<T>(operation: StoreOperation, run: () => Awaitable<T>): Promise<T> {
    if (this.#countdown >= 0 && this.#countdown-- === 0) {
      this.#arrived(operation);
      await this.#gate;
    }
    return run();
  }
}
