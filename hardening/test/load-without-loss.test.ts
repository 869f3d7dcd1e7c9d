/**
 * Load without loss, against the started demo on each persistent store: N logins by distinct
 * clients, then M authenticated requests (GET /api/me and PUT /api/data) spread over those
 * sessions with a bounded number in flight, some of them concurrent on one session. Every
 * answer must be the expected one, every written key must still be there afterwards, and the
 * store itself (the SQLite file, the Redis keys under the prefix, the PostgreSQL table) must
 * hold exactly the sessions that should exist, as must GET /api/sessions.
 *
 * Counts: `SESAME_LOAD=full` (set by `pnpm test:load`) runs the full size, otherwise a CI size.
 * `SESAME_LOAD_LOGINS` and `SESAME_LOAD_REQUESTS` override either. Throughput is printed.
 */
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoRig, startDemoRig, stopDemoRig } from "./support/demo-rig.js";
import { createCorner, type PersistentStore, requireService } from "./support/demo-stores.js";
import {
  type LoadReply,
  type LoadSession,
  now,
  runBounded,
  sessionCookieOf,
  userFor,
} from "./support/load-client.js";

const FULL = process.env.SESAME_LOAD === "full";
/**
 * Logins per store. Each runs scrypt (N=16384, r=8) in the demo, 30 to 100 ms of one core, so
 * logins dominate the run time: the full size (10,000 per store) took 4 to 5 minutes per store
 * on two cores here.
 */
const LOGINS = countFromEnv("SESAME_LOAD_LOGINS", FULL ? 10_000 : 250);
/** Authenticated requests per store, after the logins. */
const REQUESTS = countFromEnv("SESAME_LOAD_REQUESTS", FULL ? 100_000 : 5_000);
/** Requests in flight at once. */
const CONCURRENCY = 32;
/** Per-test time limit: generous for the full size, where one step can take minutes. */
const STEP_TIMEOUT_MS = FULL ? 45 * 60_000 : 300_000;
/** Consecutive requests that go to the same session, so some writes to one session overlap. */
const SAME_SESSION_RUN = 4;
/** Every this many sessions, one logs out at the end. */
const LOGOUT_EVERY = 10;

const STORES: PersistentStore[] = ["sqlite", "redis", "postgres"];

function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 2) throw new Error(`${name} must be an integer ≥ 2.`);
  return value;
}

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

/** The parsed body of a 200 reply, or `null` for any other status. */
function okBody<T>(reply: LoadReply): T | null {
  return reply.status === 200 ? (JSON.parse(reply.body) as T) : null;
}

