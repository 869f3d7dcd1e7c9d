import { describe, expect, it } from "vitest";
import { GuardedStore, MemoryStore, type SessionStore, SessionStoreError } from "../src/index.js";
import { setup } from "./harness.js";

/** A real memory store that can be switched to fail or hang. */
function faulty(inner: SessionStore) {
  const state = { mode: "ok" as string, calls: 0 };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        state.calls++;
        if (state.mode === "fail") return Promise.reject(new Error("ECONNREFUSED 127.0.0.1:6379"));
        if (state.mode === "hang") return new Promise(() => {});
        return value.apply(target, args);
      };
    },
  });
  return { store, state };
}

describe("store failures", () => {
  it("fail closed: a failing store gives SessionStoreError, never a silent sign-out", async () => {
    let state = { mode: "ok", calls: 0 };
    const { client, events } = setup({ storeRetries: 2, storeTimeoutMs: 200 }, (memory) => {
      const wrapped = faulty(memory);
      state = wrapped.state;
      return wrapped.store;
    });
    const alice = client();
    await alice.login("alice");
    state.mode = "fail";
    state.calls = 0;
    const error = await alice.whoami().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).code).toBe("store_unavailable");
    expect((error as SessionStoreError).cause).toBeInstanceOf(Error);
    expect(state.calls).toBe(3);
    expect(events.some((event) => event.type === "store_error")).toBe(true);
    state.mode = "ok";
    expect(await alice.whoami()).toBe("alice");
  });

  it("a hanging store times out within the configured bound", async () => {
    const { store, state } = faulty(new MemoryStore());
    const { client } = setup({ store, storeTimeoutMs: 100 });
    const alice = client();
    await alice.login("alice");
    state.mode = "hang";
    const started = performance.now();
    const error = await alice.whoami().catch((caught: unknown) => caught);
    expect((error as SessionStoreError).code).toBe("store_timeout");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("treats the request as anonymous with the anonymous policy, and never replaces the cookie", async () => {
    let state = { mode: "ok", calls: 0 };
    const { client } = setup({ onStoreError: "anonymous", storeRetries: 0 }, (memory) => {
      const wrapped = faulty(memory);
      state = wrapped.state;
      return wrapped.store;
    });
    const alice = client();
    const token = await alice.login("alice");
    state.mode = "fail";
    const { result, setCookies } = await alice.request(async (session) => {
      const attempt = (() => {
        try {
          session.set("x", 1);
          return "written";
        } catch (error) {
          return (error as SessionStoreError).code;
        }
      })();
      return { userId: session.userId, attempt };
    });
    expect(result).toEqual({ userId: null, attempt: "store_unavailable" });
    expect(setCookies).toEqual([]);
    expect(alice.cookie).toBe(token);
    state.mode = "ok";
    expect(await alice.whoami()).toBe("alice");
  });

  it("never retries writes", async () => {
    const { store, state } = faulty(new MemoryStore());
    const guarded = new GuardedStore(store, { retries: 3, retryDelayMs: 1 });
    state.mode = "fail";
    await expect(guarded.update("x", {} as never, 1)).rejects.toBeInstanceOf(SessionStoreError);
    expect(state.calls).toBe(1);
    await expect(guarded.get("x")).rejects.toBeInstanceOf(SessionStoreError);
    expect(state.calls).toBe(5);
  });

  it("turns a store that throws synchronously into a rejection", async () => {
    const broken = {
      get: () => {
        throw new Error("boom");
      },
    } as unknown as SessionStore;
    await expect(new GuardedStore(broken, { retries: 0 }).get("x")).rejects.toBeInstanceOf(
      SessionStoreError,
    );
  });

  it("keeps error messages free of tokens", async () => {
    const { store, state } = faulty(new MemoryStore());
    const { client } = setup({ store, storeRetries: 0 });
    const alice = client();
    const token = await alice.login("alice");
    state.mode = "fail";
    const error = (await alice.whoami().catch((caught: unknown) => caught)) as Error;
    expect(`${error.message} ${String(error.cause)} ${error.stack}`).not.toContain(token);
  });
});
