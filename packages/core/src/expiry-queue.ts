/**
 * The memory store's expiry schedule: (time, id) pairs, taken earliest first.
 *
 * Most entries arrive in time order: every new session of an app with one idle timeout, on a
 * clock that only moves forward. Those wait in a run, a first-in first-out list that costs O(1)
 * each way (on average: the taken front is cut off now and then) however many sessions are held.
 * An entry earlier than the run's last goes to a binary min-heap (O(log n), as every entry did
 * before; sifting moves a hole instead of swapping pairs), so lifetimes of several lengths cost
 * no more than a heap. {@link popDue} takes from whichever of the two starts earlier.
 *
 * Entries are never updated in place: the store checks an entry against its record when it
 * surfaces, and pushes it again at the record's current expiry if that moved later.
 */
export class ExpiryQueue {
  readonly #runTimes: number[] = [];
  readonly #runIds: string[] = [];
  /** Index of the run's first entry still queued; the ones before it were taken. */
  #runStart = 0;
  readonly #times: number[] = [];
  readonly #ids: string[] = [];

  /** How many entries are queued, stale ones included. */
  get length(): number {
    return this.#runIds.length - this.#runStart + this.#ids.length;
  }

  /** Schedules `id` at `time`. */
  push(time: number, id: string): void {
    const runTimes = this.#runTimes;
    const runEnd = runTimes.length;
    if (runEnd === this.#runStart || time >= runTimes[runEnd - 1]!) {
      runTimes.push(time);
      this.#runIds.push(id);
      return;
    }
    this.#times.push(time);
    this.#ids.push(id);
    this.#siftUp(this.#ids.length - 1);
  }

  /** Removes and returns the earliest entry whose time is at or before `now`, if any. */
  popDue(now: number): { time: number; id: string } | undefined {
    const start = this.#runStart;
    const runTime = start < this.#runTimes.length ? this.#runTimes[start]! : undefined;
    const heapTime = this.#times[0];
    if (runTime !== undefined && (heapTime === undefined || runTime <= heapTime)) {
      if (runTime > now) return undefined;
      const id = this.#runIds[start]!;
      this.#dropRunHead(start);
      return { time: runTime, id };
    }
    if (heapTime === undefined || heapTime > now) return undefined;
    return { time: heapTime, id: this.#popHeap() };
  }

  /**
   * Takes the run's first entry, at `start`, letting go of its id. The taken prefix is cut off
   * once it is a quarter of the arrays, so moving what is left costs O(1) a take on average.
   */
  #dropRunHead(taken: number): void {
    this.#runIds[taken] = "";
    const start = taken + 1;
    this.#runStart = start;
    const length = this.#runIds.length;
    if (start === length) {
      this.#runTimes.length = 0;
      this.#runIds.length = 0;
      this.#runStart = 0;
    } else if (start >= 1024 && start * 4 >= length) {
      const left = length - start;
      this.#runTimes.copyWithin(0, start).length = left;
      this.#runIds.copyWithin(0, start).length = left;
      this.#runStart = 0;
    }
  }

  /** Removes the heap's earliest entry and returns its id. */
  #popHeap(): string {
    const id = this.#ids[0]!;
    const lastTime = this.#times.pop()!;
    const lastId = this.#ids.pop()!;
    if (this.#ids.length > 0) {
      this.#times[0] = lastTime;
      this.#ids[0] = lastId;
      this.#siftDown(0);
    }
    return id;
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
