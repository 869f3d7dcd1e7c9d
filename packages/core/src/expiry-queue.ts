/**
 * A binary min-heap of (time, id) pairs: the memory store's expiry schedule.
 *
 * Entries are never updated in place. A record that gets a new expiry is pushed again, and the
 * stale entry is recognised and dropped when it surfaces, so every operation is O(log n).
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
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.#times[parent]! <= this.#times[child]!) return;
      this.#swap(parent, child);
      child = parent;
    }
  }

  #siftDown(index: number): void {
    const size = this.#ids.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < size && this.#times[left]! < this.#times[smallest]!) smallest = left;
      if (right < size && this.#times[right]! < this.#times[smallest]!) smallest = right;
      if (smallest === parent) return;
      this.#swap(parent, smallest);
      parent = smallest;
    }
  }

  #swap(a: number, b: number): void {
    [this.#times[a], this.#times[b]] = [this.#times[b]!, this.#times[a]!];
    [this.#ids[a], this.#ids[b]] = [this.#ids[b]!, this.#ids[a]!];
  }
}
