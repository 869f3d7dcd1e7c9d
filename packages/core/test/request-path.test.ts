import { afterEach, describe, expect, it, vi } from "vitest";
import {
  GuardedStore,
  MemoryStore,
  NoSessionError,
  type RequestContext,
  type RequestSession,
  type SessionData,
  type SessionHeaders,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  type StoreCall,
  type StoredSession,
} from "../src/index.js";
import { platform as nodePlatform } from "../src/platform/node.js";
import { KnownCookies } from "../src/session-resolver.js";
import { FaultInjectingStore } from "../src/testing/fault-injecting-store.js";
import { PausingStore } from "../src/testing/pausing-store.js";
import { makeStoredSession } from "../src/testing/store-conformance.js";
import { setup, storeOver } from "./harness.js";

const SECRET = "k3Vn9qZr2Lx8Tw5Hc1Jd7Pf4Ys6Bm0Ga";
const CONTEXT: RequestContext = { secure: true, host: "app.example" };

/** Signs a user in on `manager` and returns the request's `Cookie` header. */
async function signIn(manager: SessionManager, userId: string): Promise<string> {
  const session = await manager.load(undefined, CONTEXT);
  await session.create(userId);
  const headers = await session.commit();
  return headers!.setCookie.split(";")[0]!;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a read on a synchronous store and node:crypto", () => {
  it("gives the session at once, not a promise, signed or not", async () => {
    for (const secrets of [undefined, [SECRET]]) {
      const manager = new SessionManager({ store: new MemoryStore(), secrets });
      const header = await signIn(manager, "alice");
      for (const attempt of [1, 2]) {
        const loaded = manager.load(header, CONTEXT);
        expect(loaded, `attempt ${attempt}`).not.toBeInstanceOf(Promise);
        expect((loaded as Awaited<typeof loaded>).userId).toBe("alice");
      }
      expect(manager.load(undefined, CONTEXT)).not.toBeInstanceOf(Promise);
    }
  });

  it("gives a promise when the store answers with one, and it still times out", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const manager = new SessionManager({ store, storeTimeoutMs: 30, storeRetries: 0 });
    const header = await signIn(manager, "alice");
    const loaded = manager.load(header, CONTEXT);
    expect(loaded).toBeInstanceOf(Promise);
    expect((await loaded).userId).toBe("alice");
    store.setMode("hang");
    await expect(manager.load(header, CONTEXT)).rejects.toMatchObject({ code: "store_timeout" });
  });

  it("asks for the request's context only when the session writes", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const header = await signIn(manager, "alice");
    const context = vi.fn(() => CONTEXT);

    const read = await manager.load(header, context);
    expect(read.userId).toBe("alice");
    expect(await read.commit()).toBeNull();
    expect(context).not.toHaveBeenCalled();

    const login = await manager.load(undefined, context);
    await login.create("bob");
    expect((await login.commit())?.setCookie).toMatch(/^__Host-sid=/);
    expect(context).toHaveBeenCalledTimes(1);
  });

  it("keeps the client's address and agent from a context given as a function", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const session = await manager.load(undefined, () => ({
      secure: true,
      userAgent: "agent/1",
      ip: "203.0.113.7",
    }));
    await session.create("alice");
    await session.commit();
    const [listed] = await manager.listUserSessions("alice");
    expect(listed).toMatchObject({ userAgent: "agent/1", ip: "203.0.113.7" });
  });
});

