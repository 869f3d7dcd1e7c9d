import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "../src/deadline-queue.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ["one shared timer (Node)", true],
  ["a timer per call (Workers, where a timer dies with its request)", false],
])("DeadlineQueue with %s", (_name, sharedTimer) => {
  it("expires calls that outlive the timeout, in order, and spares removed ones", async () => {
    const queue = new DeadlineQueue(40, { sharedTimer });
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
    const queue = new DeadlineQueue(10, { sharedTimer });
    const expired: number[] = [];
    queue.remove(queue.add(() => expired.push(1)));
    await sleep(30);
    queue.add(() => expired.push(2));
    await sleep(30);
    expect(expired).toEqual([2]);
  });
});

describe("the platforms' timer sharing", () => {
  it("shares one timer on node:crypto's platform and never on Web Crypto's", async () => {
    const { platform: node } = await import("../src/platform/node.js");
    const { platform: web } = await import("../src/platform/web.js");
    expect(node.sharedTimers).toBe(true);
    expect(web.sharedTimers).toBe(false);
  });
});
