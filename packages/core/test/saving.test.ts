import { describe, expect, it } from "vitest";
import { MemoryStore, SessionManager } from "../src/index.js";
import { hashToken } from "../src/token.js";
import { setup } from "./harness.js";

describe("lazy creation", () => {
  it("stores nothing and sets no cookie for a visitor who writes nothing", async () => {
    const { client, memory, calls } = setup();
    const { setCookies } = await client().request((session) => session.get("x"));
    expect(setCookies).toEqual([]);
    expect(memory.size).toBe(0);
    expect(Object.values(calls).every((count) => count === 0)).toBe(true);
  });

  it("creates an anonymous session when data is first set", async () => {
    const { client, memory } = setup();
    const visitor = client();
    const { setCookies } = await visitor.request((session) => session.set("theme", "dark"));
    expect(setCookies).toHaveLength(1);
    expect(memory.size).toBe(1);
    expect(
      (await visitor.request((session) => [session.userId, session.get("theme")])).result,
    ).toEqual([null, "dark"]);
  });
});

describe("no lost updates", () => {
  it("keeps both of two overlapping requests that change different keys", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    const header = alice.cookieHeader();
    const { manager } = alice;
    const first = await manager.load(header, { secure: true });
    const second = await manager.load(header, { secure: true });
    first.set("a", 1);
    second.set("b", 2);
    second.unset("missing");
    await Promise.all([first.commit(), second.commit()]);
    expect((await alice.request((session) => session.data)).result).toEqual({ a: 1, b: 2 });
  });

  it("keeps every change of ten overlapping requests", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice", { n: 0 });
    const header = alice.cookieHeader();
    const sessions = await Promise.all(
      Array.from({ length: 10 }, () => alice.manager.load(header, { secure: true })),
    );
    for (const [index, session] of sessions.entries()) session.set(`k${index}`, index);
    await Promise.all(sessions.map((session) => session.commit()));
    const { result } = await alice.request((session) => session.data);
    expect(result).toEqual({
      n: 0,
      k0: 0,
      k1: 1,
      k2: 2,
      k3: 3,
      k4: 4,
      k5: 5,
      k6: 6,
      k7: 7,
      k8: 8,
      k9: 9,
    });
  });

  it("never brings back a session destroyed while a slow request was running", async () => {
    const { client, memory } = setup();
    const alice = client();
    const token = await alice.login("alice");
    const slowSetCookies: string[] = [];
    const slow = await alice.manager.load(alice.cookieHeader(), { secure: true });
    await alice.request((session) => session.destroy());
    slow.set("late", true);
    const committed = await slow.commit();
    if (committed !== null) slowSetCookies.push(committed.setCookie);
    expect(slowSetCookies.every((line) => line.includes("Max-Age=0"))).toBe(true);
    expect(await memory.get(await hashToken(token))).toBeNull();
    alice.cookie = token;
    expect(await alice.whoami()).toBeNull();
  });

  it("never brings back a session revoked while a slow request rotates it", async () => {
    const { client, memory } = setup();
    const alice = client();
    await alice.login("alice");
    const slow = await alice.manager.load(alice.cookieHeader(), { secure: true });
    await alice.request((session) => session.revokeAllSessions());
    await slow.rotate();
    await slow.commit();
    expect(slow.exists).toBe(false);
    expect(memory.size).toBe(0);
  });

  it("leaves the cookie to the request that replaced the token, also after destroy()", async () => {
    const { client } = setup();
    const alice = client();
    await alice.login("alice");
    const slow = await alice.manager.load(alice.cookieHeader(), { secure: true });
    await alice.request((session) => session.rotate());
    await slow.rotate();
    expect(slow.exists).toBe(false);
    expect(slow.needsCommit).toBe(false);
    await slow.destroy();
    expect(await slow.commit()).toBeNull();
    expect(await alice.whoami()).toBe("alice");
  });

  it("survives 100 concurrent saves racing one logout", async () => {
    const store = new MemoryStore();
    const manager = new SessionManager({ store });
    const lines: string[] = [];
    const login = await manager.load(undefined, { secure: true });
    await login.create("alice");
    lines.push((await login.commit())!.setCookie);
    const header = lines[0]!.split(";")[0]!;
    const sessions = await Promise.all(
      Array.from({ length: 100 }, () => manager.load(header, { secure: true })),
    );
    const logout = await manager.load(header, { secure: true });
    for (const [index, session] of sessions.entries()) session.set(`k${index}`, index);
    await Promise.all([...sessions.map((session) => session.commit()), logout.destroy()]);
    expect(store.size).toBe(0);
  });
});

describe("commit", () => {
  it("says whether there is anything to commit", async () => {
    const { client, clock } = setup({ touchIntervalSeconds: 60 });
    const alice = client();
    await alice.login("alice");
    const states = await alice.request((session) => {
      const before = session.needsCommit;
      session.set("a", 1);
      return [before, session.needsCommit];
    });
    expect(states.result).toEqual([false, true]);
    clock.advance(61);
    expect((await alice.request((session) => session.needsCommit)).result).toBe(true);
    expect((await alice.request((session) => session.needsCommit)).result).toBe(false);
    const fresh = await client().request(async (session) => {
      await session.create("bob");
      const pending = session.needsCommit;
      await session.commit();
      return [pending, session.needsCommit];
    });
    expect(fresh.result).toEqual([true, false]);
  });

  it("is idempotent and refuses changes after it", async () => {
    const { client } = setup();
    const visitor = client();
    await visitor.request(async (session) => {
      session.set("a", 1);
      await session.commit();
      expect(await session.commit()).toBeNull();
      expect(() => session.set("b", 2)).toThrow(/after the response was committed/);
    });
  });

  it("refuses a change made while the commit is writing, instead of losing it", async () => {
    const { client } = setup();
    const visitor = client();
    await visitor.login("alice");
    await visitor.request(async (session) => {
      session.set("a", 1);
      const committing = session.commit();
      expect(() => session.set("b", 2)).toThrow(/after the response was committed/);
      await committing;
    });
    expect((await visitor.request((session) => session.data)).result).toEqual({ a: 1 });
  });
});
