import { describe, expect, it } from "vitest";
import { ExpiryQueue } from "../src/expiry-queue.js";

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** The queue beside a plain list of what it holds: every pop must take the earliest due entry. */
class CheckedQueue {
  readonly queue = new ExpiryQueue();
  readonly #held: { time: number; id: string }[] = [];
  #pushed = 0;

  push(time: number): void {
    const id = `id-${this.#pushed++}`;
    this.queue.push(time, id);
    this.#held.push({ time, id });
  }

  /** Pops once at `now`; returns whether an entry came out. */
  pop(now: number, label: string): boolean {
    const due = this.#held
      .filter((entry) => entry.time <= now)
      .reduce((earliest, entry) => Math.min(earliest, entry.time), Number.POSITIVE_INFINITY);
    const popped = this.queue.popDue(now);
    if (due === Number.POSITIVE_INFINITY) {
      expect(popped, label).toBeUndefined();
      return false;
    }
    expect(popped?.time, label).toBe(due);
    const index = this.#held.findIndex(
      (entry) => entry.id === popped?.id && entry.time === popped.time,
    );
    expect(index, `${label}: ${popped?.id} was queued`).toBeGreaterThan(-1);
    this.#held.splice(index, 1);
    expect(this.queue.length, label).toBe(this.#held.length);
    return true;
  }
}

function checkRandomOrders(seed: number, inOrderShare: number, operations: number): void {
  const random = randomFrom(seed);
  const checked = new CheckedQueue();
  let clock = 1_000;
  for (let step = 0; step < operations; step++) {
    if (random() < 0.6) {
      clock += Math.floor(random() * 3);
      // Mostly in time order, as new sessions are; sometimes earlier (a shorter lifetime).
      checked.push(random() < inOrderShare ? clock : clock - Math.floor(random() * 500));
    } else {
      checked.pop(
        random() < 0.1 ? Number.POSITIVE_INFINITY : clock - 200,
        `seed ${seed}, step ${step}`,
      );
    }
  }
}

describe("ExpiryQueue", () => {
  it("takes entries earliest first, whatever order they came in", () => {
    for (let seed = 1; seed <= 20; seed++) checkRandomOrders(seed, 0.8, 3_000);
    for (let seed = 21; seed <= 25; seed++) checkRandomOrders(seed, 0, 3_000);
    for (let seed = 26; seed <= 30; seed++) checkRandomOrders(seed, 1, 3_000);
  });

  it("keeps its order while a long run is cut down beside entries waiting in the heap", () => {
    const checked = new CheckedQueue();
    for (let time = 0; time < 6_000; time++) checked.push(time);
    // Earlier than the run's last entry: these wait beside the run.
    for (let index = 0; index < 300; index++) checked.push(index * 17 + 0.5);
    let step = 0;
    // Taking 4,000 cuts the run down several times while the heap still holds entries.
    while (checked.pop(3_999.9, `step ${step}`)) {
      step++;
      if (step % 5 === 0) checked.push(6_000 + step);
    }
    expect(step).toBe(4_000 + 236);
    // Drained, the queue starts afresh: a first entry opens a new run, an earlier one the heap.
    while (checked.pop(Number.POSITIVE_INFINITY, `drain ${step}`)) step++;
    checked.push(10);
    checked.push(5);
    checked.push(20);
    while (checked.pop(Number.POSITIVE_INFINITY, `again ${step}`)) step++;
    expect(checked.queue.length).toBe(0);
  });

  it("answers nothing when empty or when nothing is due yet", () => {
    const queue = new ExpiryQueue();
    expect(queue.popDue(Number.POSITIVE_INFINITY)).toBeUndefined();
    queue.push(50, "a");
    queue.push(10, "b");
    expect(queue.popDue(9)).toBeUndefined();
    expect(queue.popDue(10)).toEqual({ time: 10, id: "b" });
    expect(queue.popDue(49)).toBeUndefined();
    expect(queue.popDue(50)).toEqual({ time: 50, id: "a" });
    expect(queue.length).toBe(0);
  });
});
