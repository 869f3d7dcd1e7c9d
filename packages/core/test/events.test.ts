import { describe, expect, it } from "vitest";
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

  it("report expiry and rejections with a reason", async () => {
    const { client, events, clock } = setup({ idleTimeoutSeconds: 60, absoluteTimeoutSeconds: 60 });
    const visitor = client();
    visitor.cookie = "garbage";
    await visitor.whoami();
    visitor.cookie = "A".repeat(43);
    await visitor.whoami();
    await visitor.login("alice");
    clock.advance(60);
    await visitor.whoami();
    expect(
      events
        .filter((event) => event.type === "rejected")
        .map((event) => "reason" in event && event.reason),
    ).toEqual(["malformed", "unknown_session", "unknown_session", "unknown_session"]);
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
