/**
 * SEC-52: sessions are created lazily, and only by a successful sign-in. Anonymous page views
 * and failed logins against the started demo (SQLite, counted in the store itself) leave the
 * store as it was and set no cookie.
 *
 * Counts: 10,000 anonymous requests always; failed logins cost one scrypt hash each in the demo,
 * so CI sends 500 and `SESAME_LOAD=full` (`pnpm test:load`) sends 10,000.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoRig, startDemoRig, stopDemoRig } from "./support/demo-rig.js";
import { createCorner, requireService } from "./support/demo-stores.js";
import { type LoadReply, runBounded } from "./support/load-client.js";

const FULL = process.env.SESAME_LOAD === "full";
const ANONYMOUS_REQUESTS = 10_000;
const FAILED_LOGINS = FULL ? 10_000 : 500;
const CONCURRENCY = 32;

function statuses(replies: LoadReply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) counts[reply.status] = (counts[reply.status] ?? 0) + 1;
  return counts;
}

describe("anonymous traffic creates no sessions (SEC-52): express + SQLite", () => {
  let rig: DemoRig;

  beforeAll(async () => {
    await requireService("sqlite");
    rig = await startDemoRig(await createCorner("sqlite"), "express", CONCURRENCY);
  });

  afterAll(() => stopDemoRig(rig));

  it(`answers ${ANONYMOUS_REQUESTS} anonymous requests without a session or a cookie`, async () => {
    const before = await rig.corner.countLiveSessions();
    const replies = await runBounded(ANONYMOUS_REQUESTS, CONCURRENCY, (index) =>
      rig.client.send("GET", index % 2 === 0 ? "/" : "/api/me"),
    );
    expect(statuses(replies)).toEqual({ 200: ANONYMOUS_REQUESTS / 2, 401: ANONYMOUS_REQUESTS / 2 });
    expect(replies.flatMap((reply) => reply.setCookies)).toEqual([]);
    expect(await rig.corner.countLiveSessions()).toBe(before);
  });

  it(`refuses ${FAILED_LOGINS} failed logins without a session or a cookie`, async () => {
    const before = await rig.corner.countLiveSessions();
    const replies = await runBounded(FAILED_LOGINS, CONCURRENCY, (index) =>
      rig.client.send("POST", "/login", {
        json: { username: index % 3 === 0 ? "mallory" : "alice", password: `guess-${index}` },
      }),
    );
    expect(statuses(replies)).toEqual({ 401: FAILED_LOGINS });
    expect(new Set(replies.map((reply) => reply.body))).toEqual(
      new Set(['{"error":"invalid_credentials"}']),
    );
    expect(replies.flatMap((reply) => reply.setCookies)).toEqual([]);
    expect(await rig.corner.countLiveSessions()).toBe(before);
    const good = await rig.client.tryLogin("alice");
    expect(good.status).toBe(200);
    expect(await rig.corner.countLiveSessions()).toBe(before + 1);
  });
});
