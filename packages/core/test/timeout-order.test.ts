import { describe, expect, it } from "vitest";
import { SessionManager, type StoredSessionEntry } from "../src/index.js";
import { setup } from "./harness.js";

describe("an idle timeout longer than the absolute one", () => {
  it("is accepted: the absolute timeout wins", () => {
    expect(
      () => new SessionManager({ idleTimeoutSeconds: 60, absoluteTimeoutSeconds: 4 }),
    ).not.toThrow();
  });

  it("ends the session at the absolute timeout however active it is (idle 60 s, absolute 4 s)", async () => {
    const { client, clock, memory } = setup({
      idleTimeoutSeconds: 60,
      absoluteTimeoutSeconds: 4,
      touchIntervalSeconds: 0,
    });
    const alice = client();
    await alice.login("alice");
    const [{ record }] = (await memory.listByUser("alice")) as [StoredSessionEntry];
    expect(record.expiresAt).toBe(record.absoluteExpiresAt);
    expect(record.absoluteExpiresAt - record.createdAt).toBe(4_000);
    for (let second = 1; second < 4; second++) {
      clock.advance(1);
      expect(await alice.whoami()).toBe("alice");
    }
    clock.advance(0.999);
    expect(await alice.whoami()).toBe("alice");
    clock.advance(0.001);
    expect(await alice.whoami()).toBeNull();
  });
});
