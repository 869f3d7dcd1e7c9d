import { describe, expect, it } from "vitest";
import { RejectionLimiter } from "../src/events.js";
import type { SessionEvent } from "../src/index.js";
import { setup } from "./harness.js";

/** Alice's session renewed, and a cookie holding her old token after its grace window. */
async function staleTokenOfAlice(options: { maxRejectedEventsPerSecond?: number } = {}) {
  const context = setup({ renewalIntervalSeconds: 600, renewalGraceSeconds: 30, ...options });
  const alice = context.client();
  const old = await alice.login("alice");
  context.clock.advance(601);
  await alice.whoami();
  context.clock.advance(31);
  const thief = context.client();
  thief.cookie = old;
  return { ...context, thief };
}

const rejections = (events: SessionEvent[], reason: string) =>
  events.filter((event) => event.type === "rejected" && event.reason === reason);

describe("rejected events under a flood of junk cookies", () => {
  it("still report renewed_token_reused with the victim's user id after 100 junk cookies", async () => {
    const { client, events, thief } = await staleTokenOfAlice();
    const junk = client();
    junk.cookie = "garbage";
    for (let index = 0; index < 100; index++) await junk.whoami();
    expect(await thief.whoami()).toBeNull();
    expect(rejections(events, "renewed_token_reused")).toEqual([
      expect.objectContaining({ userId: "alice", handle: expect.any(String) }),
    ]);
  });

  it("never rate-limit an event that names a user, even with a budget of zero", async () => {
    const { events, thief } = await staleTokenOfAlice({ maxRejectedEventsPerSecond: 0 });
    for (let index = 0; index < 5; index++) await thief.whoami();
    expect(rejections(events, "renewed_token_reused")).toHaveLength(5);
  });

  it("give each reason its own budget, so malformed cookies cannot hide unknown sessions", async () => {
    const { client, events } = setup({ maxRejectedEventsPerSecond: 10 });
    const junk = client();
    junk.cookie = "garbage";
    for (let index = 0; index < 1_000; index++) await junk.whoami();
    const forged = client();
    forged.cookie = "A".repeat(43);
    await forged.whoami();
    expect(rejections(events, "malformed")).toHaveLength(10);
    expect(rejections(events, "unknown_session")).toHaveLength(1);
  });

  it("count what each reason suppressed in that reason's next event", async () => {
    const { client, events, clock } = setup({ maxRejectedEventsPerSecond: 2 });
    const junk = client();
    const forged = client();
    junk.cookie = "garbage";
    forged.cookie = "A".repeat(43);
    for (let index = 0; index < 5; index++) {
      await junk.whoami();
      await forged.whoami();
    }
    clock.advance(1);
    await junk.whoami();
    await forged.whoami();
    expect(
      rejections(events, "malformed").map((event) => "suppressed" in event && event.suppressed),
    ).toEqual([0, 0, 3]);
    expect(
      rejections(events, "unknown_session").map(
        (event) => "suppressed" in event && event.suppressed,
      ),
    ).toEqual([0, 0, 3]);
  });
});

describe("RejectionLimiter", () => {
  it("admits maxPerSecond events per reason per second and reports what it suppressed", () => {
    const limiter = new RejectionLimiter(2);
    const admitted = [0, 1, 2, 3].map(() => limiter.admit("malformed", undefined, 1_000));
    expect(admitted).toEqual([0, 0, null, null]);
    expect(limiter.admit("bad_signature", undefined, 1_000)).toBe(0);
    expect(limiter.admit("malformed", undefined, 1_999)).toBeNull();
    expect(limiter.admit("malformed", undefined, 2_000)).toBe(3);
  });

  it.each<[string, Parameters<RejectionLimiter["admit"]>[0], string | null | undefined]>([
    ["a reused renewed token", "renewed_token_reused", undefined],
    ["an anonymous reused renewed token", "renewed_token_reused", null],
    ["a corrupt record of a user", "corrupt_record", "alice"],
    ["invalid data of a user", "invalid_data", "alice"],
  ])("never suppresses %s, and it uses no budget", (_name, reason, userId) => {
    const limiter = new RejectionLimiter(0);
    for (let index = 0; index < 1_000; index++) expect(limiter.admit(reason, userId, 0)).toBe(0);
    const budgeted = new RejectionLimiter(1);
    budgeted.admit(reason, userId, 0);
    expect(budgeted.admit(reason, null, 0)).toBe(0);
  });
});