/** Status counts, e.g. `{ "200": 499, "503": 1 }`, for readable failure messages. */
function tally(replies: LoadReply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = reply.status === 0 ? `network: ${reply.networkError}` : String(reply.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

for (const store of STORES) describeLoad(store);

function describeLoad(store: PersistentStore): void {
  describe(`load without loss: express + ${store}`, () => {
    let rig: DemoRig;
    let sessions: LoadSession[] = [];
    /** What each session's data must hold: every key a PUT was answered 200 for. */
    let expectedData: Record<string, number>[] = [];

    beforeAll(async () => {
      await requireService(store);
      rig = await startDemoRig(await createCorner(store), "express", CONCURRENCY);
    });

    afterAll(() => stopDemoRig(rig));

    it(
      `signs in ${LOGINS} distinct clients, ${CONCURRENCY} at a time`,
      async () => {
        const started = now();
        const replies = await runBounded(LOGINS, CONCURRENCY, (index) =>
          rig.client.tryLogin(userFor(index), `load-${store}-${index}`),
        );
        const ms = now() - started;
        expect(tally(replies)).toEqual({ 200: LOGINS });
        sessions = replies.map((reply, index) => {
          expect(JSON.parse(reply.body)).toEqual({
            user: { id: userFor(index), name: index % 2 === 0 ? "Alice" : "Bob" },
          });
          const cookie = sessionCookieOf(reply);
          expect(cookie).toBeDefined();
          return { cookie: cookie!, userId: userFor(index) };
        });
        expect(new Set(sessions.map((session) => session.cookie)).size).toBe(LOGINS);
        expectedData = sessions.map(() => ({}));
        console.log(
          `[load] ${store}: ${LOGINS} logins in ${(ms / 1000).toFixed(1)} s = ` +
            `${perSecond(LOGINS, ms)} logins/s (concurrency ${CONCURRENCY})`,
        );
        expect(await rig.corner.countLiveSessions()).toBe(LOGINS);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      `answers ${REQUESTS} authenticated requests, every one as expected`,
      async () => {
        expect(sessions).toHaveLength(LOGINS);
        const unexpected: string[] = [];
        const started = now();
        const replies = await runBounded(REQUESTS, CONCURRENCY, async (index) => {
          const target = Math.floor(index / SAME_SESSION_RUN) % LOGINS;
          const session = sessions[target]!;
          if (index % 2 === 1) {
            const reply = await rig.client.send("GET", "/api/me", { cookie: session.cookie });
            if (okBody<{ user: { id: string } }>(reply)?.user.id !== session.userId) {
              unexpected.push(`GET /api/me #${index}: ${reply.status} ${reply.body}`);
            }
            return reply;
          }
          const key = `r${index}`;
          const reply = await rig.client.send("PUT", `/api/data/${key}`, {
            cookie: session.cookie,
            json: { value: index },
          });
          if (okBody<{ data: Record<string, unknown> }>(reply)?.data[key] !== index) {
            unexpected.push(`PUT /api/data/${key}: ${reply.status} ${reply.body}`);
          } else {
            expectedData[target]![key] = index;
          }
          return reply;
        });
        const ms = now() - started;
        console.log(
          `[load] ${store}: ${REQUESTS} requests (GET /api/me + PUT /api/data) in ` +
            `${(ms / 1000).toFixed(1)} s = ${perSecond(REQUESTS, ms)} requests/s (concurrency ${CONCURRENCY})`,
        );
        expect(tally(replies)).toEqual({ 200: REQUESTS });
        expect(unexpected.slice(0, 5)).toEqual([]);
        expect(rig.demo.isRunning()).toBe(true);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "keeps every written key of every session",
      async () => {
        const replies = await runBounded(LOGINS, CONCURRENCY, (index) =>
          rig.client.send("GET", "/api/data", { cookie: sessions[index]!.cookie }),
        );
        const lost: string[] = [];
        replies.forEach((reply, index) => {
          const data = okBody<{ data: object }>(reply)?.data ?? null;
          if (!isDeepStrictEqual(data, expectedData[index])) {
            lost.push(`session #${index}: ${reply.status} ${reply.body.slice(0, 200)}`);
          }
        });
        expect(tally(replies)).toEqual({ 200: LOGINS });
        expect(lost.slice(0, 5)).toEqual([]);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      "holds exactly the sessions that should exist after some log out",
      async () => {
        const leaving = sessions.flatMap((_, index) => (index % LOGOUT_EVERY === 0 ? [index] : []));
        const logouts = await runBounded(leaving.length, CONCURRENCY, (position) =>
          rig.client.send("POST", "/logout", { cookie: sessions[leaving[position]!]!.cookie }),
        );
        expect(tally(logouts)).toEqual({ 204: leaving.length });
        const loggedOut = new Set(leaving);
        const remaining = LOGINS - loggedOut.size;

        expect(await rig.corner.countLiveSessions()).toBe(remaining);

        const checks = await runBounded(LOGINS, CONCURRENCY, (index) =>
          rig.client.send("GET", "/api/me", { cookie: sessions[index]!.cookie }),
        );
        const wrong = checks.flatMap((reply, index) =>
          reply.status === (loggedOut.has(index) ? 401 : 200) ? [] : [`#${index}: ${reply.status}`],
        );
        expect(wrong.slice(0, 5)).toEqual([]);

        let listed = 0;
        for (const userId of ["alice", "bob"] as const) {
          const owner = sessions.findIndex(
            (session, index) => session.userId === userId && !loggedOut.has(index),
          );
          const reply = await rig.client.send("GET", "/api/sessions", {
            cookie: sessions[owner]!.cookie,
          });
          expect(reply.status).toBe(200);
          const count = (JSON.parse(reply.body) as { sessions: unknown[] }).sessions.length;
          const expected = sessions.filter(
            (session, index) => session.userId === userId && !loggedOut.has(index),
          ).length;
          expect(count, `GET /api/sessions for ${userId}`).toBe(expected);
          listed += count;
        }
        expect(listed).toBe(remaining);
        expect(rig.demo.isRunning()).toBe(true);
      },
      STEP_TIMEOUT_MS,
    );
  });
}
