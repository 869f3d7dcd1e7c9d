/**
 * Drives a started demo with a bounded keep-alive load while a store outage begins and ends,
 * and checks the run against the contract: only requests that overlap the outage fail, each
 * with 503 `{"error":"session_store_unavailable"}` and no session cookie, within a bound; no
 * other status appears; and once the store is back every request succeeds again.
 */
import { expect } from "vitest";
import {
  type LoadClient,
  type LoadReply,
  type LoadSession,
  now,
  runBounded,
  runWhile,
  sessionCookieOf,
  sleep,
  userFor,
} from "./load-client.js";

/** The one body a store outage may produce. */
export const STORE_UNAVAILABLE = { error: "session_store_unavailable" };

/** How an outage is made and undone; `end` resolves once the store is reachable again. */
export interface OutagePlan {
  begin(): Promise<void> | void;
  end(): Promise<void> | void;
  /** How long the outage lasts between `begin` and `end`. */
  durationMs: number;
}

/** Timing of the load around the outage. */
export interface LoadShape {
  /** Requests in flight at once. */
  concurrency: number;
  /** Load before the outage begins. */
  beforeMs: number;
  /** Load after the outage ended. */
  afterMs: number;
  /** Upper bound on requests, whatever the timing. */
  maxRequests: number;
}

export const DEFAULT_SHAPE: LoadShape = {
  concurrency: 16,
  beforeMs: 1_000,
  afterMs: 5_000,
  maxRequests: 40_000,
};

/** One load run around an outage. Times are `performance.now()` milliseconds. */
export interface OutageRun {
  replies: LoadReply[];
  /** When `begin` was called, and when it had taken effect. */
  beginCalledAt: number;
  beganAt: number;
  /** When `end` was called, and when the store was back. */
  endCalledAt: number;
  endedAt: number;
  /** Sessions that logins during the run created (answered 200). */
  createdDuringRun: CreatedSession[];
}

/** A session a login during the run created, with when that login started. */
export interface CreatedSession extends LoadSession {
  loginStartedAt: number;
}

/** The kind of request a load request is, from its method. */
export type RequestKind = "read" | "write" | "login";

export function kindOf(reply: LoadReply): RequestKind {
  if (reply.method === "GET") return "read";
  return reply.path === "/login" ? "login" : "write";
}

/**
 * Runs the load over `sessions` while `plan` makes an outage: every 20th request is a login,
 * the others alternate GET /api/me and PUT /api/data/load-<n>.
 */
export async function driveThroughOutage(
  client: LoadClient,
  sessions: LoadSession[],
  plan: OutagePlan,
  shape: LoadShape = DEFAULT_SHAPE,
): Promise<OutageRun> {
  let endedAt = Number.POSITIVE_INFINITY;
  const createdDuringRun: CreatedSession[] = [];
  const load = runWhile(
    shape.maxRequests,
    shape.concurrency,
    () => now() > endedAt + shape.afterMs,
    async (index) => {
      // Pairs of requests (a read and a write) go round the sessions, so each gets both.
      const session = sessions[Math.floor(index / 2) % sessions.length]!;
      if (index % 20 === 19) {
        const userId = userFor(index);
        const reply = await client.tryLogin(userId, "outage-login");
        const cookie = reply.status === 200 ? sessionCookieOf(reply) : undefined;
        if (cookie !== undefined) {
          createdDuringRun.push({ cookie, userId, loginStartedAt: reply.startedAt });
        }
        return reply;
      }
      if (index % 2 === 1) return client.send("GET", "/api/me", { cookie: session.cookie });
      return client.send("PUT", `/api/data/load-${index % 7}`, {
        cookie: session.cookie,
        json: { value: index },
      });
    },
  );
  await sleep(shape.beforeMs);
  const beginCalledAt = now();
  await plan.begin();
  const beganAt = now();
  await sleep(plan.durationMs);
  const endCalledAt = now();
  await plan.end();
  endedAt = now();
  const replies = await load;
  return { replies, beginCalledAt, beganAt, endCalledAt, endedAt, createdDuringRun };
}

/** What a run must show. */
export interface OutageExpectations {
  /** Longest any request of each kind may take, store failure or not. */
  boundMs: Record<RequestKind, number>;
  /** Time after `end` within which the demo must be fully back. */
  recoveryMs: number;
  /** The kinds of request that may fail (503) during the outage; the others never fail. */
  mayFail: RequestKind[];
  /**
   * Whether the store is entirely unusable for those kinds while the outage lasts: then each
   * one that started after the outage began and ended before it ended must be a 503 (fail
   * closed: nothing that needs the store may succeed without it).
   */
  failsClosed: boolean;
  /** At least this many 503s must be seen (0 for a fault the demo should ride out). */
  minFailures: number;
  /** At most this many 503s (0 for a fault the demo should ride out). */
  maxFailures?: number;
}

/** A line per reply that breaks the contract, for a readable failure. */
function describeReply(run: OutageRun, reply: LoadReply): string {
  const at = (reply.startedAt - run.beginCalledAt).toFixed(0);
  const took = (reply.endedAt - reply.startedAt).toFixed(0);
  const body = reply.status === 0 ? reply.networkError : reply.body.slice(0, 80);
  return `${reply.method} ${reply.path} at ${at} ms, took ${took} ms: ${reply.status} ${body}`;
}

