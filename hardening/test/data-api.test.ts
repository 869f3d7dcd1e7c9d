/**
 * The session data API of the demo (`PUT /api/data/:key`, `GET /api/data`) under prototype
 * pollution and oversized data, over real HTTP against the started demo process (memory store)
 * on Express, Koa and Hono. Every refusal is a 4xx with a JSON `error`, never a 500, and
 * leaves the stored data exactly as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DemoProcess, startDemo } from "../../examples/demo/test/support/demo-process.js";
import { type RawHeaderValue, type RawResponse, sendRawRequest } from "./support/raw-http.js";

const FRAMEWORKS = ["express", "koa", "hono"] as const;
const SESSION_COOKIE = "__Host-sid";
/** The demo's `maxDataBytes` (the library default) and its request body limit. */
const MAX_DATA_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 16 * 1024;

interface Reply {
  status: number;
  contentType: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  raw: RawResponse;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether anything reachable from `value` has a key or string mentioning `word`. */
function mentions(value: unknown, word: string): boolean {
  return JSON.stringify(value ?? null).includes(word);
}

function expectNoPollution(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
}

/** How many `part<n>` keys holding `value` fit next to `data` within maxDataBytes of JSON. */
function keysThatFit(data: Record<string, unknown>, value: string): number {
  const next = { ...data };
  for (let count = 0; ; count++) {
    next[`part${count}`] = value;
    if (Buffer.byteLength(JSON.stringify(next)) > MAX_DATA_BYTES) return count;
  }
}

describe.each(FRAMEWORKS)("the demo's data API on %s", (framework) => {
  let demo: DemoProcess;
  let cookie: string;

  async function send(
    method: string,
    path: string,
    body?: RawHeaderValue,
    extraHeaders: [string, string][] = [],
  ): Promise<Reply> {
    const headers: [string, RawHeaderValue][] = [["Cookie", cookie], ...extraHeaders];
    if (body !== undefined && !extraHeaders.some(([name]) => /content-type/i.test(name))) {
      headers.push(["Content-Type", "application/json"]);
    }
    const raw = await sendRawRequest(demo.url, { method, target: path, headers, body });
    return {
      status: raw.status,
      contentType: raw.header("content-type").join(", "),
      json: parseJson(raw.text),
      raw,
    };
  }

  const put = (key: string, json: string): Promise<Reply> => send("PUT", `/api/data/${key}`, json);
  const storedData = async (): Promise<unknown> => {
    const reply = await send("GET", "/api/data");
    expect(reply.status).toBe(200);
    return (reply.json as { data: unknown }).data;
  };

  /** A refusal: the given 4xx, JSON, with the given error code, and no new cookie. */
  function expectRefused(reply: Reply, status: number, error: string): void {
    expect(reply.status, reply.raw.text).toBe(status);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ error });
    expect(reply.raw.header("set-cookie")).toEqual([]);
  }

  beforeAll(async () => {
    demo = await startDemo({ FRAMEWORK: framework, SESSION_STORE: "memory" });
  });

  /** Every test starts from a fresh session holding `{"theme":"dark"}`. */
  beforeEach(async () => {
    const login = await sendRawRequest(demo.url, {
      method: "POST",
      target: "/login",
      headers: [["Content-Type", "application/json"]],
      body: JSON.stringify({ username: "alice", password: "wonderland" }),
    });
    expect(login.status).toBe(200);
    const line = login.header("set-cookie").find((entry) => entry.startsWith(SESSION_COOKIE));
    cookie = line!.split(";")[0]!;
    expect((await put("theme", '{"value":"dark"}')).status).toBe(200);
  });

  afterAll(async () => {
    const code = await demo?.stop();
    expect(code, demo?.output()).toBe(0);
    expect(demo.output()).not.toMatch(/Unexpected error/);
  });

  it.each([
    ["__proto__", "__proto__"],
    ["constructor", "constructor"],
    ["prototype", "prototype"],
    ["__proto__, percent-encoded", "%5F%5Fproto%5F%5F"],
    ["constructor, partly percent-encoded", "%63onstructor"],
  ])("refuses the key %s with 400 invalid_data and changes nothing", async (_label, key) => {
    const reply = await put(key, '{"value":{"polluted":true,"isAdmin":true}}');
    expectRefused(reply, 400, "invalid_data");
    expect(await storedData()).toEqual({ theme: "dark" });
    expectNoPollution();
  });

  it("refuses __proto__ or constructor inside a value with 400, and nothing is polluted", async () => {
    const bodies: [string, number][] = [
      ['{"value":{"__proto__":{"polluted":true}}}', 400],
      ['{"value":{"constructor":{"prototype":{"polluted":true}}}}', 400],
      ['{"value":[{"__proto__":{"polluted":true}}]}', 400],
      // The request body's own __proto__ key is not session data: the plain value is stored.
      ['{"__proto__":{"polluted":true},"value":"plain"}', 200],
    ];
    for (const [body, status] of bodies) {
      const reply = await put("nested", body);
      expect(reply.status, body).toBe(status);
      if (status === 400) expectRefused(reply, 400, "invalid_data");
      const data = await storedData();
      expect(mentions(data, "polluted"), `${body} → ${JSON.stringify(data)}`).toBe(false);
      expect((data as Record<string, unknown>).theme).toBe("dark");
      expectNoPollution();
    }
    expect((await send("GET", "/api/me")).status).toBe(200);
  });

  it("refuses a 1 MB value with 413 body_too_large and keeps the stored data", async () => {
    const big = JSON.stringify({ value: "x".repeat(1_000_000) });
    expectRefused(await put("big", big), 413, "body_too_large");
    expect(await storedData()).toEqual({ theme: "dark" });
  });

  it("refuses a 1 MB chunked body without Content-Length the same way", async () => {
    const text = JSON.stringify({ value: "x".repeat(1_000_000) });
    const chunks: string[] = [];
    for (let offset = 0; offset < text.length; offset += 8192) {
      const chunk = text.slice(offset, offset + 8192);
      chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    const reply = await send("PUT", "/api/data/big", `${chunks.join("")}0\r\n\r\n`, [
      ["Content-Type", "application/json"],
      ["Transfer-Encoding", "chunked"],
    ]);
    expectRefused(reply, 413, "body_too_large");
    expect(await storedData()).toEqual({ theme: "dark" });
  });

  it("refuses data that would pass maxDataBytes with 413 session_too_large, keeping the rest", async () => {
    const value = "y".repeat(MAX_BODY_BYTES - 1_400);
    const statuses: number[] = [];
    let refused: Reply | undefined;
    for (let index = 0; index < 10 && refused === undefined; index++) {
      const reply = await put(`part${index}`, JSON.stringify({ value }));
      statuses.push(reply.status);
      if (reply.status !== 200) refused = reply;
    }
    const accepted = keysThatFit({ theme: "dark" }, value);
    expect(statuses).toEqual([...Array<number>(accepted).fill(200), 413]);
    expectRefused(refused!, 413, "session_too_large");
    const data = (await storedData()) as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(
      ["theme", ...Array.from({ length: accepted }, (_, index) => `part${index}`)].sort(),
    );
    expect(data[`part${accepted}`]).toBeUndefined();
    expect((await send("GET", "/api/me")).status).toBe(200);
  });
});
