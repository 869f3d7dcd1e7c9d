import { describeStoreConformance } from "@sesame/core/testing";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/memory-store.js";
import { EXPIRED_RETENTION_MS } from "../src/store.js";
import { makeStoredSession } from "../src/testing/store-conformance.js";

describeStoreConformance("MemoryStore", { makeStore: (now) => new MemoryStore({ now }) });

describe("MemoryStore", () => {
  it("sweeps expired records once their retention window has passed, without touching live ones", async () => {
    let time = 1_000_000;
    const store = new MemoryStore({ now: () => time, maxSessions: 1_000_000 });
    for (let index = 0; index < 10_000; index++) {
      await store.create(`short-${index}`, makeStoredSession(time, { expiresAt: time + 60_000 }));
    }
    const long = makeStoredSession(time, { expiresAt: time + 600_000 + EXPIRED_RETENTION_MS });
    await store.create("long", long);
    time += 120_000;
    expect(store.sweep()).toBe(0);
    expect(await store.get("short-0")).not.toBeNull();
    time += EXPIRED_RETENTION_MS;
    expect(store.sweep()).toBe(10_000);
    expect(store.size).toBe(1);
    expect(await store.get("long")).not.toBeNull();
  });

  it("stays within maxSessions by evicting the session closest to expiry", async () => {
    const time = 1_000_000;
    const store = new MemoryStore({ now: () => time, maxSessions: 1_000 });
    for (let index = 0; index < 2_000; index++) {
      await store.create(
        `id-${index}`,
        makeStoredSession(time, { expiresAt: time + 10_000 + index }),
      );
    }
    expect(store.size).toBe(1_000);
    expect(await store.get("id-999")).toBeNull();
    expect(await store.get("id-1000")).not.toBeNull();
  });

  it("does not evict by a stale expiry that an update has since moved", async () => {
    const time = 1_000_000;
    const store = new MemoryStore({ now: () => time, maxSessions: 2 });
    const early = makeStoredSession(time, { expiresAt: time + 1_000 });
    await store.create("early", early);
    await store.create("middle", makeStoredSession(time, { expiresAt: time + 5_000 }));
    await store.update("early", { ...early, expiresAt: time + 9_000 }, 1);
    await store.create("new", makeStoredSession(time));
    expect(await store.get("early")).not.toBeNull();
    expect(await store.get("middle")).toBeNull();
  });

  it("sweeps a touched record at its new expiry, not its old one", async () => {
    let time = 1_000_000;
    const store = new MemoryStore({ now: () => time, expiredRetentionMs: 0 });
    const record = makeStoredSession(time, { expiresAt: time + 1_000 });
    await store.create("touched", record);
    for (let touch = 1; touch <= 50; touch++) {
      await store.update("touched", { ...record, expiresAt: time + 1_000 + touch * 100 }, touch);
    }
    time += 2_000;
    expect(store.sweep()).toBe(0);
    expect(await store.get("touched")).not.toBeNull();
    time += 4_000;
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
  });

  it("keeps the per-user index right as a user gains and loses sessions", async () => {
    const time = 1_000_000;
    const store = new MemoryStore({ now: () => time });
    for (const id of ["a", "b", "c"])
      await store.create(id, makeStoredSession(time, { userId: "u" }));
    await store.delete("b");
    await store.delete("a");
    expect((await store.listByUser("u")).map((entry) => entry.id)).toEqual(["c"]);
    await store.create("d", makeStoredSession(time, { userId: "u" }));
    expect((await store.listByUser("u")).map((entry) => entry.id).sort()).toEqual(["c", "d"]);
    expect(await store.deleteByUser("u")).toBe(2);
    expect(await store.listByUser("u")).toEqual([]);
  });

  it("drops retained expired records, not live ones, when it is full", async () => {
    let time = 1_000_000;
    const store = new MemoryStore({ now: () => time, maxSessions: 3 });
    await store.create("expired-a", makeStoredSession(time, { expiresAt: time + 1_000 }));
    await store.create("expired-b", makeStoredSession(time, { expiresAt: time + 1_000 }));
    await store.create("live", makeStoredSession(time, { expiresAt: time + 60_000 }));
    time += 1_000;
    expect(await store.get("expired-a")).not.toBeNull();
    await store.create("new", makeStoredSession(time));
    expect(store.size).toBe(2);
    expect(await store.get("expired-a")).toBeNull();
    expect(await store.get("live")).not.toBeNull();
  });

  it("counts live sessions in O(sessions of the user) for one user", async () => {
    const time = 1_000_000;
    const store = new MemoryStore({ now: () => time });
    await store.create("a", makeStoredSession(time, { userId: "u" }));
    await store.create("b", makeStoredSession(time, { userId: "u", successorId: "c" }));
    await store.create("c", makeStoredSession(time, { userId: null }));
    expect(await store.countSessions("u")).toBe(1);
    expect(await store.countSessions()).toBe(2);
  });

  it("rejects a maxSessions that is not a positive integer", () => {
    expect(() => new MemoryStore({ maxSessions: 0 })).toThrow(/maxSessions/);
  });

  it("rejects an expiredRetentionMs that is negative or not a number", () => {
    expect(() => new MemoryStore({ expiredRetentionMs: -1 })).toThrow(/expiredRetentionMs/);
    expect(() => new MemoryStore({ expiredRetentionMs: Number.NaN })).toThrow(/expiredRetentionMs/);
  });
});
