import { describe, expect, it } from "vitest";
import { InMemoryMeter, observeSessionCount, storeCallMetrics } from "../examples/store-metrics.js";
import { FaultInjectingStore } from "../src/testing/fault-injecting-store.js";
import { setup } from "./harness.js";

describe("the store-metrics example", () => {
  it("records store latency by operation and outcome, failures by code, and the live count", async () => {
    const meter = new InMemoryMeter();
    let store!: FaultInjectingStore;
    const { client, manager } = setup(
      { storeRetries: 0, onStoreCall: storeCallMetrics(meter) },
      (memory) => {
        store = new FaultInjectingStore(memory);
        return store;
      },
    );
    observeSessionCount(meter, manager);
    const alice = client();
    await alice.login("alice");
    await alice.whoami();
    store.setMode("fail", { only: ["get"] });
    await expect(alice.whoami()).rejects.toMatchObject({ code: "store_unavailable" });
    store.setMode("ok");

    const okGets = meter.values("sesame.store.duration", { operation: "get", outcome: "ok" });
    expect(okGets).toHaveLength(1);
    expect(okGets[0]).toBeGreaterThanOrEqual(0);
    expect(
      meter.values("sesame.store.duration", { operation: "create", outcome: "ok" }),
    ).toHaveLength(1);
    expect(
      meter.values("sesame.store.duration", { operation: "get", outcome: "store_unavailable" }),
    ).toHaveLength(1);
    expect(
      meter.values("sesame.store.errors", { operation: "get", code: "store_unavailable" }),
    ).toEqual([1]);

    await meter.collect();
    expect(meter.values("sesame.sessions.live")).toEqual([1]);
  });
});
