import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TrustProxy } from "../forwarded.js";
import { MemoryStore } from "../memory-store.js";
import { SessionManager } from "../session-manager.js";
import {
  type AdapterHarness,
  createConformanceRoutes,
  Latch,
  SharedError,
  STREAM_CHUNKS,
} from "./conformance-routes.js";
import { FaultInjectingStore, INJECTED_FAULT_MESSAGE } from "./fault-injecting-store.js";
import {
  type ConformanceServer,
  type HttpReply,
  type RequestOptions,
  sendRaw,
  sendRequest,
  setCookieLines,
} from "./http-client.js";

export {
  type AdapterHarness,
  type ConformanceApp,
  type ConformanceInput,
  type ConformanceResult,
  type ConformanceRoute,
  createConformanceRoutes,
  Latch,
  SharedError,
  STREAM_CHUNKS,
  UNAUTHENTICATED,
} from "./conformance-routes.js";
export {
  FaultInjectingStore,
  type FaultMode,
  INJECTED_FAULT_MESSAGE,
  type StoreOperation,
} from "./fault-injecting-store.js";
export {
  type ConformanceServer,
  type HttpReply,
  listenOnLoopback,
  type RawReply,
  type RequestOptions,
  sendRaw,
  sendRequest,
  setCookieLines,
} from "./http-client.js";

/** The store timeout the suite runs with: a hanging store must give a 503 about this fast. */
const STORE_TIMEOUT_MS = 300;
/** Slack on top of the store timeout for a loaded test machine. */
const TIMING_SLACK_MS = 700;
const CLEARED_ATTRIBUTES =
  "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax";
/** Stack frames, as `at fn (file:1:2)`: never in a response body. */
const STACK_FRAME = /at .*\(.*:\d+:\d+\)/;
/**
 * The client IP recorded without proxy trust: the loopback peer's address, or none where the
 * server does not tell the app its peer (a bare `fetch` handler).
 */
const PEER_ADDRESS = /^(::ffff:)?127\.0\.0\.1$|^none$/;

/**
 * `X-Forwarded-For` as two appending proxies leave it: the client's own claim, the client's
 * address (written by the outer proxy), the outer proxy's address (written by the inner one).
 */
const TWO_PROXIES_FORWARDED_FOR = "203.0.113.66, 198.51.100.7, 10.0.0.2";

/** A POST with these header lines to the app a test started. */
type Post = (
  path: string,
  headerLines: readonly (readonly [string, string])[],
) => ReturnType<typeof sendRaw>;

/** Cookie values that can never be a token: they must not reach the store. */
const NOT_TOKENS: readonly (readonly [
  label: string,
  cookie: (name: string, valid: string) => string,
])[] = [
  ["a truncated token", (name, valid) => `${name}=${valid.slice(0, -1)}`],
  ["a token with trailing garbage", (name, valid) => `${name}=${valid}x`],
  ["a token with base64 padding", (name, valid) => `${name}=${valid}=`],
  [
    "a token with one character percent-encoded",
    (name, valid) => `${name}=%${hex(valid)}${valid.slice(1)}`,
  ],
  ["an empty value", (name) => `${name}=`],
  ["a quoted empty value", (name) => `${name}=""`],
  ["a foreign signed value", (name) => `${name}=s%3AHk2mWcY1y0dK.ZmFrZS1zaWduYXR1cmU`],
  ["a JWT", (name) => `${name}=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.`],
  ["an SQL injection", (name) => `${name}=' OR '1'='1`],
  ["a path traversal", (name) => `${name}=../../etc/passwd`],
  ["a percent-encoded NUL", (name) => `${name}=%00`],
  ["a 4000-byte value", (name) => `${name}=${"a".repeat(4000)}`],
  [
    "the valid cookie, then a different value",
    (name, valid) => `${name}=${valid}; ${name}=${other(valid)}`,
  ],
  [
    "a different value, then the valid cookie",
    (name, valid) => `${name}=${other(valid)}; ${name}=${valid}`,
  ],
  ["a nameless pair carrying the name", (name, valid) => `=${name}=${valid}`],
  ["the name in another case", (name, valid) => `${name.toUpperCase()}=${valid}`],
  [
    "the name percent-encoded",
    (name, valid) => `${encodeURIComponent(name).replace(/_/g, "%5F")}=${valid}`,
  ],
  [
    "the name planted after a comma in another cookie",
    (name, valid) => `other=x, ${name}=${valid}`,
  ],
];

