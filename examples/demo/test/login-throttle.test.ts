/**
 * SEC-61: failed sign-ins are limited per account and per client. The limiter on its own with a
 * pinned clock; the `/login` route in process with an injected password check (so "no scrypt
 * work" is a call count, not a timing); and the started demo on Express, Koa and Hono, with
 * clients told apart by their loopback source address (127.0.0.2, 127.0.0.3, …).
 */
import { request } from "node:http";
import { MemoryStore, SessionManager } from "@sesame/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FRAMEWORKS, readConfig } from "../src/config.js";
import type { DemoData } from "../src/http.js";
import {
  LOGIN_THROTTLE_DEFAULTS,
  LoginThrottle,
  type LoginThrottleOptions,
} from "../src/login-throttle.js";
import { createDemoApp, handleRequest } from "../src/routes.js";
import type { User } from "../src/users.js";
import { type DemoProcess, startDemo } from "./support/demo-process.js";

const START = Date.UTC(2025, 0, 1);

/** A throttle on a clock the test moves by hand. */
function pinnedThrottle(options: Partial<LoginThrottleOptions> = {}): {
  throttle: LoginThrottle;
  advanceSeconds: (seconds: number) => void;
} {
  let now = START;
  const throttle = new LoginThrottle({ ...options, now: () => now });
  return { throttle, advanceSeconds: (seconds) => (now += seconds * 1000) };
}

describe("LoginThrottle (SEC-61)", () => {
  it("has the documented defaults: 5 per account, 20 per client, 15 minutes", () => {
    expect(LOGIN_THROTTLE_DEFAULTS).toMatchObject({
      maxFailuresPerAccount: 5,
      maxFailuresPerClient: 20,
      windowSeconds: 900,
    });
  });

  it("refuses an account after its failures until the window ends, with the seconds left", () => {
    const { throttle, advanceSeconds } = pinnedThrottle({ maxFailuresPerAccount: 3 });
    for (let index = 0; index < 3; index++) {
      expect(throttle.beginAttempt("bob", `10.0.0.${index}`)).toEqual({ allowed: true });
      advanceSeconds(10);
    }
    expect(throttle.beginAttempt("BOB", "10.0.0.99")).toEqual({
      allowed: false,
      retryAfterSeconds: 900 - 30,
    });
    advanceSeconds(900 - 30 - 1);
    expect(throttle.beginAttempt("bob", "10.0.0.99")).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
    advanceSeconds(1);
    expect(throttle.beginAttempt("bob", "10.0.0.99")).toEqual({ allowed: true });
  });

  it("refuses a client after its failures, whatever account it tries next", () => {
    const { throttle } = pinnedThrottle({ maxFailuresPerClient: 4 });
    for (let index = 0; index < 4; index++) {
      expect(throttle.beginAttempt(`user-${index}`, "10.0.0.1").allowed).toBe(true);
    }
    expect(throttle.beginAttempt("alice", "10.0.0.1").allowed).toBe(false);
    expect(throttle.beginAttempt("alice", "10.0.0.2").allowed).toBe(true);
  });

  it("counts a try when it starts, so parallel tries cannot slip past the limit", () => {
    const { throttle } = pinnedThrottle({ maxFailuresPerAccount: 3 });
    const answers = Array.from({ length: 10 }, () => throttle.beginAttempt("bob", "10.0.0.1"));
    expect(answers.filter((answer) => answer.allowed)).toHaveLength(3);
  });

  it("forgets an account's failures on success, and the success does not count for the client", () => {
    const { throttle } = pinnedThrottle({ maxFailuresPerAccount: 3, maxFailuresPerClient: 3 });
    throttle.beginAttempt("alice", "10.0.0.1");
    throttle.beginAttempt("alice", "10.0.0.1");
    expect(throttle.beginAttempt("alice", "10.0.0.1").allowed).toBe(true);
    throttle.recordSuccess("alice", "10.0.0.1");
    // Two failures left on the client, none on the account: one more try each way.
    expect(throttle.beginAttempt("alice", "10.0.0.2").allowed).toBe(true);
    expect(throttle.beginAttempt("mallory", "10.0.0.1").allowed).toBe(true);
    expect(throttle.beginAttempt("mallory", "10.0.0.1").allowed).toBe(false);
  });

  it("keeps at most maxEntries counters of each kind under a flood of distinct usernames", () => {
    const { throttle, advanceSeconds } = pinnedThrottle({ maxEntries: 500 });
    for (let index = 0; index < 20_000; index++) {
      throttle.beginAttempt(
        `user-${index}-${"x".repeat(100)}`,
        `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`,
      );
    }
    expect(throttle.size).toBeLessThanOrEqual(2 * 500);
    // Counters of ended windows go as new ones come.
    advanceSeconds(900);
    throttle.beginAttempt("late", "10.9.9.9");
    expect(throttle.size).toBe(2);
  });

  it("keeps memory per counter bounded for a huge username", () => {
    const { throttle } = pinnedThrottle({ maxFailuresPerAccount: 1 });
    throttle.beginAttempt("a".repeat(15_000), "10.0.0.1");
    // The key is cut to a bounded length: the same long prefix is the same account.
    expect(throttle.beginAttempt(`${"a".repeat(15_000)}b`, "10.0.0.2").allowed).toBe(false);
  });

  it.each([
    [{ maxFailuresPerAccount: 0 }],
    [{ maxFailuresPerClient: 1.5 }],
    [{ windowSeconds: -1 }],
    [{ maxEntries: Number.NaN }],
  ])("refuses %o when built, saying how to fix it", (options) => {
    expect(() => new LoginThrottle(options)).toThrow(/must be a whole number of 1 or more/);
  });
});