describe("a login on a synchronous store and node:crypto", () => {
  it("signs the user in as create() is called, and stores the session within commit()", async () => {
    const store = new MemoryStore();
    const manager = new SessionManager({ store, secrets: [SECRET] });
    const session = await manager.load(undefined, CONTEXT);
    const created = session.create("alice", { data: { theme: "dark" } });
    expect(session.userId).toBe("alice");
    expect(session.get("theme")).toBe("dark");
    await created;
    expect(store.size).toBe(0);
    const headers = await session.commit();
    expect(store.size).toBe(1);
    expect(headers?.setCookie).toMatch(/^__Host-sid=[\w-]{43}\.[\w-]{43}; /);
    expect(await session.commit()).toBeNull();
  });

  it("still rejects, never throws, for a bad user id or a store that fails the insert", async () => {
    const failing = Object.assign(Object.create(new MemoryStore()) as MemoryStore, {
      create() {
        throw new Error("disk full");
      },
    });
    const manager = new SessionManager({ store: failing, storeRetries: 0 });
    const session = await manager.load(undefined, CONTEXT);
    const refused = session.create("");
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toThrow(TypeError);
    await session.create("alice");
    const committed = session.commit();
    expect(committed).toBeInstanceOf(Promise);
    await expect(committed).rejects.toMatchObject({ code: "store_unavailable" });
  });

  it("replaces a stored session only once it is destroyed, and answers at once without one", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const header = await signIn(manager, "alice");
    const session = await manager.load(header, CONTEXT);
    const created = session.create("bob");
    expect(session.userId).toBe("alice");
    await created;
    expect(session.userId).toBe("bob");
    await session.commit();
    expect((await manager.load(header, CONTEXT)).userId).toBeNull();
  });
});

describe("create() over a stored session", () => {
  it("refuses data it cannot keep before the session it replaces is touched", async () => {
    const manager = new SessionManager({ store: new MemoryStore(), maxDataBytes: 1024 });
    const header = await signIn(manager, "alice");
    const session = await manager.load(header, CONTEXT);
    await expect(session.create("bob", { data: { note: "x".repeat(2000) } })).rejects.toMatchObject(
      {
        code: "session_too_large",
      },
    );
    await expect(session.create("bob", { data: { "__flash:notice": 1 } })).rejects.toMatchObject({
      code: "session_data_invalid",
    });
    expect(session.userId).toBe("alice");
    expect(await session.commit()).toBeNull();
    expect((await manager.load(header, CONTEXT)).userId).toBe("alice");
  });

  it("signs in when the commit comes while the old session is being destroyed, once that is done", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const header = await signIn(manager, "alice");
    const session = await manager.load(header, CONTEXT);
    const created = session.create("bob");
    expect(session.needsCommit).toBe(true);
    const headers = await session.commit();
    await expect(created).resolves.toBeUndefined();
    expect(session.userId).toBe("bob");
    const next = await manager.load(headers!.setCookie.split(";")[0], CONTEXT);
    expect(next.userId).toBe("bob");
    expect((await manager.load(header, CONTEXT)).userId).toBeNull();
  });
});

