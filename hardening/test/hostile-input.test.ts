/**
 * Hostile `Cookie` headers against real servers on real sockets: Express, Koa and Hono (on
 * `@hono/node-server`), each with its adapter's `sessionMiddleware`, with unsigned and with
 * signed cookies. Requests go out through a bare `node:net` socket, so every byte reaches
 * Node's parser unchanged.
 *
 * For every input: never a 5xx, never a session, never a `Set-Cookie`; `/me` answers 401 and
 * `/public` 200, both byte for byte what a request without cookies gets (or Node's parser
 * answers 400/431 before the app runs); the server stays up; and a value that cannot be a
 * token never reaches the store. Controls (the valid cookie in every legitimate form) must be
 * recognised, so none of this passes by refusing everything.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { SessionEvent, StoredSession } from "@sesame/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOSTILE_FRAMEWORKS,
  type HostileApp,
  type HostileFramework,
  RecordingStore,
  startHostileApp,
} from "./support/hostile-apps.js";
import {
  anyText,
  type CookieCase,
  couldReachStore,
  headerBytes,
  LOOKALIKE_NAMES,
  lookalikeNameCases,
  mutatedValue,
  otherPairs,
  oversizedCases,
  parserRefusedCases,
  parserRefuses,
  SESSION_COOKIE,
  type SessionValue,
  splitSessionValue,
  structuralCases,
  tamperedValueCases,
  validCookieCases,
  wrongEncodingCases,
} from "./support/hostile-cookies.js";
import { type RawRequest, type RawResponse, sendRawRequest } from "./support/raw-http.js";

/** Generated inputs per property, per framework and signing mode. */
const RUNS = 60;
/** A generous bound: these are loopback requests, a slow one means something is wrong. */
const SLOW_MS = 2_000;
const SECRET = randomBytes(48).toString("base64");
const FOREIGN_SECRET = randomBytes(48).toString("base64");
const STORE_KEY = /^[0-9a-f]{64}$/;
/** Any run of 43 base64url characters: only such text could hold a token. */
const TOKEN_RUN = /[A-Za-z0-9_-]{43}/;

type Signing = "unsigned" | "signed";

const VARIANTS = HOSTILE_FRAMEWORKS.flatMap((framework) =>
  (["unsigned", "signed"] as const).map((signing) => [framework, signing] as const),
);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
});

function sessionValueOf(reply: RawResponse): string {
  const lines = reply.header("set-cookie").filter((line) => line.startsWith(`${SESSION_COOKIE}=`));
  expect(lines).toHaveLength(1);
  return lines[0]!.slice(SESSION_COOKIE.length + 1).split(";")[0]!;
}

/**
 * Signs in until the token holds a `-` or `_`, so that its standard-base64 spelling (with `+`
 * and `/`) differs from the cookie as issued.
 */
async function signIn(app: HostileApp): Promise<SessionValue> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const reply = await sendRawRequest(app.url, { method: "POST", target: "/login" });
    expect(reply.status).toBe(200);
    const issued = splitSessionValue(sessionValueOf(reply));
    if (/[-_]/.test(issued.token)) return issued;
  }
  throw new Error("50 tokens in a row without - or _: the token alphabet is wrong.");
}

/** A value of the issued shape that the server never issued. */
function foreignValue(issued: SessionValue): SessionValue {
  const token = `${issued.token[0] === "A" ? "B" : "A"}${issued.token.slice(1)}`;
  if (issued.mac === undefined) return splitSessionValue(token);
  const mac = createHmac("sha256", FOREIGN_SECRET)
    .update(`${SESSION_COOKIE}=${token}`)
    .digest("base64url");
  return splitSessionValue(`${token}.${mac}`);
}