const PASSWORDS: Record<string, string> = { alice: "wonderland", bob: "builder" };

/** The demo's routes in process, with a password check the test counts. */
function routeHarness(options: Partial<LoginThrottleOptions>) {
  const { throttle, advanceSeconds } = pinnedThrottle(options);
  const verifyCredentials = vi.fn(
    async (username: string, password: string): Promise<User | null> =>
      PASSWORDS[username] === password ? { id: username, name: username } : null,
  );
  const manager = new SessionManager<DemoData>({ store: new MemoryStore() });
  const app = createDemoApp(manager, "test", 900, { loginThrottle: throttle, verifyCredentials });
  const login = async (
    username: string,
    password: string,
    clientIp: string,
    as: "json" | "browser form" = "json",
  ) => {
    const setCookies: string[] = [];
    const session = await manager.load(undefined, {
      secure: false,
      host: "localhost",
      ip: clientIp,
    });
    const form = as === "browser form";
    const fields = { username, password };
    const response = await handleRequest(app, {
      method: "POST",
      path: "/login",
      contentType: form ? "application/x-www-form-urlencoded" : "application/json",
      accept: form ? "text/html" : "application/json",
      cookie: undefined,
      readBody: async () =>
        form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
      session,
      clientIp,
    });
    const committed = await session.commit();
    if (committed !== null) setCookies.push(committed.setCookie);
    return { ...response, setCookies };
  };
  return { login, verifyCredentials, advanceSeconds };
}

describe("POST /login is throttled in the shared routes (SEC-61)", () => {
  it("refuses with 429, Retry-After and too_many_attempts, no cookie, and no password check", async () => {
    const { login, verifyCredentials, advanceSeconds } = routeHarness({
      maxFailuresPerAccount: 2,
      windowSeconds: 60,
    });
    expect((await login("bob", "guess-1", "10.0.0.1")).status).toBe(401);
    expect((await login("bob", "guess-2", "10.0.0.1")).status).toBe(401);
    expect(verifyCredentials).toHaveBeenCalledTimes(2);
    advanceSeconds(15);

    const refused = await login("bob", "builder", "10.0.0.2");
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("45");
    expect(refused.headers["cache-control"]).toContain("no-store");
    expect(JSON.parse(refused.body)).toEqual({ error: "too_many_attempts" });
    expect(refused.setCookies).toEqual([]);

    const page = await login("bob", "builder", "10.0.0.3", "browser form");
    expect(page.status).toBe(429);
    expect(page.headers["retry-after"]).toBe("45");
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("Too many sign-in attempts.");
    expect(page.body).toContain('action="/login"');
    expect(page.setCookies).toEqual([]);
    // Neither refused try reached the password check: no scrypt work at all.
    expect(verifyCredentials).toHaveBeenCalledTimes(2);

    advanceSeconds(45);
    const after = await login("bob", "builder", "10.0.0.2");
    expect(after.status).toBe(200);
    expect(after.setCookies).toHaveLength(1);
  });

  it("never refuses alice for failures on bob, from the same or another client", async () => {
    const { login, verifyCredentials } = routeHarness({
      maxFailuresPerAccount: 5,
      maxFailuresPerClient: 20,
    });
    // Client X guesses bob's password until bob's account is limited.
    for (let index = 0; index < 5; index++) {
      expect((await login("bob", `guess-${index}`, "10.0.0.66")).status).toBe(401);
    }
    expect((await login("bob", "guess", "10.0.0.66")).status).toBe(429);
    expect((await login("alice", "wonderland", "10.0.0.7")).status).toBe(200);
    expect((await login("alice", "wonderland", "10.0.0.66")).status).toBe(200);

    // X goes on with other usernames until the client itself is limited.
    for (let index = 0; index < 20 - 5; index++) {
      expect((await login(`user-${index}`, "guess", "10.0.0.66")).status).toBe(401);
    }
    const calls = verifyCredentials.mock.calls.length;
    expect((await login("alice", "wonderland", "10.0.0.66")).status).toBe(429);
    expect(verifyCredentials).toHaveBeenCalledTimes(calls);
    const elsewhere = await login("alice", "wonderland", "10.0.0.7");
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.setCookies).toHaveLength(1);
  });

  it("clears the account's failure count on a successful sign-in", async () => {
    const { login } = routeHarness({ maxFailuresPerAccount: 3 });
    for (const round of [1, 2, 3]) {
      expect((await login("alice", `typo-${round}-a`, "10.0.0.1")).status).toBe(401);
      expect((await login("alice", `typo-${round}-b`, "10.0.0.1")).status).toBe(401);
      expect((await login("alice", "wonderland", "10.0.0.1")).status).toBe(200);
    }
  });

  it("answers a throttled unknown username exactly like a throttled real one", async () => {
    const { login } = routeHarness({ maxFailuresPerAccount: 1 });
    await login("bob", "guess", "10.0.0.1");
    await login("nobody", "guess", "10.0.0.2");
    const real = await login("bob", "guess", "10.0.0.3");
    const unknown = await login("nobody", "guess", "10.0.0.4");
    expect(unknown.status).toBe(429);
    expect(unknown).toEqual(real);
  });
});

