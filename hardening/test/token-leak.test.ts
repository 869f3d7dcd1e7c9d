/**
 * No token, cookie value, store key or secret ever shows up where it could be logged (SEC-47):
 * not in an audit event, a warning, an error's message, cause, stack or fields, a session
 * listing, anything printed to the console, a response body or `Location`, nor the output of
 * the demo process. Representative flows run first (sign-in, rotation, renewal, expiry,
 * logout, revocation, store failures, hostile cookies), directly on the core API, through the
 * three adapters over HTTP, and against the started demo; then every captured text is searched
 * for every form of every secret the run handled.
 */
import { randomBytes } from "node:crypto";
import { format } from "node:util";
import {
  MemoryStore,
  type RequestContext,
  type RequestSession,
  type SessionEvent,
  SessionManager,
  type SessionManagerOptions,
  serializeCookie,
} from "@sesame/core";
import { FaultInjectingStore } from "@sesame/core/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DemoProcess, startDemo } from "../../examples/demo/test/support/demo-process.js";
import { HOSTILE_FRAMEWORKS, startHostileApp } from "./support/hostile-apps.js";
import { percentEncodeOne, SESSION_COOKIE } from "./support/hostile-cookies.js";
import { LeakDetector } from "./support/hostile-leaks.js";
import { type RawHeaderValue, type RawResponse, sendRawRequest } from "./support/raw-http.js";

const SECURE: RequestContext = { secure: true, host: "app.example", userAgent: "leak-test" };
const PLAIN_HTTP: RequestContext = { secure: false, host: "app.example", userAgent: "leak-test" };
const SECRET = randomBytes(48).toString("base64");
const OLD_SECRET = randomBytes(48).toString("base64");
const WEAK_SECRET = randomBytes(12).toString("base64");

const leaks = new LeakDetector();
leaks.addSecret(SECRET);
leaks.addSecret(OLD_SECRET);
leaks.addSecret(WEAK_SECRET);
const events: SessionEvent[] = [];
const demoOutputs: Record<string, string> = {};
const errorCodes = new Set<string>();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

function captureError(source: string, error: unknown): void {
  leaks.captureError(source, error);
  const code = (error as { code?: unknown }).code;
  errorCodes.add(typeof code === "string" ? code : (error as Error).name);
}

/** The options every manager of the core flows shares: capture events and warnings. */
function observed(
  options: SessionManagerOptions<Record<string, unknown>>,
): SessionManagerOptions<Record<string, unknown>> {
  return {
    ...options,
    maxRejectedEventsPerSecond: 1_000_000,
    onEvent: (event) => {
      events.push(event);
      leaks.capture("event", JSON.stringify(event));
      leaks.capture("event", format("%o", event));
    },
    onWarning: (message) => leaks.capture("warning", message),
  };
}

/** A browser on the core API: keeps the session cookie, commits like an adapter does. */
class Browser {
  cookie: string | undefined;

  constructor(
    readonly manager: SessionManager,
    readonly context: RequestContext = SECURE,
  ) {}

  header(): string | undefined {
    return this.cookie === undefined ? undefined : `${SESSION_COOKIE}=${this.cookie}`;
  }

  /** One request; an error is captured (as a logger would see it) and gives `undefined`. */
  async run<T>(
    handler: (session: RequestSession) => T | Promise<T>,
    header: string | string[] | undefined = this.header(),
  ): Promise<T | undefined> {
    const lines: string[] = [];
    try {
      const session = await this.manager.load(header, this.context);
      const result = await handler(session);
      const committed = await session.commit();
      if (committed !== null) lines.push(committed.setCookie);
      return result;
    } catch (error) {
      captureError("thrown by the core API", error);
      return undefined;
    } finally {
      leaks.addSetCookies(SESSION_COOKIE, lines);
      for (const line of lines) {
        const value = line.slice(SESSION_COOKIE.length + 1).split(";")[0]!;
        this.cookie = value === "" ? undefined : value;
      }
    }
  }
}

/** Hostile variants of an issued cookie value, as `Cookie` headers. */
function hostileHeaders(value: string, other: string): string[] {
  const name = SESSION_COOKIE;
  const [token = ""] = value.split(".");
  return [
    `${name}=${value.slice(0, -1)}`,
    `${name}=${value}x`,
    `${name}=x${value}`,
    `${name}=${percentEncodeOne(value, 3)}`,
    `${name}=${value}; ${name}=${other}`,
    `${name}=${token}`,
    `${name}=${token}.${token}`,
    `${name}=${value.toUpperCase()}`,
    `__host-sid=${value}`,
    `\u00a0${name}=${value}`,
    `${name}=${value}\u3000`,
    `${name}=${other}`,
  ];
}

