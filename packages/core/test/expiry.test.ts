import { describe, expect, it } from "vitest";
import { ReauthRequiredError } from "../src/index.js";
import { setup } from "./harness.js";

describe("idle timeout", () => {
  it("is enforced server-side and reset by activity", async () => {
    const { client, clock } = setup({ idleTimeoutSeconds: 1800, touchIntervalSeconds: 60 });
    const alice = client();
    await alice.login("alice");
    clock.advance(1799);
    expect(await alice.whoami()).toBe("alice");
    clock.advance(1799);
    expect(await alice.whoami()).toBe("alice");
    clock.advance(1801);
    expect(await alice.whoami()).toBeNull();
  });

  it("slides the expiry at most once per touch interval", async () => {
    const { client, clock, calls } = setup({ touchIntervalSeconds: 60 });
    const alice = client();
    await alice.login("alice");
    for (let second = 0; second < 59; second++) {
      clock.advance(1);
      await alice.whoami();
    }
    expect(calls.update ?? 0).toBe(0);
    clock.advance(1);
    await alice.whoami();
    await alice.whoami();
    expect(calls.update).toBe(1);
  });

  it("writes nothing and sends no cookie for an unchanged session between touches", async () => {
    const { client, calls } = setup();
    const alice = client();
    await alice.login("alice");
    const writes = (calls.create ?? 0) + (calls.update ?? 0);
    const { setCookies } = await alice.request((session) => session.get("anything"));
    expect(setCookies).toEqual([]);
    expect((calls.create ?? 0) + (calls.update ?? 0)).toBe(writes);
    expect(calls.get).toBe(1);
  });
});

describe("absolute timeout", () => {
  it("ends the session however active it is, and re-login starts a new clock", async () => {
    const { client, clock } = setup({
      idleTimeoutSeconds: 1800,
      absoluteTimeoutSeconds: 12 * 3600,
    });
    const alice = client();
    await alice.login("alice");
    for (let minutes = 10; minutes < 12 * 60; minutes += 10) {
      clock.advance(600);
      expect(await alice.whoami()).toBe("alice");
    }
    clock.advance(601);
    expect(await alice.whoami()).toBeNull();
    await alice.login("alice");
    clock.advance(11 * 3600);
    expect(await alice.whoami()).toBeNull();
  });

  it("survives a restart: a new manager on the same store keeps the original creation time", async () => {
    const { client, clock, memory } = setup({
      absoluteTimeoutSeconds: 12 * 3600,
      idleTimeoutSeconds: 3600,
    });
    const alice = client();
    await alice.login("alice");
    const { SessionManager } = await import("../src/index.js");
    const restarted = new SessionManager({
      store: memory,
      now: clock.now,
      absoluteTimeoutSeconds: 12 * 3600,
      idleTimeoutSeconds: 3600,
    });
    const { Client } = await import("./harness.js");
    const again = new Client(restarted);
    again.cookie = alice.cookie;
    for (let hour = 0; hour < 11; hour++) {
      clock.advance(3000);
      expect(await again.whoami()).toBe("alice");
    }
    clock.advance(12 * 3600 - 11 * 3000);
    expect(await again.whoami()).toBeNull();
  });

  it("caps anonymous sessions at the anonymous timeout", async () => {
    const { client, clock } = setup({ anonymousTimeoutSeconds: 900 });
    const visitor = client();
    await visitor.request((session) => session.set("cart", [1]));
    const { result } = await visitor.request((session) => session.info);
    expect(result!.absoluteExpiresAt - result!.createdAt).toBe(900_000);
    clock.advance(900);
    expect((await visitor.request((session) => session.exists)).result).toBe(false);
  });
});

describe("cookie lifetime", () => {
  it("is a browser-session cookie by default", async () => {
    const { client } = setup();
    const { setCookies } = await client().request((session) => session.create("alice"));
    expect(setCookies[0]).not.toMatch(/Max-Age|Expires/);
  });

  it("follows the idle expiry for a persistent cookie, and is refreshed on touch", async () => {
    const { client, clock } = setup({ idleTimeoutSeconds: 3600, touchIntervalSeconds: 60 });
    const alice = client();
    const { setCookies } = await alice.request((session) =>
      session.create("alice", { persistent: true }),
    );
    expect(setCookies[0]).toMatch(/Max-Age=3600;/);
    clock.advance(30);
    expect((await alice.request((session) => session.userId)).setCookies).toEqual([]);
    clock.advance(600);
    const touched = await alice.request((session) => session.userId);
    expect(touched.setCookies[0]).toMatch(/Max-Age=3600;/);
  });

  it("never gives a persistent cookie more than the configured cap", async () => {
    const { client } = setup({
      idleTimeoutSeconds: 30 * 86400,
      absoluteTimeoutSeconds: 30 * 86400,
      maxPersistentCookieSeconds: 86400,
    });
    const { setCookies } = await client().request((session) =>
      session.create("alice", { persistent: true }),
    );
    expect(setCookies[0]).toMatch(/Max-Age=86400;/);
  });
});

describe("recent authentication", () => {
  it("gates sensitive actions, and re-authentication rotates and restarts every clock", async () => {
    const { client, clock } = setup({ idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 7200 });
    const alice = client();
    const first = await alice.login("alice", { theme: "dark" });
    clock.advance(360);
    const gate = await alice.request((session) => {
      try {
        session.requireRecentAuth(300);
        return "allowed";
      } catch (error) {
        return error instanceof ReauthRequiredError ? error.code : "other";
      }
    });
    expect(gate.result).toBe("reauth_required");
    const before = (await alice.request((session) => session.info)).result!;
    await alice.request((session) => session.reauthenticate());
    expect(alice.cookie).not.toBe(first);
    const after = await alice.request((session) => ({
      info: session.info!,
      recent: session.isAuthRecent(300),
      data: session.data,
    }));
    expect(after.result.recent).toBe(true);
    expect(after.result.data).toEqual({ theme: "dark" });
    expect(after.result.info.absoluteExpiresAt).toBe(before.absoluteExpiresAt + 360_000);
    const replay = client();
    replay.cookie = first;
    expect(await replay.whoami()).toBeNull();
  });
});
