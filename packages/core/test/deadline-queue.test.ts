import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "../src/deadline-queue.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DeadlineQueue", () => {
  it("expires calls that outlive the timeout, in order, and spares removed ones", async () => {
    const queue = new DeadlineQueue(40);
    const expired: string[] = [];
    queue.add(() => expired.push("first"));
    const spared = queue.add(() => expired.push("spared"));
    await sleep(15);
    queue.add(() => expired.push("later"));
    queue.remove(spared);
    await sleep(35);
    expect(expired).toEqual(["first"]);
    await sleep(30);
    expect(expired).toEqual(["first", "later"]);
  });

  it("re-arms after going idle", async () => {
    const queue = new DeadlineQueue(10);
    const expired: number[] = [];
    queue.remove(queue.add(() => expired.push(1)));
    await sleep(30);
    queue.add(() => expired.push(2));
    await sleep(30);
    expect(expired).toEqual([2]);
  });
});