/** Sign-in, data, rotation, re-authentication, eviction, listing and revocation, renewal, expiry. */
async function lifecycleFlows(signed: boolean): Promise<void> {
  // The store keeps real time while the manager's clock jumps ahead, as when a store's own
  // expiry lags: the manager must still end idle sessions itself (an "expired" event).
  let time = Date.now();
  const now = (): number => time;
  const manager = new SessionManager(
    observed({
      store: new MemoryStore(),
      now,
      ...(signed && { secrets: [SECRET, OLD_SECRET] }),
      renewalIntervalSeconds: 600,
      renewalGraceSeconds: 30,
      maxSessionsPerUser: 3,
    }),
  );
  const alice = new Browser(manager);
  await alice.run((session) => session.create("alice", { data: { theme: "dark" } }));
  await alice.run((session) => session.set("cart", [1, 2]));
  await alice.run((session) => session.rotate());
  await alice.run((session) => session.reauthenticate());
  const devices = [new Browser(manager), new Browser(manager), new Browser(manager)];
  for (const device of devices) {
    time += 1_000;
    await device.run((session) => session.create("alice", { persistent: true }));
  }
  const listed = await alice.run((session) => session.listSessions());
  leaks.capture("session listing", JSON.stringify(listed));
  leaks.capture("session listing", JSON.stringify(await manager.listUserSessions("alice")));
  await devices[2]!.run((session) => session.revokeSession(listed?.at(-1)?.handle ?? ""));
  await devices[2]!.run((session) => session.revokeOtherSessions());
  const stale = devices[2]!.cookie;
  time += 601_000;
  await devices[2]!.run((session) => session.userId);
  const renewed = new Browser(manager);
  renewed.cookie = stale;
  await renewed.run((session) => session.set("fromOldTab", true));
  time += 31_000;
  await renewed.run((session) => session.userId);
  await devices[2]!.run((session) => session.info);
  const bob = new Browser(manager);
  await bob.run((session) => session.create("bob"));
  time += 31 * 60_000;
  await bob.run((session) => session.userId);
  const carol = new Browser(manager);
  await carol.run((session) => session.create("carol"));
  await carol.run((session) => session.destroy());
  await new Browser(manager).run((session) => session.create("dave"));
  leaks.capture("revocation count", String(await manager.invalidateUserSessions("dave")));
  const erin = new Browser(manager);
  await erin.run((session) => session.create("erin"));
  await erin.run((session) => session.revokeAllSessions());
  const insecure = new Browser(manager, PLAIN_HTTP);
  await insecure.run((session) => session.create("frank"));
}

/** Every hostile variant of every value issued so far, against a fresh manager. */
async function hostileFlows(signed: boolean): Promise<void> {
  const store = new MemoryStore();
  const manager = new SessionManager(observed({ store, ...(signed && { secrets: [SECRET] }) }));
  const mine = new Browser(manager);
  await mine.run((session) => session.create("alice"));
  const other = new Browser(manager);
  await other.run((session) => session.create("bob"));
  for (const value of [...leaks.cookieValues, mine.cookie!]) {
    for (const header of hostileHeaders(value, other.cookie!)) {
      await new Browser(manager).run((session) => session.userId, header);
    }
    await new Browser(manager).run(
      (session) => session.userId,
      [`${SESSION_COOKIE}=${value}`, `${SESSION_COOKIE}=${other.cookie!}`],
    );
  }
}