describe("known cookie values", () => {
  it("verify a signed value's MAC once, then know it", async () => {
    const manager = new SessionManager({ store: new MemoryStore(), secrets: [SECRET] });
    const header = await signIn(manager, "alice");
    const hmac = vi.spyOn(nodePlatform, "hmacSha256");
    expect((await manager.load(header, CONTEXT)).userId).toBe("alice");
    expect(hmac).toHaveBeenCalledTimes(1);
    expect((await manager.load(header, CONTEXT)).userId).toBe("alice");
    expect(hmac).toHaveBeenCalledTimes(1);
  });

  it("never take a changed MAC or token for a known value", async () => {
    const { manager, events } = setup({ secrets: [SECRET] });
    const header = await signIn(manager, "alice");
    expect((await manager.load(header, CONTEXT)).userId).toBe("alice");
    const value = header.slice(header.indexOf("=") + 1);
    const token = value.slice(0, 43);
    const mac = value.slice(44);
    const flip = (text: string) =>
      `${text.slice(0, 10)}${text[10] === "A" ? "B" : "A"}${text.slice(11)}`;
    for (const forged of [`${token}.${flip(mac)}`, `${flip(token)}.${mac}`]) {
      expect((await manager.load(`__Host-sid=${forged}`, CONTEXT)).userId).toBeNull();
    }
    expect(
      events.filter((event) => event.type === "rejected").map((event) => event.reason),
    ).toEqual(["bad_signature", "bad_signature"]);
  });

  it("remember only values that named a session", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const header = await signIn(manager, "alice");
    const hash = vi.spyOn(nodePlatform, "sha256Hex");
    const madeUp = `__Host-sid=${"Q".repeat(43)}`;
    for (const attempt of [1, 2]) {
      expect((await manager.load(madeUp, CONTEXT)).userId, `attempt ${attempt}`).toBeNull();
    }
    expect(hash).toHaveBeenCalledTimes(2);
    for (const attempt of [1, 2]) {
      expect((await manager.load(header, CONTEXT)).userId, `attempt ${attempt}`).toBe("alice");
    }
    expect(hash).toHaveBeenCalledTimes(3);
  });

  it("say nothing of the session: a destroyed one is gone at once", async () => {
    const manager = new SessionManager({ store: new MemoryStore(), secrets: [SECRET] });
    const header = await signIn(manager, "alice");
    const first = await manager.load(header, CONTEXT);
    expect(first.userId).toBe("alice");
    await first.destroy();
    await first.commit();
    expect((await manager.load(header, CONTEXT)).userId).toBeNull();
  });

  it("stay within two generations, and keep values still in use", () => {
    const known = new KnownCookies(2);
    const entry = (id: string) => ({ token: `t-${id}`, id, resign: false });
    known.set("a", entry("a"));
    known.set("b", entry("b"));
    known.set("c", entry("c"));
    expect(known.size).toBe(3);
    expect(known.get("a")?.id).toBe("a"); // from the older generation, moved up
    known.set("d", entry("d"));
    known.set("e", entry("e"));
    expect(known.size).toBeLessThanOrEqual(4);
    expect(known.get("b")).toBeUndefined();
    expect(known.get("e")?.id).toBe("e");
  });
});

describe("GuardedStore.lookup", () => {
  const record: StoredSession = makeStoredSession(Date.now(), { userId: "alice" });

  it("answers a synchronous store at once and reports the call", async () => {
    const calls: StoreCall[] = [];
    const memory = new MemoryStore();
    const guarded = new GuardedStore(memory, { onCall: (call) => calls.push(call) });
    await guarded.create("id-1", record);
    expect(guarded.lookup("id-1")).toEqual(record);
    expect(guarded.lookup("id-2")).toBeNull();
    expect(await guarded.update("id-1", { ...record, data: '{"n":1}' }, 1)).toBe(true);
    expect(await guarded.get("id-1")).toMatchObject({ data: '{"n":1}', version: 2 });
    await guarded.delete("id-1");
    expect(calls.map(({ op, ok }) => ({ op, ok }))).toEqual([
      { op: "create", ok: true },
      { op: "get", ok: true },
      { op: "get", ok: true },
      { op: "update", ok: true },
      { op: "get", ok: true },
      { op: "delete", ok: true },
    ]);
  });

  it("takes a synchronous throw as a failed attempt: retried, then a SessionStoreError", async () => {
    let throws = 1;
    const memory = new MemoryStore();
    await memory.create("id-1", record);
    const flaky = Object.assign(Object.create(memory) as MemoryStore, {
      get(id: string) {
        if (throws-- > 0) throw new Error("connection reset");
        return memory.get(id);
      },
    });
    const guarded = new GuardedStore(flaky, { retries: 1, retryDelayMs: 1 });
    expect(await guarded.lookup("id-1")).toEqual(record);
    throws = 5;
    await expect(guarded.lookup("id-1")).rejects.toMatchObject({
      code: "store_unavailable",
      cause: expect.objectContaining({ message: "connection reset" }),
    });
  });
});