function hex(valid: string): string {
  return valid.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
}

/** A well-formed token that differs from `valid` (and was never issued). */
function other(valid: string): string {
  return `${valid[0] === "A" ? "B" : "A"}${valid.slice(1)}`;
}

function cookieName(line: string): string {
  return line.slice(0, line.indexOf("="));
}

function cookieValue(line: string): string {
  const end = line.indexOf(";");
  return line.slice(line.indexOf("=") + 1, end === -1 ? undefined : end);
}

function varies(reply: HttpReply): string[] {
  return (reply.headers.get("vary") ?? "").split(",").map((token) => token.trim().toLowerCase());
}

/** The client IP `POST /login-ip` answers: the one its new session recorded, or `"none"`. */
function recordedIp(reply: { body: string }): string {
  const { ip } = JSON.parse(reply.body) as { ip: string | null };
  return ip ?? "none";
}

function expectGenericErrorBody(body: string): void {
  expect(body).not.toContain(INJECTED_FAULT_MESSAGE);
  expect(body).not.toContain("ECONNREFUSED");
  expect(body).not.toContain("Session store");
  expect(body).not.toMatch(STACK_FRAME);
}

/**
 * The adapter conformance suite: one `describe` block that drives a real server (built by the
 * adapter's `harness` on a real socket) with a real HTTP client, and checks that the adapter
 * behaves exactly like every other one: cookie attributes, no writes for unchanged sessions,
 * rotation, logout (also racing a slow request), hostile cookies, store outages, cross-origin
 * refusals, cache headers, separate `Set-Cookie` lines, repeated `Cookie` lines, proxy trust
 * (only the `X-Forwarded-*` entries the trusted proxies appended count, never the client's part),
 * and no session cookie left on an error or reply the app reuses across requests.
 *
 * The suite builds the `SessionManager` itself, on a {@link FaultInjectingStore} over a
 * `MemoryStore`, with `storeTimeoutMs: 300`.
 *
 * @example
 * ```ts
 * import { describeAdapterConformance, listenOnLoopback } from "@sesame/core/testing";
 * describeAdapterConformance("Koa 3", {
 *   async start({ manager, routes, trustProxy }) {
 *     const app = new Koa();
 *     app.proxy = trustProxy !== false && trustProxy !== 0;
 *     if (typeof trustProxy === "number") app.maxIpsCount = trustProxy;
 *     app.use(crossOriginProtection()).use(sessionMiddleware(manager));
 *     // … mount `routes` …
 *     return listenOnLoopback(app.callback());
 *   },
 * });
 * ```
 */