/** A failing and a hanging store at every step, the anonymous policy, and every error class. */
async function failureFlows(signed: boolean): Promise<void> {
  const store = new FaultInjectingStore(new MemoryStore());
  const secrets = signed ? { secrets: [SECRET] } : {};
  const manager = new SessionManager(observed({ store, storeTimeoutMs: 50, ...secrets }));
  const alice = new Browser(manager);
  await alice.run((session) => session.create("alice"));
  const steps: [Parameters<FaultInjectingStore["setMode"]>, (s: RequestSession) => unknown][] = [
    [["fail"], (session) => session.userId],
    [["hang"], (session) => session.userId],
    [["fail", { only: ["update"] }], (session) => session.set("a", 1)],
    [["fail", { only: ["create"] }], (session) => session.rotate()],
    [["fail", { only: ["delete"] }], (session) => session.destroy()],
    [["hang", { only: ["listByUser"] }], (session) => session.listSessions()],
    [["fail", { only: ["deleteByUser"] }], (session) => session.revokeOtherSessions()],
    [["fail", { only: ["create"] }], (session) => session.create("alice")],
  ];
  for (const [mode, action] of steps) {
    store.setMode(...mode);
    await alice.run(action);
    store.setMode("ok");
  }
  const degraded = new SessionManager(
    observed({ store, onStoreError: "anonymous", storeRetries: 0, ...secrets }),
  );
  store.setMode("fail");
  await new Browser(degraded).run((session) => session.set("x", 1), alice.header());
  store.setMode("ok");

  // The second sign-in comes a second after the first, so the limit's order is unambiguous.
  let signInTime = Date.now();
  const limited = new SessionManager(
    observed({
      maxSessionsPerUser: 1,
      sessionLimitPolicy: "reject",
      now: () => signInTime,
      ...secrets,
    }),
  );
  await new Browser(limited).run((session) => session.create("alice"));
  signInTime += 1_000;
  await new Browser(limited).run((session) => session.create("alice"));
  await alice.run((session) => session.set("__proto__", { isAdmin: true }));
  await alice.run((session) => session.set("big", "x".repeat(100_000)));
  await alice.run((session) => session.set("fn", (() => 1) as unknown as string));
  await alice.run((session) => session.requireRecentAuth(-1));
  await new Browser(manager).run((session) => session.rotate());
  const committed = await alice.run(async (session) => {
    await session.commit();
    return session;
  });
  try {
    committed?.set("late", leaks.cookieValues[0]);
  } catch (error) {
    captureError("thrown by the core API", error);
  }
  try {
    serializeCookie(SESSION_COOKIE, `${leaks.cookieValues[0]} x`);
  } catch (error) {
    captureError("thrown by the core API", error);
  }
  for (const bad of [[WEAK_SECRET], [SECRET, null as unknown as string], [" ".repeat(40)]]) {
    try {
      new SessionManager({ secrets: bad });
    } catch (error) {
      captureError("thrown at configuration", error);
    }
  }
}

/** The same flows over real HTTP through each adapter, console output captured. */
async function adapterFlows(): Promise<void> {
  for (const framework of HOSTILE_FRAMEWORKS) {
    const store = new FaultInjectingStore(new MemoryStore());
    const app = await startHostileApp(framework, {
      store,
      manager: observed({ storeTimeoutMs: 100, secrets: [SECRET] }),
    });
    const send = async (
      method: string,
      target: string,
      cookie?: RawHeaderValue,
    ): Promise<RawResponse> => {
      const headers = cookie === undefined ? [] : [["Cookie", cookie] as const];
      const reply = await sendRawRequest(app.url, { method, target, headers });
      leaks.addSetCookies(SESSION_COOKIE, reply.header("set-cookie"));
      leaks.capture(`${framework} response body`, reply.text);
      leaks.capture(
        `${framework} response headers`,
        JSON.stringify(reply.headerLines.filter(([name]) => name.toLowerCase() !== "set-cookie")),
      );
      return reply;
    };
    const cookieOf = (reply: RawResponse): string =>
      reply.header("set-cookie")[0]?.split(";")[0] ?? "";
    let cookie = cookieOf(await send("POST", "/login"));
    const other = cookieOf(await send("POST", "/login"));
    await send("GET", "/me", cookie);
    cookie = cookieOf(await send("POST", "/rotate", cookie)) || cookie;
    await send("POST", "/throw", cookie);
    for (const header of hostileHeaders(
      cookie.slice(SESSION_COOKIE.length + 1),
      other.slice(SESSION_COOKIE.length + 1),
    )) {
      await send("GET", "/me", header);
    }
    for (const mode of ["fail", "hang"] as const) {
      store.setMode(mode);
      await send("GET", "/me", cookie);
      await send("POST", "/login", cookie);
      store.setMode("ok");
    }
    store.setMode("fail", { only: ["delete"] });
    await send("POST", "/logout", cookie);
    store.setMode("ok");
    await send("POST", "/logout", cookie);
    await app.close();
    for (const error of app.errors) captureError(`${framework} error handler`, error);
    expect(app.errors.length).toBeGreaterThanOrEqual(4);
  }
}