describe.each(VARIANTS)("%s with %s cookies", (framework: HostileFramework, signing: Signing) => {
  let app: HostileApp;
  let store: RecordingStore;
  let issued: SessionValue;
  let other: SessionValue;
  let baseline: { me: RawResponse; public: RawResponse };
  const events: SessionEvent[] = [];

  beforeAll(async () => {
    store = new RecordingStore();
    app = await startHostileApp(framework, {
      store,
      manager: {
        ...(signing === "signed" && { secrets: [SECRET] }),
        touchIntervalSeconds: 3_600,
        idleTimeoutSeconds: 7_200,
        onWarning: () => {},
        onEvent: (event) => events.push(event),
        maxRejectedEventsPerSecond: 1_000_000,
      },
    });
    issued = await signIn(app);
    other = foreignValue(issued);
    baseline = {
      me: await sendRawRequest(app.url, { target: "/me" }),
      public: await sendRawRequest(app.url, { target: "/public" }),
    };
    expect(baseline.me.status).toBe(401);
    expect(baseline.public.status).toBe(200);
    expect(issued.mac !== undefined).toBe(signing === "signed");
  });

  afterAll(async () => {
    const still = await sendRawRequest(app.url, { target: "/public" });
    await app.close();
    expect(still.status).toBe(200);
    expect(app.errors).toEqual([]);
  });

  /**
   * Sends `testCase` to `/me` and `/public` and checks everything the suite promises. With
   * `soft`, a table test reports every failing case instead of the first.
   */
  async function expectOutcome(testCase: CookieCase, soft = false): Promise<void> {
    const check = soft ? expect.soft : expect;
    const where = `${framework}, ${signing}: ${testCase.label}`;
    const headers = testCase.lines.map((line) => ["Cookie", line] as const);
    store.reset();
    const me = await sendRawRequest(app.url, { target: "/me", headers });
    const pub = await sendRawRequest(app.url, { target: "/public", headers });
    for (const reply of [me, pub]) {
      check(reply.status, where).toBeLessThan(500);
      check(reply.header("set-cookie"), where).toEqual([]);
      check(reply.elapsedMs, where).toBeLessThan(SLOW_MS);
    }
    if (testCase.outcome === "signed-in") {
      check(me.status, where).toBe(200);
      check(JSON.parse(me.text), where).toEqual({ userId: "alice" });
    } else if (testCase.outcome === "anonymous") {
      check(me.status, where).toBe(401);
      check(me.text, where).toBe(baseline.me.text);
      check(Buffer.compare(me.body, baseline.me.body), where).toBe(0);
    } else {
      check(me.status, where).toBe(testCase.outcome);
      check(pub.status, where).toBe(testCase.outcome);
    }
    if (testCase.outcome === "signed-in" || testCase.outcome === "anonymous") {
      check(pub.status, where).toBe(200);
      check(Buffer.compare(pub.body, baseline.public.body), where).toBe(0);
    }
    check(
      store.calls.filter((call) => call.operation !== "get" || !STORE_KEY.test(call.key)),
      `${where}: only lookups by SHA-256 key`,
    ).toEqual([]);
    if (testCase.mayReachStore) check(store.calls.length, where).toBeLessThanOrEqual(2);
    else check(store.calls, `${where}: no store call`).toEqual([]);
  }

  async function expectEvery(cases: readonly CookieCase[]): Promise<void> {
    expect(cases.length).toBeGreaterThan(0);
    for (const testCase of cases) await expectOutcome(testCase, true);
  }

  it("recognises the valid cookie in every legitimate form (the controls)", async () => {
    await expectEvery(validCookieCases(issued));
  });

  it("never takes a look-alike name for the session cookie (SEC-30)", async () => {
    await expectEvery(lookalikeNameCases(issued));
  });

  it("never accepts the valid token in another encoding (SEC-32)", async () => {
    await expectEvery(wrongEncodingCases(issued));
  });

  it("treats truncated, tampered and garbage values as no cookie (SEC-26, SEC-51)", async () => {
    await expectEvery(tamperedValueCases(issued, other));
  });

  it("ignores nameless and comma-planted pairs, and refuses disagreeing duplicates (SEC-28)", async () => {
    await expectEvery(structuralCases(issued, other));
  });

  it("stays anonymous under Node's header limit and answers 431 over it (SEC-50)", async () => {
    await expectEvery(oversizedCases(issued));
  });

  it("lets Node's parser refuse control bytes with 400, never a session", async () => {
    await expectEvery(parserRefusedCases(issued));
  });

  it("reads names colliding with Object.prototype without polluting it (SEC-31)", async () => {
    await expectOutcome({
      label: "prototype names",
      lines: [
        `__proto__=x; constructor=y; toString=z; hasOwnProperty=w; ${SESSION_COOKIE}=${issued.value}`,
      ],
      outcome: "signed-in",
      mayReachStore: true,
    });
    const probe: Record<string, unknown> = {};
    expect(probe.x).toBeUndefined();
    expect(probe.y).toBeUndefined();
    expect(typeof probe.toString).toBe("function");
    expect(typeof probe.hasOwnProperty).toBe("function");
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });

  it("never accepts a generated mutation of the valid value", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedValue(issued.value), async (value) => {
        await expectOutcome({
          label: `mutation ${JSON.stringify(value)}`,
          lines: [`${SESSION_COOKIE}=${value}`],
          outcome: "anonymous",
          mayReachStore: couldReachStore(value, issued),
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("never makes a session of any text as the value (all code points, UTF-8)", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const line = `${SESSION_COOKIE}=${text}`;
        await expectOutcome({
          label: `text ${JSON.stringify(text)}`,
          lines: [line],
          outcome: parserRefuses(Buffer.from(line)) ? 400 : "anonymous",
          mayReachStore: TOKEN_RUN.test(text),
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("never makes a session of any bytes, as the value or as the whole header", async () => {
    await fc.assert(
      fc.asyncProperty(headerBytes, fc.boolean(), async (bytes, asValue) => {
        const line = asValue
          ? Buffer.concat([Buffer.from(`${SESSION_COOKIE}=`), bytes])
          : Buffer.from(bytes);
        await expectOutcome({
          label: `bytes ${Buffer.from(bytes).toString("hex")} (${asValue ? "value" : "header"})`,
          lines: [line],
          outcome: parserRefuses(line) ? 400 : "anonymous",
          mayReachStore: TOKEN_RUN.test(Buffer.from(bytes).toString("latin1")),
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("never takes the valid value under a look-alike name among other cookies", async () => {
    const names = LOOKALIKE_NAMES.map(([, name]) => Buffer.from(name));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.oneof(fc.constant(issued.value), mutatedValue(issued.value)),
        otherPairs,
        otherPairs,
        async (name, value, before, after) => {
          const pair = Buffer.concat([name, Buffer.from(`=${value}`)]);
          const parts = [Buffer.from(before ? `${before}; ` : ""), pair];
          if (after) parts.push(Buffer.from(`; ${after}`));
          await expectOutcome({
            label: `look-alike ${Buffer.concat(parts).toString("latin1")}`,
            lines: [Buffer.concat(parts)],
            outcome: "anonymous",
            mayReachStore: false,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("takes the session only from the cookie: not the query, path, body or other headers (SEC-25)", async () => {
    const value = issued.value;
    const notFound: RawRequest[] = [
      { target: `/me;sid=${value}` },
      { target: `/me;${SESSION_COOKIE}=${value}` },
      { target: `/me/${value}` },
    ];
    const unauthenticated: RawRequest[] = [
      { target: `/me?sid=${value}` },
      { target: `/me?${SESSION_COOKIE}=${value}` },
      { target: `/me?${encodeURIComponent(SESSION_COOKIE)}=${encodeURIComponent(value)}` },
      {
        method: "POST",
        target: "/me",
        headers: [["Content-Type", "application/x-www-form-urlencoded"]],
        body: `sid=${value}&${encodeURIComponent(SESSION_COOKIE)}=${value}`,
      },
      {
        method: "POST",
        target: "/me",
        headers: [["Content-Type", "application/json"]],
        body: JSON.stringify({ sid: value, [SESSION_COOKIE]: value }),
      },
      { target: "/me", headers: [["X-Session-Id", value]] },
      { target: "/me", headers: [["Authorization", `Bearer ${value}`]] },
      { target: "/me", headers: [["Cookie2", `${SESSION_COOKIE}=${value}`]] },
      { target: "/me", headers: [["Set-Cookie", `${SESSION_COOKIE}=${value}`]] },
      { target: "/me", headers: [["X-Cookie", `${SESSION_COOKIE}=${value}`]] },
    ];
    for (const [requests, status] of [
      [unauthenticated, 401],
      [notFound, 404],
    ] as const) {
      for (const request of requests) {
        store.reset();
        const reply = await sendRawRequest(app.url, request);
        const where = `${request.method ?? "GET"} ${request.target} ${JSON.stringify(request.headers ?? [])}`;
        expect.soft(reply.status, where).toBe(status);
        expect.soft(reply.header("set-cookie"), where).toEqual([]);
        expect.soft(store.calls, where).toEqual([]);
      }
    }
    const control = await sendRawRequest(app.url, {
      target: `/me?sid=${value}`,
      headers: [["Cookie", `${SESSION_COOKIE}=${value}`]],
    });
    expect(control.status).toBe(200);
  });

  it("keeps only the SHA-256 of the token in the store, never the token (SEC-34)", async () => {
    store.reset();
    const fresh = await signIn(app);
    const key = createHash("sha256").update(fresh.token).digest("hex");
    const creates = store.calls.filter((call) => call.operation === "create");
    expect(creates.at(-1)?.key).toBe(key);
    const dump = JSON.stringify(await store.inner.listByUser("alice"));
    expect(dump).toContain(key);
    for (const secret of [fresh.value, fresh.token, ...(fresh.mac ? [fresh.mac] : [])]) {
      expect(dump).not.toContain(secret);
    }
    await expectOutcome({
      label: "the store key as the cookie",
      lines: [`${SESSION_COOKIE}=${key}`],
      outcome: "anonymous",
      mayReachStore: false,
    });
  });

  it.each<[string, () => string, "signed-in" | "anonymous"]>([
    ["__proto__ with isAdmin", () => '{"__proto__":{"isAdmin":true},"a":1}', "signed-in"],
    ["constructor.prototype", () => '{"constructor":{"prototype":{"isAdmin":true}}}', "signed-in"],
    [
      "reserved method names",
      () => '{"save":1,"regenerate":1,"destroy":1,"set":1,"get":1}',
      "signed-in",
    ],
    ["10 MB of JSON", () => JSON.stringify({ big: "x".repeat(10_000_000) }), "signed-in"],
    ["truncated JSON", () => '{"a":', "anonymous"],
    ["a JSON array", () => "[1,2]", "anonymous"],
  ])(
    "answers a planted store record with %s without 5xx or pollution (SEC-40)",
    async (_label, data, outcome) => {
      const fresh = await signIn(app);
      const key = createHash("sha256").update(fresh.token).digest("hex");
      const record = (await store.inner.get(key)) as StoredSession;
      expect(await store.inner.update(key, { ...record, data: data() }, record.version)).toBe(true);
      events.length = 0;
      await expectOutcome({
        label: "a planted record",
        lines: [`${SESSION_COOKIE}=${fresh.value}`],
        outcome,
        mayReachStore: true,
      });
      const probe: Record<string, unknown> = {};
      expect(probe.isAdmin).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
      const corrupt = events.some(
        (event) => event.type === "rejected" && event.reason === "corrupt_record",
      );
      expect(corrupt).toBe(outcome === "anonymous");
      if (outcome === "signed-in") {
        const logout = await sendRawRequest(app.url, {
          method: "POST",
          target: "/logout",
          headers: [["Cookie", `${SESSION_COOKIE}=${fresh.value}`]],
        });
        expect(logout.status).toBe(200);
        expect(await store.inner.get(key)).toBeNull();
      }
    },
  );

  it("refuses cross-site logins whatever the Content-Type, and honours no method override (SEC-44)", async () => {
    const crossSite: [string, string][][] = [
      [["Sec-Fetch-Site", "cross-site"]],
      [["Sec-Fetch-Site", "same-site"]],
      [["Origin", "https://evil.example"]],
      [["Origin", "null"]],
      [["Origin", `${app.url}.evil.example`]],
    ];
    const contentTypes = [
      undefined,
      "text/plain",
      "TEXT/PLAIN; charset=utf-8",
      "Application/X-WWW-Form-Urlencoded",
      "multipart/form-data; boundary=x",
      "application/json",
      "text/plain;application/json",
    ];
    for (const headers of crossSite) {
      for (const contentType of contentTypes) {
        const request: RawRequest = {
          method: "POST",
          target: "/login",
          headers:
            contentType === undefined ? headers : [...headers, ["Content-Type", contentType]],
          body: "username=alice",
        };
        store.reset();
        const reply = await sendRawRequest(app.url, request);
        const where = `${JSON.stringify(headers)} ${contentType}`;
        expect.soft(reply.status, where).toBe(403);
        expect.soft(reply.header("set-cookie"), where).toEqual([]);
        expect.soft(store.calls, where).toEqual([]);
      }
    }
    const overrides: RawRequest[] = [
      { target: "/login", headers: [["X-HTTP-Method-Override", "POST"]] },
      { target: "/login", headers: [["X-Method-Override", "POST"]] },
      { target: "/login", headers: [["X-HTTP-Method", "POST"]] },
      { target: "/login?_method=POST" },
      { method: "HEAD", target: "/login" },
      { method: "OPTIONS", target: "/login" },
    ];
    for (const request of overrides) {
      store.reset();
      const headers: [string, string][] = [
        ["Sec-Fetch-Site", "cross-site"],
        ...((request.headers ?? []) as [string, string][]),
      ];
      const reply = await sendRawRequest(app.url, { ...request, headers });
      const where = `${request.method ?? "GET"} ${request.target} ${JSON.stringify(headers)}`;
      expect.soft(reply.status, where).toBe(404);
      expect.soft(reply.header("set-cookie"), where).toEqual([]);
      expect.soft(store.calls, where).toEqual([]);
    }
    const sameOrigin = await sendRawRequest(app.url, {
      method: "POST",
      target: "/login",
      headers: [
        ["Origin", app.url],
        ["Content-Type", "text/plain"],
      ],
      body: "x",
    });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.header("set-cookie")).toHaveLength(1);
  });

  it("is still up and still knows the signed-in user", async () => {
    await expectOutcome({
      label: "after everything",
      lines: [`${SESSION_COOKIE}=${issued.value}`],
      outcome: "signed-in",
      mayReachStore: true,
    });
    expect(app.errors).toEqual([]);
  });
});

describe.each(HOSTILE_FRAMEWORKS)(
  "%s: pathological Cookie headers stay cheap (SEC-50)",
  (framework) => {
    let roomy: HostileApp;
    let standard: HostileApp;
    let store: RecordingStore;

    beforeAll(async () => {
      store = new RecordingStore();
      const manager = { onWarning: () => {} };
      roomy = await startHostileApp(framework, { store, manager, maxHeaderSize: 128 * 1024 });
      standard = await startHostileApp(framework, { store: new RecordingStore(), manager });
    });

    afterAll(async () => {
      await Promise.all([roomy.close(), standard.close()]);
      expect(roomy.errors).toEqual([]);
      expect(standard.errors).toEqual([]);
    });

    /** `a0=v0; a1=v1; …` up to about `bytes` bytes. */
    function manyPairs(bytes: number): string {
      const pairs: string[] = [];
      let length = 0;
      for (let index = 0; length < bytes; index++) {
        const pair = `k${index}=v${index}`;
        pairs.push(pair);
        length += pair.length + 2;
      }
      return pairs.join("; ");
    }

    async function timed(app: HostileApp, cookie: string): Promise<RawResponse> {
      const reply = await sendRawRequest(app.url, { target: "/me", headers: [["Cookie", cookie]] });
      expect(reply.status).toBeLessThan(500);
      expect(reply.elapsedMs).toBeLessThan(SLOW_MS);
      return reply;
    }

    it("answers a 1 KB and a 60 KB header of many pairs quickly, and 431 over Node's limit", async ({
      annotate,
    }) => {
      const login = await sendRawRequest(roomy.url, { method: "POST", target: "/login" });
      const session = `${SESSION_COOKIE}=${sessionValueOf(login)}`;
      const timings: string[] = [];
      for (const bytes of [1_000, 60_000]) {
        const pairs = manyPairs(bytes);
        const signedIn = await timed(roomy, `${pairs}; ${session}`);
        expect(signedIn.status).toBe(200);
        store.reset();
        const anonymous = await timed(roomy, pairs);
        expect(anonymous.status).toBe(401);
        expect(store.calls).toEqual([]);
        const refused = await timed(standard, `${pairs}; ${session}`);
        expect(refused.status).toBe(bytes > 16_000 ? 431 : 401);
        timings.push(
          `${bytes / 1000} KB: ${signedIn.elapsedMs.toFixed(1)} ms signed in, ` +
            `${anonymous.elapsedMs.toFixed(1)} ms anonymous, ${refused.elapsedMs.toFixed(1)} ms at the default limit (${refused.status})`,
        );
      }
      await annotate(`${framework}: ${timings.join("; ")}`);
    });

    it.each<[string, (session: string) => string, number]>([
      ["60,000 semicolons before the cookie", (session) => `${";".repeat(60_000)}${session}`, 200],
      ["60,000 equals signs", () => "=".repeat(60_000), 401],
      [
        "4,000 copies of the name with one garbage value",
        () => `${SESSION_COOKIE}=x; `.repeat(4_000),
        401,
      ],
      ["a 60 KB value", () => `${SESSION_COOKIE}=${"A".repeat(60_000)}`, 401],
      [
        "60 KB of spaces around the cookie",
        (session) => `${" ".repeat(30_000)}${session}${" ".repeat(30_000)}`,
        200,
      ],
    ])("answers %s quickly, never 5xx", async (_label, header, status) => {
      const login = await sendRawRequest(roomy.url, { method: "POST", target: "/login" });
      const session = `${SESSION_COOKIE}=${sessionValueOf(login)}`;
      store.reset();
      const reply = await timed(roomy, header(session));
      expect(reply.status).toBe(status);
      if (status === 401) expect(store.calls).toEqual([]);
    });
  },
);
