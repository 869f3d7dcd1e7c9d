import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionConfigError, scheduleExpiredSweep } from "../src/index.js";

/** A store whose sweeps resolve when the test says so. */
function sweeper(results: Array<number | Error> = []) {
  const pending: Array<() => void> = [];
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    /** Lets the oldest running sweep finish. */
    finish(): void {
      pending.shift()?.();
    },
    deleteExpired(): Promise<number> {
      calls++;
      const result = results.shift() ?? 0;
      return new Promise((resolve, reject) => {
        pending.push(() => (result instanceof Error ? reject(result) : resolve(result)));
      });
    },
  };
}

describe("scheduleExpiredSweep", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("calls deleteExpired every interval, reporting each count, until stopped", async () => {
    vi.useFakeTimers();
    const store = sweeper([3, 0]);
    const swept: number[] = [];
    const sweep = scheduleExpiredSweep(store, { intervalMs: 1_000, onSwept: (n) => swept.push(n) });
    await vi.advanceTimersByTimeAsync(999);
    expect(store.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    store.finish();
    await vi.advanceTimersByTimeAsync(1_000);
    store.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(swept).toEqual([3, 0]);
    await sweep.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.calls).toBe(2);
  });

  it("hands a failed sweep to onError and sweeps again at the next interval", async () => {
    vi.useFakeTimers();
    const failure = new Error("SQLITE_BUSY");
    const store = sweeper([failure, 5]);
    const errors: unknown[] = [];
    const swept: number[] = [];
    const sweep = scheduleExpiredSweep(store, {
      intervalMs: 100,
      onError: (error) => errors.push(error),
      onSwept: (n) => swept.push(n),
    });
    await vi.advanceTimersByTimeAsync(100);
    store.finish();
    await vi.advanceTimersByTimeAsync(100);
    store.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([failure]);
    expect(swept).toEqual([5]);
    await sweep.stop();
  });

  it("never overlaps sweeps, and stop() waits for the one running", async () => {
    vi.useFakeTimers();
    const store = sweeper([1]);
    const sweep = scheduleExpiredSweep(store, { intervalMs: 100 });
    await vi.advanceTimersByTimeAsync(500);
    expect(store.calls).toBe(1);
    let stopped = false;
    const stopping = sweep.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    store.finish();
    await stopping;
    expect(stopped).toBe(true);
  });

  it("never keeps the process alive", async () => {
    const spy = vi.spyOn(globalThis, "setInterval");
    const sweep = scheduleExpiredSweep(sweeper(), { intervalMs: 60_000 });
    const timer = spy.mock.results[0]!.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
    await sweep.stop();
  });

  it.each([
    [{}, {}],
    [sweeper(), { intervalMs: 0 }],
    [sweeper(), { intervalMs: Number.NaN }],
  ])("refuses a store without deleteExpired or a bad interval: %o %o", (store, options) => {
    expect(() => scheduleExpiredSweep(store as ReturnType<typeof sweeper>, options)).toThrow(
      SessionConfigError,
    );
  });
});