describe("demo configuration of the login throttle", () => {
  it("reads LOGIN_MAX_FAILURES_PER_ACCOUNT, LOGIN_MAX_FAILURES_PER_CLIENT, LOGIN_THROTTLE_WINDOW_SECONDS", () => {
    expect(readConfig({}).loginThrottle).toEqual({
      maxFailuresPerAccount: LOGIN_THROTTLE_DEFAULTS.maxFailuresPerAccount,
      maxFailuresPerClient: LOGIN_THROTTLE_DEFAULTS.maxFailuresPerClient,
      windowSeconds: LOGIN_THROTTLE_DEFAULTS.windowSeconds,
    });
    const env = {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "2",
      LOGIN_MAX_FAILURES_PER_CLIENT: "4",
      LOGIN_THROTTLE_WINDOW_SECONDS: "60",
    };
    expect(readConfig(env).loginThrottle).toEqual({
      maxFailuresPerAccount: 2,
      maxFailuresPerClient: 4,
      windowSeconds: 60,
    });
    expect(() => readConfig({ LOGIN_MAX_FAILURES_PER_CLIENT: "0" })).toThrow(
      /LOGIN_MAX_FAILURES_PER_CLIENT/,
    );
  });
});

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** POSTs a login from the loopback address `from`, which the demo sees as the client IP. */
function postLogin(
  demo: DemoProcess,
  from: string,
  fields: Record<string, string>,
  as: "json" | "browser form" = "json",
): Promise<RawReply> {
  const form = as === "browser form";
  const body = form ? new URLSearchParams(fields).toString() : JSON.stringify(fields);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: "127.0.0.1",
        port: demo.port,
        localAddress: from,
        method: "POST",
        path: "/login",
        agent: false,
        headers: {
          "content-type": form ? "application/x-www-form-urlencoded" : "application/json",
          accept: form ? "text/html" : "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

describe.each(FRAMEWORKS)("the demo on %s throttles POST /login (SEC-61)", (framework) => {
  let demo: DemoProcess;
  const X = "127.0.0.2";
  const Y = "127.0.0.3";

  beforeAll(async () => {
    demo = await startDemo({
      FRAMEWORK: framework,
      SESSION_STORE: "memory",
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "2",
      LOGIN_MAX_FAILURES_PER_CLIENT: "4",
      LOGIN_THROTTLE_WINDOW_SECONDS: "60",
    });
  });

  afterAll(async () => {
    const code = await demo?.stop();
    expect(code, demo?.output()).toBe(0);
  });

  it("limits per account and per client (the client IP), never alice for bob's failures", async () => {
    const bobGuess = { username: "bob", password: "guess" };
    expect((await postLogin(demo, X, bobGuess)).status).toBe(401);
    expect((await postLogin(demo, X, bobGuess)).status).toBe(401);

    const refused = await postLogin(demo, Y, { username: "bob", password: "builder" });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ error: "too_many_attempts" });
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(refused.headers["set-cookie"]).toBeUndefined();

    // Bob's account is limited, alice's is not, and X is still under its client limit.
    const alice = { username: "alice", password: "wonderland" };
    const fromX = await postLogin(demo, X, alice);
    expect(fromX.status).toBe(200);
    expect(fromX.headers["set-cookie"]).toHaveLength(1);

    // Two more failures make four for X: now X is refused, even with alice's password.
    for (const username of ["mallory", "trudy"]) {
      expect((await postLogin(demo, X, { username, password: "guess" })).status).toBe(401);
    }
    expect((await postLogin(demo, X, alice)).status).toBe(429);
    const page = await postLogin(demo, X, alice, "browser form");
    expect(page.status).toBe(429);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.text).toContain("Too many sign-in attempts.");
    expect(page.headers["retry-after"]).toMatch(/^\d+$/);
    expect(page.headers["set-cookie"]).toBeUndefined();

    // Alice from another client is not affected.
    expect((await postLogin(demo, Y, alice)).status).toBe(200);
  });
});
