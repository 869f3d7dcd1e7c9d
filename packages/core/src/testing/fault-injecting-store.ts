import type { Awaitable } from "../awaitable.js";
import { MemoryStore } from "../memory-store.js";
import type { SessionStore, StoredSession, StoredSessionEntry } from "../store.js";

/**
 * How a {@link FaultInjectingStore} answers: normally, by failing, or never.
 *
 * @example
 * ```ts
 * const mode: FaultMode = "hang";
 * store.setMode(mode);
 * ```
 */
export type FaultMode = "ok" | "fail" | "hang";

/**
 * The operations of the store contract, as counted by a {@link FaultInjectingStore}.
 *
 * @example
 * ```ts
 * const writes: StoreOperation[] = ["create", "update"];
 * store.setMode("fail", { only: writes });
 * ```
 */
export type StoreOperation = keyof SessionStore;

const OPERATIONS: readonly StoreOperation[] = [
  "get",
  "create",
  "update",
  "delete",
  "listByUser",
  "deleteByUser",
  "countSessions",
];

/** The operations that change what a store holds. */
const WRITES: ReadonlySet<StoreOperation> = new Set(["create", "update", "delete", "deleteByUser"]);

/**
 * The text of an injected failure. It looks like a driver error on purpose, so a test can
 * check that no response ever repeats it.
 *
 * @example
 * ```ts
 * expect(reply.body).not.toContain(INJECTED_FAULT_MESSAGE);
 * ```
 */
export const INJECTED_FAULT_MESSAGE = "connect ECONNREFUSED 127.0.0.1:6379 (injected fault)";

/**
 * A store that wraps another one (a `MemoryStore` by default), counts every call, and fails or
 * hangs on demand: the tool for store-outage and "no store call" tests.
 *
 * In `fail` mode a call rejects at once with {@link INJECTED_FAULT_MESSAGE}; in `hang` mode it
 * never settles while the mode lasts (a guarded store times out first), and is rejected when
 * the mode goes back to `ok`, so nothing is left pending.
 *
 * @example
 * ```ts
 * const store = new FaultInjectingStore();
 * const manager = new SessionManager({ store, storeTimeoutMs: 300 });
 * store.setMode("hang");                       // every call now times out
 * store.setMode("fail", { only: ["create"] }); // only inserts fail
 * store.setMode("ok");
 * store.calls.get;                             // how many reads so far
 * ```
 */
export class FaultInjectingStore implements SessionStore {
  /** The store that answers in `ok` mode. */
  readonly inner: SessionStore;
  /** Calls per operation since construction or the last {@link resetCalls}. */
  readonly calls: Record<StoreOperation, number>;
  #mode: FaultMode = "ok";
  #only: ReadonlySet<StoreOperation> | null = null;
  #hanging: ((error: Error) => void)[] = [];

  constructor(inner: SessionStore = new MemoryStore()) {
    this.inner = inner;
    this.calls = Object.fromEntries(OPERATIONS.map((operation) => [operation, 0])) as Record<
      StoreOperation,
      number
    >;
  }

  /** The current mode. */
  get mode(): FaultMode {
    return this.#mode;
  }

  /** Every call counted, all operations together. */
  get totalCalls(): number {
    return OPERATIONS.reduce((sum, operation) => sum + this.calls[operation], 0);
  }

  /** Calls that change what the store holds (create, update, delete, deleteByUser). */
  get writeCalls(): number {
    return OPERATIONS.filter((operation) => WRITES.has(operation)).reduce(
      (sum, operation) => sum + this.calls[operation],
      0,
    );
  }

  /**
   * Switches the mode, for every operation or `only` the ones listed. Going back to `ok`
   * rejects every call left hanging.
   */
  setMode(mode: FaultMode, options: { only?: readonly StoreOperation[] } = {}): void {
    this.#mode = mode;
    this.#only = options.only === undefined ? null : new Set(options.only);
    if (mode !== "hang") {
      const hanging = this.#hanging;
      this.#hanging = [];
      for (const reject of hanging) reject(new Error("Released a hanging store call."));
    }
  }

  /** Sets every call count back to zero. */
  resetCalls(): void {
    for (const operation of OPERATIONS) this.calls[operation] = 0;
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

  /** Counts through the inner store; rejects when it has no `countSessions`. */
  countSessions(userId?: string): Promise<number> {
    return this.#call("countSessions", async () => {
      if (this.inner.countSessions === undefined) throw new Error("The inner store cannot count.");
      return this.inner.countSessions(userId);
    });
  }

  #call<T>(operation: StoreOperation, run: () => Awaitable<T>): Promise<T> {
    this.calls[operation] += 1;
    const affected = this.#only === null || this.#only.has(operation);
    const mode = affected ? this.#mode : "ok";
    if (mode === "fail") return Promise.reject(new Error(INJECTED_FAULT_MESSAGE));
    if (mode === "hang") {
      return new Promise<T>((_resolve, reject) => {
        this.#hanging.push(reject);
      });
    }
    // Always a promise, as from a store across a network, even over a synchronous one.
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
