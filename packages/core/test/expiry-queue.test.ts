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

/** Pushes and pops on the queue and on a sorted list side by side; every pop must agree. */
function checkAgainstSortedList(seed: number, inOrderShare: number, operations: number): void {
  const random = randomFrom(seed);
  const queue = new ExpiryQueue();
  const expected: { time: number; id: string }[] = [];
  let clock = 1_000;
  for (let step = 0; step < operations; step++) {
    if (random() < 0.6) {
      clock += Math.floor(random() * 3);
      // Mostly in time order, as new sessions are; sometimes earlier (a shorter lifetime).
      const time = random() < inOrderShare ? clock : clock - Math.floor(random() * 500);
      const id = `id-${step}`;
      queue.push(time, id);
      expected.push({ time, id });
    } else {
      const now = random() < 0.1 ? Number.POSITIVE_INFINITY : clock - 200;
      const due = expected
        .filter((entry) => entry.time <= now)
        .reduce<number>((earliest, entry) => Math.min(earliest, entry.time), Infinity);
      const popped = queue.popDue(now);
      if (due === Infinity) {
        expect(popped, `seed ${seed}, step ${step}`).toBeUndefined();
        continue;
      }
      expect(popped?.time, `seed ${seed}, step ${step}`).toBe(due);
      const index = expected.findIndex(
        (entry) => entry.id === popped?.id && entry.time === popped.time,
      );
      expect(index, `seed ${seed}, step ${step}: ${popped?.id} was queued`).toBeGreaterThan(-1);
      expected.splice(index, 1);
    }
    expect(queue.length).toBe(expected.length);
  }
}

describe("ExpiryQueue", () => {
  it("takes entries earliest first, whatever order they came in", () => {
    for (let seed = 1; seed <= 20; seed++) checkAgainstSortedList(seed, 0.8, 3_000);
    for (let seed = 21; seed <= 25; seed++) checkAgainstSortedList(seed, 0, 3_000);
    for (let seed = 26; seed <= 30; seed++) checkAgainstSortedList(seed, 1, 3_000);
  });

  it("keeps its order across the compaction of a long run of entries taken in time order", () => {
    const queue = new ExpiryQueue();
    for (let index = 0; index < 10_000; index++) queue.push(index, `id-${index}`);
    // An earlier entry goes beside the run, not into it.
    queue.push(4_999.5, "late");
    const taken: string[] = [];
    for (let due = queue.popDue(7_000); due !== undefined; due = queue.popDue(7_000)) {
      taken.push(due.id);
      // New entries keep arriving at the end of the run while the front is taken.
      if (taken.length % 3 === 0) queue.push(10_000 + taken.length, `new-${taken.length}`);
    }
    expect(taken.length).toBe(7_002);
    expect(taken[4_999]).toBe("id-4999");
    expect(taken[5_000]).toBe("late");
    expect(taken[7_001]).toBe("id-7000");
    expect(queue.length).toBe(10_001 - 7_002 + Math.floor(7_002 / 3));
    expect(queue.popDue(Number.POSITIVE_INFINITY)).toEqual({ time: 7_001, id: "id-7001" });
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
