import { describe, expect, it } from "vitest";
import { EXPIRED_RETENTION_MS } from "../src/store.js";
import { hashToken } from "../src/token.js";
import { setup } from "./harness.js";

describe("audit events", () => {
  it("report created, rotated, destroyed and revoked, with handles and never tokens", async () => {
    const { client, events, clock } = setup();
    const alice = client();
    const tokens = [await alice.login("alice")];
    await alice.request((session) => session.rotate());
    tokens.push(alice.cookie!);
    await alice.request((session) => session.destroy());
    const other = client();
    tokens.push(await other.login("alice"));
    await other.request((session) => session.revokeAllSessions());
    expect(events.map((event) => event.type)).toEqual([
      "created",
      "rotated",
      "destroyed",
      "created",
      "revoked",
    ]);
    for (const event of events) {
      expect(event.at).toBe(clock.time);
      if (event.type !== "revoked") expect(event).toHaveProperty("userId", "alice");
    }
    const text = JSON.stringify(events);
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(await hashToken(token));
    }
  });

  it("report rejections with a reason: junk is malformed, a forged token unknown_session", async () => {
    const { client, events } = setup();
    const visitor = client();
    visitor.cookie = "garbage";
    await visitor.whoami();
    visitor.cookie = "A".repeat(43);
    await visitor.whoami();
    expect(events).toMatchObject([
      { type: "rejected", reason: "malformed" },
      { type: "rejected", reason: "unknown_session" },
    ]);
  });

  it("report an idle session's cookie as expired (idle), even after its store record went stale", async () => {
    const { client, events, clock } = setup({ idleTimeoutSeconds: 60, touchIntervalSeconds: 0 });
    const alice = client();
    await alice.login("alice");
    clock.advance(60);
    expect(await alice.whoami()).toBeNull();
    clock.advance(600);
    expect(await alice.whoami()).toBeNull();
    const expired = events.filter((event) => event.type === "expired");
    expect(expired).toMatchObject([
      { type: "expired", reason: "idle", userId: "alice" },
      { type: "expired", reason: "idle", userId: "alice" },
    ]);
    expect(events.some((event) => event.type === "rejected")).toBe(false);
  });

  it("report a session past its absolute lifetime as expired (absolute)", async () => {
    const { client, events, clock } = setup({ idleTimeoutSeconds: 60, absoluteTimeoutSeconds: 90 });
    const alice = client();
    await alice.login("alice");
    clock.advance(59);
    expect(await alice.whoami()).toBe("alice");
    clock.advance(31);
    expect(await alice.whoami()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: "expired", reason: "absolute", userId: "alice" });
  });

  it("report unknown_session once the store's retention window has passed", async () => {
    const { client, events, clock } = setup({ idleTimeoutSeconds: 60 });
    const alice = client();
    await alice.login("alice");
    clock.advance(60 + EXPIRED_RETENTION_MS / 1000);
    expect(await alice.whoami()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: "rejected", reason: "unknown_session" });
  });

  it("report a renewed session as expired through its cookie, its replaced token as unknown", async () => {
    const { client, events, clock } = setup({ idleTimeoutSeconds: 60, renewalIntervalSeconds: 10 });
    const alice = client();
    const first = await alice.login("alice");
    clock.advance(10);
    expect(await alice.whoami()).toBe("alice");
    expect(alice.cookie).not.toBe(first);
    clock.advance(60);
    expect(await alice.whoami()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: "expired", reason: "idle", userId: "alice" });
    const replaced = client();
    replaced.cookie = first;
    expect(await replaced.whoami()).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: "rejected", reason: "unknown_session" });
  });

  it("rate-limit rejections and count what they suppressed", async () => {
    const { client, events, clock } = setup({ maxRejectedEventsPerSecond: 10 });
    const visitor = client();
    visitor.cookie = "garbage";
    for (let index = 0; index < 10_000; index++) await visitor.whoami();
    expect(events).toHaveLength(10);
    clock.advance(1);
    await visitor.whoami();
    expect(events).toHaveLength(11);
    expect(events[10]).toMatchObject({ type: "rejected", suppressed: 9_990 });
  });

  it("survive a listener that throws", async () => {
    const { client, warnings } = setup({
      onEvent: () => {
        throw new Error("listener bug");
      },
    });
    expect(await client().login("alice")).toHaveLength(43);
    expect(warnings[0]).toMatch(/onEvent/);
  });
});