/** The demo as a process, with every `debug` logger on: sign-ins, the page, hostile cookies. */
async function demoFlows(framework: string): Promise<void> {
  const demo = await startDemo({ FRAMEWORK: framework, SESSION_STORE: "memory", DEBUG: "*" });
  try {
    await demoRequests(framework, demo);
  } finally {
    const code = await demo.stop();
    demoOutputs[framework] = demo.output();
    leaks.capture(`demo ${framework} stdout and stderr`, demo.output());
    expect(code).toBe(0);
  }
}

async function demoRequests(framework: string, demo: DemoProcess): Promise<void> {
  const send = async (
    method: string,
    path: string,
    options: { cookie?: RawHeaderValue; json?: unknown; accept?: string } = {},
  ): Promise<RawResponse> => {
    const headers: [string, RawHeaderValue][] = [["User-Agent", "leak-test"]];
    if (options.cookie !== undefined) headers.push(["Cookie", options.cookie]);
    if (options.accept !== undefined) headers.push(["Accept", options.accept]);
    if (options.json !== undefined) headers.push(["Content-Type", "application/json"]);
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const reply = await sendRawRequest(demo.url, { method, target: path, headers, body });
    leaks.addSetCookies(SESSION_COOKIE, reply.header("set-cookie"));
    leaks.capture(`demo ${framework} response body`, reply.text);
    leaks.capture(`demo ${framework} Location`, reply.header("location").join(" "));
    return reply;
  };
  const signIn = async (username: string, password: string): Promise<string> => {
    const reply = await send("POST", "/login", { json: { username, password } });
    return reply.header("set-cookie")[0]?.split(";")[0] ?? "";
  };
  const alice = await signIn("alice", "wonderland");
  const second = await signIn("alice", "wonderland");
  const bob = await signIn("bob", "builder");
  await signIn("alice", "wrong");
  await send("GET", "/api/me", { cookie: alice });
  await send("GET", "/", { cookie: alice, accept: "text/html" });
  await send("PUT", "/api/data/theme", { cookie: alice, json: { value: "dark" } });
  await send("PUT", "/api/data/__proto__", { cookie: alice, json: { value: 1 } });
  const listing = await send("GET", "/api/sessions", { cookie: alice });
  const handles = (JSON.parse(listing.text) as { sessions: { handle: string }[] }).sessions;
  for (const header of hostileHeaders(
    alice.slice(SESSION_COOKIE.length + 1),
    bob.slice(SESSION_COOKIE.length + 1),
  )) {
    await send("GET", "/api/me", { cookie: header });
  }
  await send("DELETE", `/api/sessions/${handles.at(-1)?.handle ?? "none"}`, { cookie: second });
  await send("POST", "/api/sessions/revoke-others", { cookie: alice });
  await send("POST", "/logout", { cookie: alice });
  await send("POST", "/logout", { cookie: bob });
  await send("GET", "/api/me", { cookie: alice });
}