describe("calls of one request that overlap", () => {
  /** A memory store, alone (answering at once) and behind one that answers with promises. */
  function stores(): { store: SessionStore; memory: MemoryStore }[] {
    const alone = new MemoryStore();
    const behind = new MemoryStore();
    return [
      { store: alone, memory: alone },
      { store: new FaultInjectingStore(behind), memory: behind },
    ];
  }

  async function signedIn(store: SessionStore) {
    const events: string[] = [];
    const manager = new SessionManager({
      store,
      onEvent: (event) => events.push(`${event.type} ${"userId" in event ? event.userId : ""}`),
    });
    const header = await signIn(manager, "alice");
    events.length = 0;
    return { manager, header, events };
  }

  /** A signed-in request with a changed value whose save() waits at its first store call. */
  async function savingWhilePaused() {
    const memory = new MemoryStore();
    const store = new PausingStore(memory);
    const { manager, header } = await signedIn(store);
    const session = await manager.load(header, CONTEXT);
    session.set("theme", "dark");
    const pause = store.pauseAt(0);
    const saved = session.save();
    await pause.reached;
    return { manager, header, memory, session, saved, release: () => pause.release() };
  }

  it("destroys the replaced session once when create() is called twice without waiting", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header, events } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      await Promise.all([session.create("bob"), session.create("bob")]);
      await session.commit();
      expect(events).toEqual(["destroyed alice", "created bob"]);
      expect(memory.size).toBe(1);
    }
  });

  it("ends signed out when destroy() follows create() without waiting", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      await Promise.all([session.create("bob"), session.destroy()]);
      expect(session.userId).toBeNull();
      const headers = await session.commit();
      expect(headers?.setCookie).toMatch(/^__Host-sid=;/);
      expect(memory.size).toBe(0);
    }
  });

  it("sends the new session's cookie when the commit comes before create() is done", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      const created = session.create("bob");
      const headers = await session.commit();
      await expect(created).resolves.toBeUndefined();
      expect(headers?.setCookie).toMatch(/^__Host-sid=[^;]/);
      expect((await manager.load(headers!.setCookie.split(";")[0], CONTEXT)).userId).toBe("bob");
      expect(memory.size).toBe(1);
    }
  });

  it("inserts a new session once when save() is left un-awaited and the commit follows", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const { manager, events } = await signedIn(store);
    const session = await manager.load(undefined, CONTEXT);
    await session.create("bob");
    const insert = vi.spyOn(store, "create");
    const saved = session.save();
    const headers = await session.commit();
    await saved;
    expect(insert).toHaveBeenCalledTimes(1);
    expect(events).toEqual(["created bob"]);
    expect(headers?.setCookie).toMatch(/^__Host-sid=[^;]+;/);
  });

  it("signs in whoever create() names, however it overlaps a rotate()", async () => {
    for (const rotateFirst of [true, false]) {
      const store = new FaultInjectingStore(new MemoryStore());
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      const calls = rotateFirst
        ? [session.rotate(), session.create("bob")]
        : [session.create("bob"), session.rotate()];
      await Promise.all(calls);
      const headers = await session.commit();
      const next = await manager.load(headers!.setCookie.split(";")[0], CONTEXT);
      expect([session.userId, next.userId], `rotate first: ${rotateFirst}`).toEqual(["bob", "bob"]);
    }
  });

  it("still commits after a save() the app handled failed, whether or not it had settled", async () => {
    for (const overlap of [false, true]) {
      const store = new FaultInjectingStore(new MemoryStore());
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      session.set("theme", "dark");
      store.setMode("fail", { only: ["update"] });
      const saved = session.save().catch(() => "handled");
      store.setMode("ok");
      if (!overlap) expect(await saved).toBe("handled");
      await expect(session.commit(), `overlapping: ${overlap}`).resolves.not.toBeUndefined();
      await saved;
      expect((await manager.load(header, CONTEXT)).get("theme")).toBe("dark");
    }
  });

  it("revokes the new session too when revokeAllSessions() follows an un-awaited save()", async () => {
    const memory = new MemoryStore();
    const store = new PausingStore(memory);
    const { manager } = await signedIn(store);
    const session = await manager.load(undefined, CONTEXT);
    await session.create("alice");
    const pause = store.pauseAt(0);
    const saved = session.save();
    expect(await pause.reached).toBe("create");
    const revoked = session.revokeAllSessions();
    pause.release();
    await saved;
    expect(await revoked).toBe(2);
    expect(memory.size).toBe(0);
    // The new session's cookie never went out, so there is none to clear.
    expect(await session.commit()).toBeNull();
  });

  it("carries over the data a save() under way merged in from another request", async () => {
    const replacements = {
      "create() with carryOver": (session: RequestSession) =>
        session.create("alice", { carryOver: ["cart", "theme"] }),
      "reauthenticate()": (session: RequestSession) => session.reauthenticate(),
    };
    for (const [label, replace] of Object.entries(replacements)) {
      for (const { store } of stores()) {
        const { manager, header } = await signedIn(store);
        const session = await manager.load(header, CONTEXT);
        const other = await manager.load(header, CONTEXT);
        other.set("cart", "3 books");
        await other.commit();
        session.set("theme", "dark");
        const saved = session.save();
        await replace(session);
        await saved;
        const next = await manager.load((await session.commit())!.setCookie.split(";")[0], CONTEXT);
        expect([next.userId, next.get("cart"), next.get("theme")], label).toEqual([
          "alice",
          "3 books",
          "dark",
        ]);
      }
    }
  });

  it("runs a create() still waiting for a save() before the commit that came after it", async () => {
    const { manager, header, memory, session, saved, release } = await savingWhilePaused();
    const created = session.create("bob");
    const committed = session.commit();
    release();
    await expect(created).resolves.toBeUndefined();
    await saved;
    const headers = await committed;
    const next = await manager.load(headers!.setCookie.split(";")[0], CONTEXT);
    expect([session.userId, next.userId]).toEqual(["bob", "bob"]);
    expect((await manager.load(header, CONTEXT)).userId).toBeNull();
    expect(memory.size).toBe(1);
    expect(() => session.set("theme", "light")).toThrow(/after the response was committed/);
  });

  it("ends signed out when destroy() follows create() while a save() is under way", async () => {
    const { memory, session, saved, release } = await savingWhilePaused();
    const calls = [saved, session.create("bob"), session.destroy()];
    release();
    await Promise.all(calls);
    expect(session.userId).toBeNull();
    expect((await session.commit())?.setCookie).toMatch(/^__Host-sid=;/);
    expect(memory.size).toBe(0);
  });

  it("revokes the sessions of the user create() signed in when revokeAllSessions() follows it", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header } = await signedIn(store);
      await signIn(manager, "bob");
      const session = await manager.load(header, CONTEXT);
      const created = session.create("bob");
      const revoked = session.revokeAllSessions();
      await created;
      expect(await revoked).toBe(1);
      expect(session.userId).toBeNull();
      expect(memory.size).toBe(0);
    }
  });

  it("sends no cookie for a session revokeAllSessions() is revoking when the commit follows", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      await session.create("bob");
      const revoked = session.revokeAllSessions();
      const headers = await session.commit();
      await revoked;
      expect(headers?.setCookie).toMatch(/^__Host-sid=;/);
      expect(memory.size).toBe(0);
    }
  });

  it("keeps a change made while a write is under way, whichever write it is", async () => {
    // Each prepares a change, then starts the write that stores it.
    type Step = (session: RequestSession) => unknown;
    const writes: Record<string, { prepare: Step; write: Step }> = {
      "save() of a change": {
        prepare: (session) => session.set("theme", "dark"),
        write: (session) => session.save(),
      },
      "save() of a new session": {
        prepare: (session) => session.create("alice", { data: { theme: "dark" } }),
        write: (session) => session.save(),
      },
      "rotate()": {
        prepare: (session) => session.set("theme", "dark"),
        write: (session) => session.rotate(),
      },
    };
    for (const [label, { prepare, write }] of Object.entries(writes)) {
      const store = new FaultInjectingStore(new MemoryStore());
      const { manager, header } = await signedIn(store);
      const session = await manager.load(header, CONTEXT);
      await prepare(session);
      const written = write(session);
      session.set("cart", "3 books");
      await written;
      expect(session.get("cart"), label).toBe("3 books");
      const headers = await session.commit();
      const cookie = headers?.setCookie.split(";")[0] ?? header;
      const next = await manager.load(cookie, CONTEXT);
      expect([next.userId, next.get("theme"), next.get("cart")], label).toEqual([
        "alice",
        "dark",
        "3 books",
      ]);
    }
  });

  it("keeps a change made while a renewal of the token is under way", async () => {
    let now = Date.now();
    const manager = new SessionManager({
      store: new FaultInjectingStore(new MemoryStore({ now: () => now })),
      renewalIntervalSeconds: 60,
      now: () => now,
    });
    const header = await signIn(manager, "alice");
    now += 61_000;
    const session = await manager.load(header, CONTEXT);
    session.set("theme", "dark");
    const renewed = session.save();
    session.set("cart", "3 books");
    await renewed;
    const headers = await session.commit();
    const cookie = headers!.setCookie.split(";")[0]!;
    expect(cookie).not.toBe(header);
    const next = await manager.load(cookie, CONTEXT);
    expect([next.userId, next.get("theme"), next.get("cart")]).toEqual([
      "alice",
      "dark",
      "3 books",
    ]);
  });

  it("goes on when the adapter's onCommitNeeded listener throws as a destroy starts", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const { manager, header } = await signedIn(store);
    const session = await manager.load(header, CONTEXT);
    session.onCommitNeeded(() => {
      throw new Error("listener failed");
    });
    await expect(session.destroy()).rejects.toThrow("listener failed");
    let headers: SessionHeaders | null | undefined;
    const committed = session.commit().then((answer) => {
      headers = answer;
    });
    for (let turn = 0; turn < 1000 && headers === undefined; turn++) await Promise.resolve();
    await committed;
    expect(headers?.setCookie).toMatch(/^__Host-sid=;/);
    expect((await manager.load(header, CONTEXT)).userId).toBeNull();
  });

  it("saves a value changed in place and set again while a write of it is under way", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const { manager, header } = await signedIn(store);
    const session = await manager.load(header, CONTEXT);
    const cart = { items: ["book"] };
    session.set("cart", cart);
    const saved = session.save();
    cart.items.push("pen");
    session.set("cart", cart);
    await saved;
    expect(session.needsCommit).toBe(true);
    await session.commit();
    const next = await manager.load(header, CONTEXT);
    expect(next.get("cart")).toEqual({ items: ["book", "pen"] });
  });

  it("spares the rotated session when revokeOtherSessions() is followed by rotate()", async () => {
    const store = new FaultInjectingStore(new MemoryStore());
    const { manager, header } = await signedIn(store);
    await signIn(manager, "alice");
    const session = await manager.load(header, CONTEXT);
    session.set("theme", "dark");
    const [revoked] = await Promise.all([session.revokeOtherSessions(), session.rotate()]);
    const headers = await session.commit();
    const next = await manager.load(headers!.setCookie.split(";")[0], CONTEXT);
    expect([revoked, next.userId, next.get("theme")]).toEqual([1, "alice", "dark"]);
  });

  it("refuses changes the response would carry once closed, and still destroys in the store", async () => {
    const memory = new MemoryStore();
    const { manager, header } = await signedIn(memory);
    const session = await manager.load(header, CONTEXT);
    session.close();
    expect(() => session.set("late", true)).toThrow(/after the response was committed/);
    await expect(session.rotate()).rejects.toThrow(/after the response was committed/);
    expect(session.data).toEqual({});
    expect(session.needsCommit).toBe(false);
    await session.destroy();
    expect(memory.size).toBe(0);
    expect(await session.commit()).toBeNull();
  });

  it("holds what the adapter said on a read that changed nothing until a change comes", async () => {
    const { manager, header } = await signedIn(new MemoryStore());
    const session = await manager.load(header, CONTEXT);
    let responded = false;
    const commitNeeded = vi.fn();
    session.closeOnceResponded(() => responded);
    session.onCommitNeeded(commitNeeded);
    expect([session.needsCommit, session.userId, commitNeeded.mock.calls.length]).toEqual([
      false,
      "alice",
      0,
    ]);
    session.set("theme", "dark");
    expect([session.needsCommit, commitNeeded.mock.calls.length]).toEqual([true, 1]);
    responded = true;
    expect(() => session.set("theme", "light")).toThrow(/after the response was committed/);
    expect(session.get("theme")).toBe("dark");
  });

  it("owes a commit on a read once a touch or a renewal is due, and says so at once", async () => {
    /** A read `seconds` after signing in, with `onCommitNeeded` listened to from the start. */
    async function readAfter(options: SessionManagerOptions<SessionData>, seconds: number) {
      const { clock, manager, memory } = setup(options);
      const header = await signIn(manager, "alice");
      clock.advance(seconds);
      const session = await manager.load(header, CONTEXT);
      const commitNeeded = vi.fn();
      session.onCommitNeeded(commitNeeded);
      expect([session.needsCommit, commitNeeded.mock.calls.length]).toEqual([true, 1]);
      return { clock, memory, session, headers: await session.commit() };
    }
    const touched = await readAfter({ touchIntervalSeconds: 60 }, 60);
    const [stored] = touched.memory.listByUser("alice");
    expect(stored!.record.lastSeenAt).toBe(touched.clock.now());
    const renewed = await readAfter(
      { touchIntervalSeconds: 600, renewalIntervalSeconds: 300 },
      300,
    );
    expect(renewed.headers?.setCookie).toMatch(/^__Host-sid=/);
  });

  it("decides a read's touch at load: a route that outlasts the interval neither touches nor tells early", async () => {
    const { clock, manager } = setup({ touchIntervalSeconds: 60 });
    const header = await signIn(manager, "alice");
    clock.advance(30);
    const session = await manager.load(header, CONTEXT);
    const seen: unknown[] = [];
    session.onCommitNeeded(() => seen.push(session.get("theme")));
    clock.advance(40);
    expect([session.needsCommit, seen]).toEqual([false, []]);
    session.set("theme", "dark");
    expect([session.needsCommit, seen]).toEqual([true, ["dark"]]);
  });

  it("closed on a read that changed nothing, refuses a later change and commits nothing", async () => {
    const { clock, manager } = setup({ touchIntervalSeconds: 60 });
    const header = await signIn(manager, "alice");
    clock.advance(60);
    const session = await manager.load(header, CONTEXT);
    session.close();
    expect(session.needsCommit).toBe(false);
    expect(() => session.flash("notice", "late")).toThrow(/after the response was committed/);
    expect(await session.commit()).toBeNull();
  });

  it("keeps the session another request is rotating when this one revokes the others", async () => {
    const memory = new MemoryStore();
    let beforePendingStored: (() => Promise<unknown>) | null = null;
    // A store that answers later: the revocation runs while the rotation's successor is pending.
    const store = storeOver(memory, {
      create: async (id, record) => {
        memory.create(id, record);
        const hook = beforePendingStored;
        if (hook !== null && record.successorId === id) {
          beforePendingStored = null;
          await hook();
        }
      },
    });
    const { manager, header } = await signedIn(store);
    const otherDevice = await signIn(manager, "alice");
    const rotating = await manager.load(header, CONTEXT);
    const revoking = await manager.load(header, CONTEXT);
    let revoked = -1;
    beforePendingStored = async () => {
      revoked = await revoking.revokeOtherSessions();
    };
    await rotating.rotate();
    const headers = await rotating.commit();
    const rotated = await manager.load(headers!.setCookie.split(";")[0], CONTEXT);
    expect(revoked).toBe(1);
    expect(rotated.userId).toBe("alice");
    expect((await manager.load(otherDevice, CONTEXT)).userId).toBeNull();
    expect(await manager.countSessions("alice")).toBe(1);
  });

  it("signs the request out when revokeAllSessions() fails part-way", async () => {
    for (const { store, memory } of stores()) {
      const faulty = new FaultInjectingStore(store);
      const { manager, header } = await signedIn(faulty);
      const session = await manager.load(header, CONTEXT);
      await session.create("bob");
      faulty.setMode("fail", { only: ["deleteByUser"] });
      await expect(session.revokeAllSessions()).rejects.toThrow();
      faulty.setMode("ok");
      expect(session.userId).toBeNull();
      expect((await session.commit())?.setCookie).toMatch(/^__Host-sid=;/);
      expect(memory.size).toBe(0);
    }
  });

  it("revokes the other sessions of whoever was signed in when revokeOtherSessions() was called", async () => {
    const memory = new MemoryStore();
    const store = new FaultInjectingStore(memory);
    const { manager, header } = await signedIn(store);
    const otherAlice = await signIn(manager, "alice");
    const otherBob = await signIn(manager, "bob");
    const session = await manager.load(header, CONTEXT);
    const [revoked] = await Promise.all([session.revokeOtherSessions(), session.create("bob")]);
    await session.commit();
    expect(revoked).toBe(1);
    expect((await manager.load(otherAlice, CONTEXT)).userId).toBeNull();
    expect((await manager.load(otherBob, CONTEXT)).userId).toBe("bob");
  });

  it("revokes nothing when another request signed this session out before revokeOtherSessions()", async () => {
    for (const { store } of stores()) {
      const { manager, header } = await signedIn(store);
      const otherDevice = await signIn(manager, "alice");
      const session = await manager.load(header, CONTEXT);
      const otherTab = await manager.load(header, CONTEXT);
      await otherTab.destroy();
      await otherTab.commit();
      session.set("theme", "dark");
      await expect(session.revokeOtherSessions()).rejects.toThrow(NoSessionError);
      expect((await manager.load(otherDevice, CONTEXT)).userId).toBe("alice");
    }
  });

  it("commits only once the revocation of revokeOtherSessions() is done", async () => {
    for (const { store, memory } of stores()) {
      const { manager, header } = await signedIn(store);
      await signIn(manager, "alice");
      const session = await manager.load(header, CONTEXT);
      session.set("theme", "dark");
      const revoked = session.revokeOtherSessions();
      await session.commit();
      expect(memory.size).toBe(1);
      expect(await revoked).toBe(1);
    }
  });

  it("tells the adapter to commit when a failed revokeAllSessions() signed the request out", async () => {
    const faulty = new FaultInjectingStore(new MemoryStore());
    const { manager, header } = await signedIn(faulty);
    const session = await manager.load(header, CONTEXT);
    const commitNeeded = vi.fn();
    session.onCommitNeeded(commitNeeded);
    faulty.setMode("fail", { only: ["deleteByUser"] });
    await expect(session.revokeAllSessions()).rejects.toThrow();
    expect(commitNeeded).toHaveBeenCalledTimes(1);
  });

  it("rejects, never throws, when sessions are listed without a signed-in user", async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const session = await manager.load(undefined, CONTEXT);
    let listed: Promise<unknown> | undefined;
    expect(() => {
      listed = session.listSessions();
    }).not.toThrow();
    await expect(listed).rejects.toMatchObject({ code: "no_session" });
  });
});
