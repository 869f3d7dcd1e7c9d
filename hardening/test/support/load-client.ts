/**
 * A small keep-alive HTTP client for load and fault runs against a started demo on loopback.
 * It records every request's start, end, status and body, so a test can check each one and
 * place it on the timeline of an outage. Work is always bounded: a fixed count, a fixed number
 * in flight, and (for timed runs) a deadline.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** The demo's session cookie. */
export const COOKIE_NAME = "__Host-sid";

/** The two built-in demo users and their passwords. */
export const DEMO_USERS = [
  { id: "alice", password: "wonderland" },
  { id: "bob", password: "builder" },
] as const;

export type DemoUserId = (typeof DEMO_USERS)[number]["id"];

/** One request as it happened. Times are `performance.now()` milliseconds. */
export interface LoadReply {
  method: string;
  path: string;
  /** HTTP status, or 0 when the request failed below HTTP (reset, refused, timed out). */
  status: number;
  body: string;
  /** The raw `Set-Cookie` lines. */
  setCookies: string[];
  /** Why the request failed below HTTP, when `status` is 0. */
  networkError: string | null;
  startedAt: number;
  endedAt: number;
}

/** A signed-in session: its cookie value and whose it is. */
export interface LoadSession {
  cookie: string;
  userId: DemoUserId;
}

export interface LoadRequestOptions {
  /** The session cookie's value to send. */
  cookie?: string;
  /** A JSON body. */
  json?: unknown;
  userAgent?: string;
}

/** Longest any single request may take before the client gives up on it (status 0). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Keep-alive requests to one demo process on 127.0.0.1. Node sets `Host: 127.0.0.1:<port>`,
 * which the demo's loopback check and `__Host-` cookie need.
 */
export class LoadClient {
  readonly #agent: Agent;

  constructor(
    readonly port: number,
    maxSockets = 32,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, path: string, options: LoadRequestOptions = {}): Promise<LoadReply> {
    const headers: Record<string, string> = {
      "user-agent": options.userAgent ?? "sesame-hardening-load",
    };
    if (options.cookie !== undefined) headers.cookie = `${COOKIE_NAME}=${options.cookie}`;
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    if (body !== undefined) headers["content-type"] = "application/json";
    const startedAt = performance.now();
    const reply = (status: number, text: string, setCookies: string[], error: string | null) => ({
      method,
      path,
      status,
      body: text,
      setCookies,
      networkError: error,
      startedAt,
      endedAt: performance.now(),
    });
    return new Promise((resolve) => {
      const outgoing = request(
        { host: "127.0.0.1", port: this.port, method, path, headers, agent: this.#agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", (error) => resolve(reply(0, "", [], error.message)));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve(
              reply(response.statusCode ?? 0, text, response.headers["set-cookie"] ?? [], null),
            );
          });
        },
      );
      outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(new Error("client timeout")));
      outgoing.on("error", (error) => resolve(reply(0, "", [], error.message)));
      outgoing.end(body);
    });
  }

  /** Signs in as `userId`; throws unless the demo answered 200 with a session cookie. */
  async login(userId: DemoUserId, userAgent?: string): Promise<LoadSession> {
    const reply = await this.tryLogin(userId, userAgent);
    const cookie = reply.status === 200 ? sessionCookieOf(reply) : undefined;
    if (cookie === undefined) {
      throw new Error(`login as ${userId} failed: ${reply.status} ${reply.body}`);
    }
    return { cookie, userId };
  }

  /** Sends one JSON login for `userId` and returns the reply as it is. */
  tryLogin(userId: DemoUserId, userAgent?: string): Promise<LoadReply> {
    const { password } = DEMO_USERS.find((user) => user.id === userId)!;
    return this.send("POST", "/login", { json: { username: userId, password }, userAgent });
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }
}

/** The session cookie value a reply set, if it set one (not a clearing one). */
export function sessionCookieOf(reply: LoadReply): string | undefined {
  for (const line of reply.setCookies) {
    if (!line.startsWith(`${COOKIE_NAME}=`)) continue;
    const value = line.slice(COOKIE_NAME.length + 1).split(";")[0]!;
    if (value !== "") return value;
  }
  return undefined;
}

/** The user the demo alternates logins over: alice, bob, alice, … */
export function userFor(index: number): DemoUserId {
  return DEMO_USERS[index % DEMO_USERS.length]!.id;
}

/**
 * Runs `task(0)` … `task(count - 1)` with at most `concurrency` in flight and resolves the
 * results in index order.
 */
export async function runBounded<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/**
 * Runs `task(0)`, `task(1)`, … with at most `concurrency` in flight until `until()` says stop
 * or `maxCount` tasks have started, and resolves every result in start order.
 */
export async function runWhile<T>(
  maxCount: number,
  concurrency: number,
  until: () => boolean,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < maxCount && !until()) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Signs in `count` fresh clients, alternating alice and bob, `concurrency` at a time. */
export function loginMany(
  client: LoadClient,
  count: number,
  concurrency: number,
): Promise<LoadSession[]> {
  return runBounded(count, concurrency, (index) =>
    client.login(userFor(index), `load-client-${index}`),
  );
}

/** Milliseconds since `performance.now()`'s origin; for timelines in the tests. */
export function now(): number {
  return performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
