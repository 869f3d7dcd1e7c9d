import { describe, expect, it } from "vitest";
import { GuardedStore, MemoryStore, type StoreCall } from "../src/index.js";
import { FaultInjectingStore } from "../src/testing/fault-injecting-store.js";
import { makeStoredSession } from "../src/testing/store-conformance.js";
import { setup } from "./harness.js";

describe("onStoreCall", () => {
  it("reports every store call with its operation, duration and outcome", async () => {
    const calls: StoreCall[] = [];
    const { client } = setup({ onStoreCall: (call) => calls.push(call) });
    const alice = client();
    await alice.login("alice");
    await alice.whoami();
    expect(calls.map((call) => call.op)).toEqual(["create", "get"]);
    for (const call of calls) {
      expect(call).toEqual({ op: call.op, ms: expect.any(Number), ok: true });
      expect(call.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("reports a failed call once, with its code, its retries and their pauses in ms", async () => {
    const calls: StoreCall[] = [];
    let store!: FaultInjectingStore;
    const { client } = setup(
      { storeRetries: 2, onStoreCall: (call) => calls.push(call) },
      (memory) => (store = new FaultInjectingStore(memory)),
    );
    const alice = client();
    await alice.login("alice");
    expect(await alice.whoami()).toBe("alice");
    store.setMode("fail");
    store.resetCalls();
    await expect(alice.whoami()).rejects.toMatchObject({ code: "store_unavailable" });
    expect(store.calls.get).toBe(3);
    expect(calls.at(-1)).toEqual({
      op: "get",
      ms: expect.any(Number),
      ok: false,
      code: "store_unavailable",
    });
    // Two pauses: 25 ms, then 50 ms.
    expect(calls.at(-1)!.ms).toBeGreaterThanOrEqual(70);
  });

  it("reports a call that timed out as store_timeout", async () => {
    const calls: StoreCall[] = [];
    let store!: FaultInjectingStore;
    const { client } = setup(
      { storeTimeoutMs: 50, onStoreCall: (call) => calls.push(call) },
      (memory) => (store = new FaultInjectingStore(memory)),
    );
    const alice = client();
    await alice.login("alice");
    store.setMode("hang");
    await expect(alice.whoami()).rejects.toMatchObject({ code: "store_timeout" });
    store.setMode("ok");
    expect(calls.at(-1)).toMatchObject({ op: "get", ok: false, code: "store_timeout" });
    expect(calls.at(-1)!.ms).toBeGreaterThanOrEqual(45);
  });

  it("survives a listener that throws, reporting it once through onWarning", async () => {
    let thrown = 0;
    const { client, warnings } = setup({
      onStoreCall: () => {
        thrown++;
        throw new Error("metrics backend down");
      },
    });
    const alice = client();
    await alice.login("alice");
    expect(await alice.whoami()).toBe("alice");
    expect(await alice.whoami()).toBe("alice");
    expect(thrown).toBe(3);
    expect(warnings.filter((warning) => /onStoreCall/.test(warning))).toEqual([
      "sesame: the onStoreCall listener threw: Error: metrics backend down",
    ]);
  });

  it("times calls with the guard's clock, so a test can pin the duration", async () => {
    let time = 0;
    const calls: StoreCall[] = [];
    class SlowReads extends MemoryStore {
      override get(id: string): ReturnType<MemoryStore["get"]> {
        time += 12.5;
        return super.get(id);
      }
    }
    const slow = new SlowReads();
    const guarded = new GuardedStore(slow, {
      onCall: (call) => calls.push(call),
      clock: () => time,
    });
    await guarded.create("id", makeStoredSession(0));
    await guarded.get("id");
    await guarded.countSessions();
    expect(calls).toEqual([
      { op: "create", ms: 0, ok: true },
      { op: "get", ms: 12.5, ok: true },
      { op: "countSessions", ms: 0, ok: true },
    ]);
  });
});