describe("no token, store key or secret where it could be logged (SEC-47)", () => {
  const consoleSpies: ReturnType<typeof vi.spyOn>[] = [];

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      consoleSpies.push(
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          leaks.capture(`console.${method}`, format(...args));
        }),
      );
    }
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      consoleSpies.push(
        vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
          leaks.capture("process output", String(chunk));
          return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof stream.write),
      );
    }
    for (const signed of [false, true]) {
      await lifecycleFlows(signed);
      await hostileFlows(signed);
      await failureFlows(signed);
    }
    await adapterFlows();
    for (const spy of consoleSpies) spy.mockRestore();
    for (const framework of HOSTILE_FRAMEWORKS) await demoFlows(framework);
  });

  afterAll(() => {
    for (const spy of consoleSpies) spy.mockRestore();
    process.off("unhandledRejection", onUnhandled);
  });

  it("ran every flow: events of every kind, warnings, errors of every class, demo output", () => {
    const types = new Set(events.map((event) => event.type));
    expect([...types].sort()).toEqual(
      [
        "created",
        "destroyed",
        "evicted",
        "expired",
        "rejected",
        "revoked",
        "rotated",
        "store_error",
      ].sort(),
    );
    const reasons = new Set(
      events.flatMap((event) => (event.type === "rejected" ? [event.reason] : [])),
    );
    for (const reason of [
      "malformed",
      "duplicate_cookie",
      "unknown_session",
      "renewed_token_reused",
      "bad_signature",
    ]) {
      expect(reasons).toContain(reason);
    }
    for (const code of [
      "store_unavailable",
      "store_timeout",
      "session_data_invalid",
      "session_too_large",
      "reauth_required",
      "no_session",
      "session_limit",
      "cookie_invalid",
      "config_invalid",
    ]) {
      expect(errorCodes).toContain(code);
    }
    const sources = leaks.sources;
    expect(sources.warning).toBeGreaterThanOrEqual(1);
    expect(sources["console.error"]).toBeGreaterThanOrEqual(1);
    for (const framework of HOSTILE_FRAMEWORKS) {
      expect(sources[`demo ${framework} stdout and stderr`]).toBe(1);
      expect(sources[`${framework} error handler`]).toBeGreaterThan(0);
    }
    expect(leaks.cookieValues.length).toBeGreaterThan(40);
    // DEBUG=* reached the demo: Express's router logged every request it dispatched.
    expect(demoOutputs.express).toMatch(/router dispatching GET \/api\/me/);
    expect(unhandled).toEqual([]);
  });

  it("finds what it looks for: a planted value, a fragment of a token, decoded bytes", () => {
    const control = new LeakDetector();
    const value = leaks.cookieValues[0]!;
    const token = value.split(".")[0]!;
    control.addCookieValue(value);
    control.capture("planted value", `cookie=${value}`);
    control.capture("planted fragment", `prefix ${token.slice(5, 25)}…`);
    control.capture("planted bytes", `key ${Buffer.from(token, "base64url").toString("base64")}`);
    control.capture("clean", `nothing to see ${token.slice(0, 15)}`);
    const sources = new Set(control.findLeaks().map((leak) => leak.source));
    expect([...sources].sort()).toEqual(["planted bytes", "planted fragment", "planted value"]);
  });

  it("finds no token, cookie value, store key, MAC or secret in anything captured", () => {
    expect(leaks.findLeaks()).toEqual([]);
  });
});

describe("tokens say nothing about whom they belong to (SEC-02)", () => {
  it("gives one user at one instant unrelated tokens holding no user id, name or time", async () => {
    const time = Date.UTC(2026, 5, 1, 12, 0, 0);
    const userId = "alice@example.com";
    const manager = new SessionManager({ now: () => time, onWarning: () => {} });
    const tokens: Buffer[] = [];
    for (let index = 0; index < 50; index++) {
      const browser = new Browser(manager);
      await browser.run((session) => session.create(userId));
      tokens.push(Buffer.from(browser.cookie!, "base64url"));
    }
    const distances = tokens.slice(1).map((token, index) => hammingDistance(token, tokens[index]!));
    // 256 random bits: two tokens differ in 128 ± 8 bits; 5 sigma either way at most.
    for (const distance of distances) expect(Math.abs(distance - 128)).toBeLessThan(40);
    const mean = distances.reduce((sum, distance) => sum + distance, 0) / distances.length;
    expect(Math.abs(mean - 128)).toBeLessThan(8);
    const seconds = Math.floor(time / 1000);
    const marks: Buffer[] = [
      Buffer.from(userId),
      Buffer.from("alice"),
      Buffer.from(String(time)),
      Buffer.from(String(seconds)),
      bigEndian(time, 6),
      bigEndian(time, 6).reverse(),
      bigEndian(seconds, 4),
      bigEndian(seconds, 4).reverse(),
    ];
    for (const token of tokens) {
      const texts = [
        token.toString("base64url"),
        token.toString("hex"),
        token.toString("base64"),
        token.toString("latin1"),
      ];
      for (const mark of marks) {
        expect(token.includes(mark)).toBe(false);
        for (const text of texts) expect(text.includes(mark.toString("latin1"))).toBe(false);
      }
    }
  });
});

function hammingDistance(a: Buffer, b: Buffer): number {
  let bits = 0;
  for (let index = 0; index < a.length; index++) {
    let difference = a[index]! ^ b[index]!;
    for (; difference !== 0; difference >>= 1) bits += difference & 1;
  }
  return bits;
}

/** `value` as `bytes` big-endian bytes. */
function bigEndian(value: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  buffer.writeUIntBE(value, 0, bytes);
  return buffer;
}