/** Summary numbers of a run, for the log. */
export function summarize(run: OutageRun): string {
  const statuses: Record<string, number> = {};
  const slowest: Record<string, number> = {};
  for (const reply of run.replies) {
    const key = `${kindOf(reply)} ${reply.status}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
    slowest[key] = Math.max(slowest[key] ?? 0, Math.round(reply.endedAt - reply.startedAt));
  }
  const parts = Object.keys(statuses)
    .sort()
    .map((key) => `${key}: ${statuses[key]} (slowest ${slowest[key]} ms)`);
  const outage = Math.round(run.endedAt - run.beginCalledAt);
  return `${run.replies.length} requests, outage ${outage} ms; ${parts.join("; ")}`;
}

/** Checks a run against the contract; see {@link OutageExpectations}. */
export function expectContractKept(run: OutageRun, expectations: OutageExpectations): void {
  const { replies } = run;
  const show = (list: LoadReply[]): string[] =>
    list.slice(0, 5).map((reply) => describeReply(run, reply));

  const strange = replies.filter((reply) => reply.status !== 200 && reply.status !== 503);
  expect(show(strange), "only 200 and 503 appear").toEqual([]);

  const failures = replies.filter((reply) => reply.status === 503);
  const badBodies = failures.filter(
    (reply) => !isStoreUnavailable(reply.body) || sessionCookieSet(reply),
  );
  expect(show(badBodies), "every 503 is session_store_unavailable, with no cookie").toEqual([]);

  const slow = replies.filter(
    (reply) => reply.endedAt - reply.startedAt > expectations.boundMs[kindOf(reply)],
  );
  expect(show(slow), `every request ends within ${JSON.stringify(expectations.boundMs)}`).toEqual(
    [],
  );

  const recovered = run.endedAt + expectations.recoveryMs;
  const outside = failures.filter(
    (reply) => reply.endedAt < run.beginCalledAt || reply.startedAt > recovered,
  );
  expect(show(outside), "only requests that overlap the outage fail").toEqual([]);

  const wrongKind = failures.filter((reply) => !expectations.mayFail.includes(kindOf(reply)));
  expect(show(wrongKind), `only ${expectations.mayFail.join(", ")} requests fail`).toEqual([]);

  if (expectations.failsClosed) {
    const inside = replies.filter(
      (reply) =>
        expectations.mayFail.includes(kindOf(reply)) &&
        reply.startedAt >= run.beganAt &&
        reply.endedAt <= run.endCalledAt,
    );
    const openedUp = inside.filter((reply) => reply.status !== 503);
    expect(show(openedUp), "nothing that needs the store succeeds while it is out").toEqual([]);
    expect(inside.length, "requests started and ended within the outage").toBeGreaterThan(0);
  }

  expect(failures.length, summarize(run)).toBeGreaterThanOrEqual(expectations.minFailures);
  if (expectations.maxFailures !== undefined) {
    expect(failures.length, summarize(run)).toBeLessThanOrEqual(expectations.maxFailures);
  }

  const before = replies.filter((reply) => reply.endedAt < run.beginCalledAt);
  const after = replies.filter((reply) => reply.startedAt > recovered);
  expect(before.length, "the load ran before the outage").toBeGreaterThanOrEqual(10);
  expect(after.length, "the load ran after the recovery").toBeGreaterThanOrEqual(10);
}

function isStoreUnavailable(body: string): boolean {
  try {
    return JSON.stringify(JSON.parse(body)) === JSON.stringify(STORE_UNAVAILABLE);
  } catch {
    return false;
  }
}

function sessionCookieSet(reply: LoadReply): boolean {
  return reply.setCookies.some((line) => line.startsWith("__Host-sid="));
}

/**
 * Signs in `count` sessions and gives each a `marker` value in its data, so that after an
 * outage both the session and what it held can be checked.
 */
export async function commitSessions(client: LoadClient, count: number): Promise<LoadSession[]> {
  return runBounded(count, 8, async (index) => {
    const session = await client.login(userFor(index), `committed-${index}`);
    const reply = await client.send("PUT", "/api/data/marker", {
      cookie: session.cookie,
      json: { value: index },
    });
    expect(reply.status).toBe(200);
    return session;
  });
}

/**
 * Every committed session still works, and still holds its marker; so does every session a
 * login of the run created (each named with when its login started, from `outageBeganAt`).
 */
export async function expectSessionsIntact(
  client: LoadClient,
  committed: LoadSession[],
  createdDuringRun: CreatedSession[] = [],
  outageBeganAt = 0,
): Promise<void> {
  const problems: string[] = [];
  await runBounded(committed.length, 8, async (index) => {
    const session = committed[index]!;
    const me = await client.send("GET", "/api/me", { cookie: session.cookie });
    const data = await client.send("GET", "/api/data", { cookie: session.cookie });
    const user = me.status === 200 ? (JSON.parse(me.body) as { user: { id: string } }).user : null;
    const marker =
      data.status === 200 ? (JSON.parse(data.body) as { data: { marker?: unknown } }).data : null;
    if (user?.id !== session.userId || marker?.marker !== index) {
      problems.push(`committed #${index}: /api/me ${me.status}, /api/data ${data.body}`);
    }
  });
  await runBounded(createdDuringRun.length, 8, async (index) => {
    const session = createdDuringRun[index]!;
    const me = await client.send("GET", "/api/me", { cookie: session.cookie });
    if (me.status === 200) return;
    const at = (session.loginStartedAt - outageBeganAt).toFixed(0);
    problems.push(`created during the run #${index} (login at ${at} ms): ${me.status}`);
  });
  expect(problems.slice(0, 5)).toEqual([]);
}
