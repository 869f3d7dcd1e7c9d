/**
 * A binary min-heap of (time, id) pairs: the memory store's expiry schedule.
 *
 * Entries are never updated in place: the store checks an entry against its record when it
 * surfaces, and pushes it again at the record's current expiry if that moved later. Every
 * operation is O(log n); sifting moves a hole instead of swapping pairs.
 */
export class ExpiryQueue {
  readonly #times: number[] = [];
  readonly #ids: string[] = [];

  /** How many entries are queued, stale ones included. */
  get length(): number {
    return this.#ids.length;
  }

  /** Schedules `id` at `time`. */
  push(time: number, id: string): void {
    this.#times.push(time);
    this.#ids.push(id);
    this.#siftUp(this.#ids.length - 1);
  }

  /** Removes and returns the earliest entry whose time is at or before `now`, if any. */
  popDue(now: number): { time: number; id: string } | undefined {
    const time = this.#times[0];
    if (time === undefined || time > now) return undefined;
    const id = this.#ids[0]!;
    const lastTime = this.#times.pop()!;
    const lastId = this.#ids.pop()!;
    if (this.#ids.length > 0) {
      this.#times[0] = lastTime;
      this.#ids[0] = lastId;
      this.#siftDown(0);
    }
    return { time, id };
  }

  #siftUp(index: number): void {
    const times = this.#times;
    const ids = this.#ids;
    const time = times[index]!;
    const id = ids[index]!;
    let hole = index;
    while (hole > 0) {
      const parent = (hole - 1) >> 1;
      if (times[parent]! <= time) break;
      times[hole] = times[parent]!;
      ids[hole] = ids[parent]!;
      hole = parent;
    }
    times[hole] = time;
    ids[hole] = id;
  }

  #siftDown(index: number): void {
    const times = this.#times;
    const ids = this.#ids;
    const size = ids.length;
    const time = times[index]!;
    const id = ids[index]!;
    let hole = index;
    for (;;) {
      let child = 2 * hole + 1;
      if (child >= size) break;
      if (child + 1 < size && times[child + 1]! < times[child]!) child++;
      if (times[child]! >= time) break;
      times[hole] = times[child]!;
      ids[hole] = ids[child]!;
      hole = child;
    }
    times[hole] = time;
    ids[hole] = id;
  }
}