export function describeAdapterConformance(name: string, harness: AdapterHarness): void {
  describe(`${name} conforms to the adapter contract`, () => {
    let memory: MemoryStore;
    let store: FaultInjectingStore;
    let manager: SessionManager;
    let latch: Latch;
    let sharedError: SharedError;
    let warnings: string[];
    let servers: ConformanceServer[];
    let server: ConformanceServer;
    let sessionCookie: string;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };

    const start = async (trustProxy: TrustProxy): Promise<ConformanceServer> => {
      const started = await harness.start({
        manager,
        routes: createConformanceRoutes(latch, sharedError),
        trustProxy,
      });
      servers.push(started);
      return started;
    };
    const call = (method: string, path: string, options?: RequestOptions): Promise<HttpReply> =>
      sendRequest(server.url, method, path, options);
    const sessionLines = (lines: readonly string[]): string[] =>
      lines.filter((line) => cookieName(line) === sessionCookie);
    /** Signs `userId` in and returns the `Cookie` header that carries the session. */
    const login = async (userId = "alice"): Promise<string> => {
      const reply = await call("POST", "/login", { json: { userId } });
      expect(reply.status).toBe(200);
      const [line] = sessionLines(reply.setCookies);
      expect(line).toBeDefined();
      return `${sessionCookie}=${cookieValue(line!)}`;
    };
    const me = (cookie: string | undefined): Promise<HttpReply> =>
      call("GET", "/me", cookie === undefined ? {} : { cookie });

    beforeAll(() => {
      process.on("unhandledRejection", onUnhandled);
    });
    afterAll(() => {
      process.off("unhandledRejection", onUnhandled);
    });
    beforeEach(async () => {
      memory = new MemoryStore();
      store = new FaultInjectingStore(memory);
      warnings = [];
      manager = new SessionManager({
        store,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        onWarning: (message) => warnings.push(message),
      });
      sessionCookie = manager.cookieName;
      latch = new Latch();
      sharedError = new SharedError();
      servers = [];
      server = await start(false);
    });
    afterEach(async () => {
      latch.release();
      store.setMode("ok");
      await Promise.all(servers.map((started) => started.close()));
      expect(unhandled).toEqual([]);
    });

    describe("cookies and saving", () => {
      it("issues one __Host- cookie with Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no Max-Age", async () => {
        const reply = await call("POST", "/login", { json: { userId: "alice" } });
        expect(reply.status).toBe(200);
        expect(JSON.parse(reply.body)).toEqual({ userId: "alice" });
        expect(reply.setCookies).toHaveLength(1);
        const line = reply.setCookies[0]!;
        expect(line).toMatch(
          /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
        );
        expect(line).not.toMatch(/Domain=|Max-Age=|Expires=/i);
        expect(reply.headers.get("cache-control")).toBe("no-store");
        expect(varies(reply)).toContain("cookie");
        expect(store.calls.create).toBe(1);
      });

      it.each([
        ["Cookie", "cookie"],
        ["Accept-Encoding, cookie", "accept-encoding, cookie"],
        ["Accept-Encoding", "accept-encoding, cookie"],
        ["*", "*"],
      ])("keeps the route's own Vary: %s as %s, Cookie in it once", async (own, expected) => {
        const reply = await call("POST", "/login-varying", { json: { vary: own } });
        expect(reply.status).toBe(200);
        expect(reply.setCookies).toHaveLength(1);
        expect(varies(reply).join(", ")).toBe(expected);
      });

      it("makes no session and no store call for an anonymous request that changes nothing", async () => {
        const reply = await call("GET", "/public");
        expect(reply.status).toBe(200);
        expect(reply.setCookies).toEqual([]);
        expect(store.totalCalls).toBe(0);
        expect(memory.size).toBe(0);
      });

      it("sends no Set-Cookie and writes nothing for a session the request did not change", async () => {
        const cookie = await login();
        store.resetCalls();
        const reply = await me(cookie);
        expect(reply.status).toBe(200);
        expect(JSON.parse(reply.body)).toEqual({ userId: "alice", data: {} });
        expect(reply.setCookies).toEqual([]);
        expect(store.calls.get).toBe(1);
        expect(store.writeCalls).toBe(0);
      });

      it("persists a data change without a new cookie", async () => {
        const cookie = await login();
        store.resetCalls();
        const reply = await call("PUT", "/data", { cookie, json: { key: "theme", value: "dark" } });
        expect(reply.status).toBe(200);
        expect(reply.setCookies).toEqual([]);
        expect(store.calls.update).toBe(1);
        expect(JSON.parse((await me(cookie)).body)).toEqual({
          userId: "alice",
          data: { theme: "dark" },
        });
      });

      it("destroys the session on logout, clears the cookie with the same attributes, and refuses the old cookie", async () => {
        const cookie = await login();
        const reply = await call("POST", "/logout", { cookie });
        expect(reply.status).toBe(204);
        expect(reply.setCookies).toEqual([`${sessionCookie}=; ${CLEARED_ATTRIBUTES}`]);
        expect(reply.headers.get("cache-control")).toBe("no-store");
        expect(varies(reply)).toContain("cookie");
        expect(memory.size).toBe(0);
        const replay = await me(cookie);
        expect(replay.status).toBe(401);
        expect(replay.setCookies).toEqual([]);
      });

      it("sends the cookie of a sign-in and a sign-out the route did not await, over a stored session", async () => {
        const alice = await login();
        const switched = await call("POST", "/switch-unawaited", {
          cookie: alice,
          json: { userId: "bob" },
        });
        const [line] = sessionLines(switched.setCookies);
        expect(line).toMatch(new RegExp(`^${sessionCookie}=[^;]`));
        const bob = `${sessionCookie}=${cookieValue(line!)}`;
        expect(JSON.parse((await me(bob)).body)).toMatchObject({ userId: "bob" });
        expect((await me(alice)).status).toBe(401);
        const out = await call("POST", "/switch-unawaited", { cookie: bob, json: {} });
        expect(out.setCookies).toEqual([`${sessionCookie}=; ${CLEARED_ATTRIBUTES}`]);
        expect((await me(bob)).status).toBe(401);
        expect(memory.size).toBe(0);
      });

      it("rotates the token, keeps the data, and kills the old token at once", async () => {
        const cookie = await login();
        await call("PUT", "/data", { cookie, json: { key: "theme", value: "dark" } });
        const reply = await call("POST", "/rotate", { cookie });
        expect(reply.status).toBe(200);
        const lines = sessionLines(reply.setCookies);
        expect(lines).toHaveLength(1);
        const rotated = `${sessionCookie}=${cookieValue(lines[0]!)}`;
        expect(rotated).not.toBe(cookie);
        expect((await me(cookie)).status).toBe(401);
        const after = await me(rotated);
        expect(after.status).toBe(200);
        expect(JSON.parse(after.body)).toEqual({ userId: "alice", data: { theme: "dark" } });
      });

      it("keeps both changes of two overlapping requests that change different keys", async () => {
        const cookie = await login();
        const first = call("POST", "/slow-write", { cookie, json: { key: "a", value: 1 } });
        const second = call("POST", "/slow-write", { cookie, json: { key: "b", value: 2 } });
        await latch.untilWaiting(2);
        latch.release();
        expect((await first).status).toBe(200);
        expect((await second).status).toBe(200);
        expect(JSON.parse((await me(cookie)).body).data).toEqual({ a: 1, b: 2 });
      });

      it("never undoes a logout that happened during a slow request", async () => {
        const cookie = await login();
        const slow = call("POST", "/slow-write", { cookie, json: { key: "late", value: 1 } });
        await latch.untilWaiting(1);
        const logout = await call("POST", "/logout", { cookie });
        expect(logout.status).toBe(204);
        latch.release();
        const reply = await slow;
        expect(reply.status).toBeLessThan(500);
        const revived = sessionLines(reply.setCookies).filter((line) => cookieValue(line) !== "");
        expect(revived).toEqual([]);
        expect((await me(cookie)).status).toBe(401);
        expect(memory.size).toBe(0);
      });
    });

    describe("hostile cookies", () => {
      it("answers an unknown token of the right shape like no cookie at all", async () => {
        const valid = cookieValue(await login());
        const anonymous = await me(undefined);
        const reply = await me(`${sessionCookie}=${other(valid)}`);
        expect(reply.status).toBe(401);
        expect(reply.body).toBe(anonymous.body);
        expect(reply.setCookies).toEqual([]);
      });

      it.each(NOT_TOKENS)("treats %s as anonymous, without a store call", async (_label, make) => {
        const valid = (await login()).slice(sessionCookie.length + 1);
        const anonymous = await me(undefined);
        store.resetCalls();
        const cookie = make(sessionCookie, valid);
        const reply = await me(cookie);
        expect(reply.status).toBe(401);
        expect(reply.body).toBe(anonymous.body);
        expect(reply.setCookies).toEqual([]);
        const publicReply = await call("GET", "/public", { cookie });
        expect(publicReply.status).toBe(200);
        expect(publicReply.setCookies).toEqual([]);
        expect(store.totalCalls).toBe(0);
      });

      it("reads the session cookie from a second Cookie header line", async () => {
        const cookie = await login();
        const reply = await sendRaw(server.url, "GET", "/me", [
          ["Cookie", "theme=dark"],
          ["Cookie", cookie],
        ]);
        expect(reply.status).toBe(200);
        expect(JSON.parse(reply.body).userId).toBe("alice");
      });

      it("treats two Cookie lines with different session values as anonymous", async () => {
        const cookie = await login();
        store.resetCalls();
        const reply = await sendRaw(server.url, "GET", "/me", [
          ["Cookie", cookie],
          ["Cookie", `${sessionCookie}=${other(cookieValue(cookie))}`],
        ]);
        expect(reply.status).toBe(401);
        expect(store.totalCalls).toBe(0);
      });
    });

    describe("store outages", () => {
      it("answers 503 while the store fails, never a cookie, and recovers when it is back", async () => {
        const cookie = await login();
        store.setMode("fail");
        const reply = await me(cookie);
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
        const loginReply = await call("POST", "/login", { json: { userId: "bob" } });
        expect(loginReply.status).toBe(503);
        expectGenericErrorBody(loginReply.body);
        expect(loginReply.setCookies).toEqual([]);
        expect((await call("GET", "/public")).status).toBe(200);
        store.setMode("ok");
        const recovered = await me(cookie);
        expect(recovered.status).toBe(200);
        expect(JSON.parse(recovered.body).userId).toBe("alice");
      });

      it("answers 503 for a failing store on a path no route serves", async () => {
        const cookie = await login();
        store.setMode("fail");
        const reply = await call("GET", "/no-such-route", { cookie });
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
      });

      it("answers 503 within the store timeout while the store hangs, then recovers", async () => {
        const cookie = await login();
        store.setMode("hang");
        store.resetCalls();
        const startedAt = performance.now();
        const reply = await me(cookie);
        const elapsed = performance.now() - startedAt;
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
        expect(elapsed).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 20);
        expect(elapsed).toBeLessThan(STORE_TIMEOUT_MS + TIMING_SLACK_MS);
        expect(store.calls.get).toBe(1);
        store.setMode("ok");
        expect((await me(cookie)).status).toBe(200);
      });

      it("answers 503 when saving fails after the route has answered, and keeps the old data", async () => {
        const cookie = await login();
        store.setMode("fail", { only: ["update"] });
        const reply = await call("PUT", "/data", { cookie, json: { key: "theme", value: "dark" } });
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
        store.setMode("ok");
        expect(JSON.parse((await me(cookie)).body).data).toEqual({});
      });

      it("answers 503 when a session verb fails inside a route, and the old cookie still works", async () => {
        const cookie = await login();
        store.setMode("fail", { only: ["create"] });
        const reply = await call("POST", "/rotate", { cookie });
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
        store.setMode("ok");
        expect((await me(cookie)).status).toBe(200);
      });

      it.each([
        ["changed its data", ""],
        ["signed another user in", "bob"],
      ])("commits nothing for a route that %s and then failed on the store", async (_, signIn) => {
        const cookie = await login();
        store.setMode("fail", { only: ["listByUser"] });
        const reply = await call("POST", "/set-then-list", { cookie, json: { signIn } });
        expect(reply.status).toBe(503);
        expectGenericErrorBody(reply.body);
        expect(reply.setCookies).toEqual([]);
        store.setMode("ok");
        const after = await me(cookie);
        // The sign-in destroyed the old session before the failure; a data change was not saved.
        if (signIn === "") expect(JSON.parse(after.body).data).toEqual({});
        else expect(after.status).toBe(401);
      });
    });

    describe("cross-origin requests", () => {
      it.each<[string, Record<string, string>]>([
        ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
        ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
        ["a foreign Origin", { origin: "https://evil.example" }],
        ["Origin: null", { origin: "null" }],
        [
          "a foreign Origin with X-Forwarded-Host and no proxy trust",
          {
            origin: "https://evil.example",
            "x-forwarded-host": "evil.example",
          },
        ],
      ])("refuses an unsafe request with %s, before any session work", async (_label, headers) => {
        const reply = await call("POST", "/login", { headers, json: { userId: "mallory" } });
        expect(reply.status).toBe(403);
        expect(JSON.parse(reply.body)).toEqual({ error: "cross_origin_request_refused" });
        expect(reply.setCookies).toEqual([]);
        expect(store.totalCalls).toBe(0);
      });

      it.each<[string, (url: string) => Record<string, string>]>([
        ["neither Origin nor Sec-Fetch-Site", () => ({})],
        ["Sec-Fetch-Site: same-origin", () => ({ "sec-fetch-site": "same-origin" })],
        ["the server's own Origin", (url) => ({ origin: new URL(url).origin })],
      ])("allows an unsafe request with %s", async (_label, headers) => {
        const reply = await call("POST", "/login", { headers: headers(server.url), json: {} });
        expect(reply.status).toBe(200);
        expect(sessionLines(reply.setCookies)).toHaveLength(1);
      });

      it("lets safe methods through whatever their origin", async () => {
        const reply = await call("GET", "/public", { headers: { "sec-fetch-site": "cross-site" } });
        expect(reply.status).toBe(200);
      });

      it("takes the target origin from X-Forwarded-Host when the proxy is trusted", async () => {
        server = await start(true);
        const reply = await call("POST", "/login", {
          headers: {
            origin: "https://app.example",
            "x-forwarded-host": "app.example",
            "x-forwarded-proto": "https",
          },
          json: {},
        });
        expect(reply.status).toBe(200);
      });
    });

    describe("response headers", () => {
      it("keeps three other cookies and the rotated session cookie on four separate lines", async () => {
        const cookie = await login();
        const reply = await sendRaw(server.url, "POST", "/three-cookies", [["Cookie", cookie]]);
        expect(reply.status).toBe(200);
        const lines = setCookieLines(reply);
        expect(lines).toHaveLength(4);
        expect(lines.map(cookieName).sort()).toEqual(
          [sessionCookie, "lang", "seen", "theme"].sort(),
        );
        const session = lines.find((line) => cookieName(line) === sessionCookie)!;
        expect(cookieValue(session)).not.toBe(cookieValue(cookie));
        expect(session).toMatch(/; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
      });

      it("sets the session cookie on a redirect", async () => {
        const reply = await call("POST", "/login-redirect");
        expect(reply.status).toBe(303);
        expect(reply.headers.get("location")).toBe("/me");
        const lines = sessionLines(reply.setCookies);
        expect(lines).toHaveLength(1);
        expect(reply.headers.get("cache-control")).toBe("no-store");
        expect((await me(`${sessionCookie}=${cookieValue(lines[0]!)}`)).status).toBe(200);
      });

      it("sets the session cookie on a streamed body, before the first byte", async () => {
        const reply = await call("POST", "/login-stream");
        expect(reply.status).toBe(200);
        expect(reply.body).toBe(STREAM_CHUNKS.join(""));
        const lines = sessionLines(reply.setCookies);
        expect(lines).toHaveLength(1);
        expect((await me(`${sessionCookie}=${cookieValue(lines[0]!)}`)).status).toBe(200);
      });

      it("still saves the session when the route throws after changing it", async () => {
        const cookie = await login();
        const reply = await call("POST", "/set-then-throw", {
          cookie,
          json: { key: "kept", value: true },
        });
        expect(reply.status).toBe(500);
        expect(reply.setCookies).toEqual([]);
        expect(JSON.parse((await me(cookie)).body).data).toEqual({ kept: true });
      });

      it("refuses a change made once the body is streaming, rather than losing it", async () => {
        const cookie = await login();
        const reply = await call("POST", "/stream-then-set", { cookie });
        expect(reply.status).toBe(200);
        expect(reply.body).toBe("streaming|refused");
        expect(reply.setCookies).toEqual([]);
        expect(JSON.parse((await me(cookie)).body).data).toEqual({});
      });

      it("still clears the cookie when the route throws after a logout", async () => {
        const cookie = await login();
        const reply = await call("POST", "/logout-then-throw", { cookie });
        expect(reply.status).toBe(500);
        expect(reply.setCookies).toEqual([`${sessionCookie}=; ${CLEARED_ATTRIBUTES}`]);
        expect((await me(cookie)).status).toBe(401);
      });
    });

    describe("errors and replies the app reuses", () => {
      it.each([
        ["/shared-error", "error"],
        ["/shared-reply", "reply"],
      ])(
        "never hands a session cookie from one request to the next through %s",
        async (path, marker) => {
          const headersBefore = { ...sharedError.headers };
          const alice = await call("POST", path, { json: { userId: "alice" } });
          expect(alice.status).toBe(404);
          const [aliceLine] = sessionLines(alice.setCookies);
          expect(aliceLine).toBeDefined();
          const anonymous = await call("POST", path);
          expect(anonymous.status).toBe(404);
          expect(anonymous.headers.get("x-shared-reply")).toBe(marker);
          expect(sessionLines(anonymous.setCookies)).toEqual([]);
          const bob = await call("POST", path, { json: { userId: "bob" } });
          const bobLines = sessionLines(bob.setCookies);
          expect(bobLines).toHaveLength(1);
          expect(cookieValue(bobLines[0]!)).not.toBe(cookieValue(aliceLine!));
          expect(sharedError.headers).toEqual(headersBefore);
        },
      );
    });

    describe("transport security and proxy trust", () => {
      const forwardedLogin = (
        url: string,
        proto = "https",
      ): Promise<{ status: number; cookies: string[] }> =>
        sendRaw(url, "POST", "/login", [
          ["Host", "app.example"],
          ["X-Forwarded-Proto", proto],
        ]).then((reply) => ({
          status: reply.status,
          cookies: setCookieLines(reply),
        }));

      it("sets no session cookie over plain HTTP to another host when X-Forwarded-Proto is not trusted", async () => {
        const reply = await forwardedLogin(server.url);
        expect(reply.status).toBe(200);
        expect(reply.cookies).toEqual([]);
        expect(warnings.join("\n")).toMatch(/plain-HTTP/);
      });

      it.each(["https", "HTTPS"])(
        "issues a Secure session cookie behind a trusted proxy that says %s",
        async (proto) => {
          const trusted = await start(true);
          const reply = await forwardedLogin(trusted.url, proto);
          expect(reply.status).toBe(200);
          expect(reply.cookies).toHaveLength(1);
          expect(reply.cookies[0]).toMatch(
            /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
          );
        },
      );
    });

    describe("behind proxies that append to X-Forwarded-*", () => {
      const protoEntry = harness.forwardedProtoEntry ?? "outermost";
      const otherHost = ["Host", "app.example"] as const;
      /** Starts an app trusting `trustProxy`; resolves a function that POSTs to it. */
      const behind = async (trustProxy: TrustProxy): Promise<Post> => {
        const { url } = await start(trustProxy);
        return (path, headerLines) => sendRaw(url, "POST", path, headerLines);
      };

      it("records the client IP the proxy wrote, not the one the client put first", async () => {
        const post = await behind(true);
        const reply = await post("/login-ip", [
          otherHost,
          ["X-Forwarded-For", "203.0.113.66, 198.51.100.7"],
          ["X-Forwarded-Proto", "https"],
        ]);
        expect(recordedIp(reply)).toBe("198.51.100.7");
        expect(setCookieLines(reply)).toHaveLength(1);
      });

      it("issues no cookie over plain HTTP when only the client's part of X-Forwarded-Proto says https", async () => {
        const post = await behind(true);
        const reply = await post("/login", [otherHost, ["X-Forwarded-Proto", "https, http"]]);
        expect(reply.status).toBe(200);
        expect(setCookieLines(reply)).toEqual([]);
      });

      it("reads several X-Forwarded-For and X-Forwarded-Proto lines as one list", async () => {
        const post = await behind(true);
        const forLines = await post("/login-ip", [
          otherHost,
          ["X-Forwarded-For", "203.0.113.66"],
          ["X-Forwarded-For", "198.51.100.7"],
          ["X-Forwarded-Proto", "https"],
        ]);
        expect(recordedIp(forLines)).toBe("198.51.100.7");
        const protoLines = await post("/login", [
          otherHost,
          ["X-Forwarded-Proto", "https"],
          ["X-Forwarded-Proto", "http"],
        ]);
        expect(setCookieLines(protoLines)).toEqual([]);
      });

      it.each([
        [
          "refuses a foreign Origin that matches only the client's part of X-Forwarded-Host",
          "https://evil.example",
          403,
        ],
        ["allows the Origin the proxy wrote in X-Forwarded-Host", "https://app.example", 200],
      ])("%s", async (_label, origin, status) => {
        const post = await behind(true);
        const reply = await post("/login", [
          ["Origin", origin],
          ["X-Forwarded-Host", "evil.example, app.example"],
          ["X-Forwarded-Proto", "https"],
        ]);
        expect(reply.status).toBe(status);
      });

      it("records the client IP the outermost of 2 trusted proxies wrote", async () => {
        const post = await behind(2);
        const reply = await post("/login-ip", [["X-Forwarded-For", TWO_PROXIES_FORWARDED_FOR]]);
        expect(recordedIp(reply)).toBe("198.51.100.7");
      });

      it(`takes X-Forwarded-Proto from the ${protoEntry} of 2 trusted proxies, never from the client's part`, async () => {
        const post = await behind(2);
        const cookiesWhen = async (forwardedProto: string): Promise<string[]> => {
          const reply = await post("/login", [
            otherHost,
            ["X-Forwarded-For", TWO_PROXIES_FORWARDED_FOR],
            ["X-Forwarded-Proto", forwardedProto],
          ]);
          expect(reply.status).toBe(200);
          return setCookieLines(reply);
        };
        const outermost = protoEntry === "outermost" ? 1 : 0;
        expect(await cookiesWhen("http, https, http")).toHaveLength(outermost);
        expect(await cookiesWhen("http, http, https")).toHaveLength(1 - outermost);
        expect(await cookiesWhen("https, http, http")).toEqual([]);
      });

      it("records the peer's address, not X-Forwarded-For, without proxy trust", async () => {
        const reply = await sendRaw(server.url, "POST", "/login-ip", [
          ["X-Forwarded-For", "198.51.100.7"],
          ["X-Forwarded-Proto", "https"],
        ]);
        expect(setCookieLines(reply)).toHaveLength(1);
        expect(recordedIp(reply)).toMatch(PEER_ADDRESS);
      });
    });
  });
}
