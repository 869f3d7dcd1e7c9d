import { describe, expect, it } from "vitest";
import type { RequestContext } from "../request-context.js";
import type { RequestSession } from "../request-session.js";
import type { SessionData } from "../session-engine.js";
import { SessionManager } from "../session-manager.js";
import type { SessionStore, StoredSessionEntry } from "../store.js";
import { PausingStore } from "./pausing-store.js";

/** What {@link describeSessionRaces} needs from the store suite it runs in. */
export interface SessionRaceContext {
  /** The store under test, fresh for each test. */
  store(): SessionStore;
  /** The clock the store reads. */
  now(): number;
  /** Moves that clock forward. */
  advance(ms: number): void;
}

const CONTEXT: RequestContext = { secure: true, host: "app.example" };
const RENEWAL_INTERVAL_SECONDS = 600;
/** Pairs of requests run at once in each real-concurrency test. */
const PAIRS = 24;
/** More store calls than any one operation makes: a pause this far in is never reached. */
const MAX_STEPS = 16;

/** What a response did with the session cookie: nothing, clear it, or set this token. */
type CookieReply = { kind: "none" } | { kind: "clear" } | { kind: "set"; token: string };

/** One request: its session, and what its commit wrote. */
interface Visit {
  session: RequestSession<SessionData>;
  commit(): Promise<CookieReply>;
}

/** A signed-in session, as a test starts from. */
interface Login {
  token: string;
  userId: string;
  handle: string;
}

let users = 0;

/** A session manager over the store under test, wrapped so a test can hold any store call. */
function makeRig(context: SessionRaceContext, options: { maxSessionsPerUser?: number } = {}) {
  const store = new PausingStore(context.store());
  const manager = new SessionManager<SessionData>({
    store,
    now: context.now,
    renewalIntervalSeconds: RENEWAL_INTERVAL_SECONDS,
    renewalGraceSeconds: 30,
    ...options,
  });

  async function visit(token: string | null): Promise<Visit> {
    const header = token === null ? undefined : `${manager.cookieName}=${token}`;
    const session = await manager.load(header, CONTEXT);
    return {
      session,
      async commit(): Promise<CookieReply> {
        const line = (await session.commit())?.setCookie;
        if (line === undefined) return { kind: "none" };
        if (/Max-Age=0/i.test(line)) return { kind: "clear" };
        const pair = line.split(";")[0]!;
        return { kind: "set", token: pair.slice(pair.indexOf("=") + 1) };
      },
    };
  }

  async function login(data: SessionData = {}, existingUserId?: string): Promise<Login> {
    users += 1;
    const userId = existingUserId ?? `race-user-${process.pid}-${Date.now().toString(36)}-${users}`;
    const request = await visit(null);
    await request.session.create(userId, { data });
    const reply = await request.commit();
    if (reply.kind !== "set") throw new Error("login set no cookie");
    return { token: reply.token, userId, handle: request.session.info!.handle };
  }

  /** The live (not forwarding) records of the session `handle`. */
  async function liveRecords(login: Login): Promise<StoredSessionEntry[]> {
    const entries = await store.inner.listByUser(login.userId);
    return entries.filter(
      (entry) => entry.record.successorId === null && entry.record.handle === login.handle,
    );
  }

  /** The data a token opens, or `null` when it opens no session. Writes nothing. */
  async function dataOf(token: string): Promise<SessionData | null> {
    const { session } = await visit(token);
    return session.exists ? { ...session.data } : null;
  }

  return { store, manager, visit, login, liveRecords, dataOf };
}

type Rig = ReturnType<typeof makeRig>;

/**
 * Runs `operation` (one request's work) with its `step`-th store call held while `interfere`
 * runs to the end. When the operation makes fewer calls than `step`, `interfere` runs after it
 * instead. Resolves the operation's result and whether the pause was reached.
 */
async function interleave<T>(
  rig: Rig,
  step: number,
  operation: () => Promise<T>,
  interfere: () => Promise<unknown>,
): Promise<{ result: T; paused: boolean }> {
  const pause = rig.store.pauseAt(step);
  const running = operation();
  const paused = await Promise.race([pause.reached.then(() => true), running.then(() => false)]);
  if (!paused) pause.release();
  await interfere();
  pause.release();
  return { result: await running, paused };
}

/** Calls `scenario` with step 0, 1, 2, … until a step no longer reaches its pause. */
async function atEveryStep(scenario: (step: number) => Promise<boolean>): Promise<void> {
  for (let step = 0; step < MAX_STEPS; step++) {
    if (!(await scenario(step))) return;
  }
  throw new Error(`The operation made more than ${MAX_STEPS} store calls.`);
}

/** A few turns of the event loop, so concurrent pairs start at varied offsets. */
async function stagger(): Promise<void> {
  const turns = Math.floor(Math.random() * 4);
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function rotateAndCommit(visit: Visit): Promise<CookieReply> {
  await visit.session.rotate();
  return visit.commit();
}

async function destroyAndCommit(visit: Visit): Promise<CookieReply> {
  await visit.session.destroy();
  return visit.commit();
}

/** Checks that a session destroyed or revoked during a rotation stays gone. */
async function expectGone(rig: Rig, login: Login, rotation: CookieReply): Promise<void> {
  expect(await rig.liveRecords(login)).toEqual([]);
  expect(await rig.dataOf(login.token)).toBeNull();
  if (rotation.kind === "set") expect(await rig.dataOf(rotation.token)).toBeNull();
}

/** Checks that two rotations of one token left exactly one live record and one working cookie. */
async function expectOneSurvivor(rig: Rig, login: Login, replies: CookieReply[]): Promise<void> {
  expect(await rig.liveRecords(login)).toHaveLength(1);
  const working: string[] = [];
  for (const reply of replies) {
    if (reply.kind === "set" && (await rig.dataOf(reply.token)) !== null) working.push(reply.token);
  }
  expect(working).toHaveLength(1);
  expect(await rig.dataOf(login.token)).toBeNull();
}

/** Checks that a change made on the old token during a renewal landed on the successor. */
async function expectRenewedWithout(
  rig: Rig,
  login: Login,
  key: string,
  replies: CookieReply[],
): Promise<void> {
  for (const reply of replies) expect(reply.kind).not.toBe("clear");
  const live = await rig.liveRecords(login);
  expect(live).toHaveLength(1);
  expect(JSON.parse(live[0]!.record.data)).not.toHaveProperty(key);
  const issued = replies.flatMap((reply) => (reply.kind === "set" ? [reply.token] : []));
  expect(issued).toHaveLength(1);
  for (const token of [login.token, ...issued]) {
    const data = await rig.dataOf(token);
    expect(data).not.toBeNull();
    expect(data).not.toHaveProperty(key);
  }
}

/**
 * Races of whole requests over the store under test, through a `SessionManager`: rotations
 * against logouts, revocations and each other, and requests on a token that is being renewed.
 * First with every interleaving forced (one request held at each of its store calls in turn),
 * then with many pairs at once. Run by {@link describeStoreConformance}.
 */
export function describeSessionRaces(context: SessionRaceContext): void {
  describe("sessions over it stay single and stay gone under races", () => {
    it("keeps a session destroyed at any point of a rotation, or after it, destroyed", async () => {
      const rig = makeRig(context);
      await atEveryStep(async (step) => {
        const login = await rig.login();
        const rotating = await rig.visit(login.token);
        const destroying = await rig.visit(login.token);
        const { result, paused } = await interleave(
          rig,
          step,
          () => rotateAndCommit(rotating),
          () => destroyAndCommit(destroying),
        );
        await expectGone(rig, login, result);
        return paused;
      });
    });

    it("keeps a user revoked at any point of a rotation, or after it, revoked", async () => {
      const rig = makeRig(context);
      await atEveryStep(async (step) => {
        const login = await rig.login();
        const rotating = await rig.visit(login.token);
        const { result, paused } = await interleave(
          rig,
          step,
          () => rotateAndCommit(rotating),
          () => rig.manager.invalidateUserSessions(login.userId),
        );
        await expectGone(rig, login, result);
        expect(await rig.manager.listUserSessions(login.userId)).toEqual([]);
        return paused;
      });
    });

    it("keeps a session revoked by handle at any point of a rotation, or after it, revoked", async () => {
      const rig = makeRig(context);
      await atEveryStep(async (step) => {
        const login = await rig.login();
        const rotating = await rig.visit(login.token);
        const { result, paused } = await interleave(
          rig,
          step,
          () => rotateAndCommit(rotating),
          () => rig.manager.revokeSession(login.userId, login.handle),
        );
        await expectGone(rig, login, result);
        return paused;
      });
    });

    it("keeps a session evicted by a newer login at any point of its rotation, or after it, evicted", async () => {
      const rig = makeRig(context, { maxSessionsPerUser: 1 });
      await atEveryStep(async (step) => {
        const login = await rig.login();
        const rotating = await rig.visit(login.token);
        let newer: Login | undefined;
        const { result, paused } = await interleave(
          rig,
          step,
          () => rotateAndCommit(rotating),
          async () => {
            newer = await rig.login({}, login.userId);
          },
        );
        await expectGone(rig, login, result);
        const sessions = await rig.manager.listUserSessions(login.userId);
        expect(sessions.map((session) => session.handle)).toEqual([newer!.handle]);
        expect(await rig.dataOf(newer!.token)).not.toBeNull();
        return paused;
      });
    });

    it("lets exactly one of two rotations of one token win, whatever the interleaving", async () => {
      const rig = makeRig(context);
      await atEveryStep(async (step) => {
        const login = await rig.login();
        const first = await rig.visit(login.token);
        const second = await rig.visit(login.token);
        let other: CookieReply = { kind: "none" };
        const { result, paused } = await interleave(
          rig,
          step,
          () => rotateAndCommit(first),
          async () => {
            other = await rotateAndCommit(second);
          },
        );
        await expectOneSurvivor(rig, login, [result, other]);
        return paused;
      });
    });

    it("keeps a change made on the old token at any point of a renewal, and its cookie", async () => {
      const rig = makeRig(context);
      await atEveryStep(async (step) => {
        const login = await rig.login({ admin: true, n: 1 });
        context.advance(RENEWAL_INTERVAL_SECONDS * 1000 + 1_000);
        const renewing = await rig.visit(login.token);
        const demoting = await rig.visit(login.token);
        demoting.session.unset("admin");
        let other: CookieReply = { kind: "none" };
        const { result, paused } = await interleave(
          rig,
          step,
          () => renewing.commit(),
          async () => {
            other = await demoting.commit();
          },
        );
        await expectRenewedWithout(rig, login, "admin", [result, other]);
        return paused;
      });
    });

    it("keeps sessions single, destroyed and revoked under many concurrent rotations", async () => {
      const rig = makeRig(context);
      const pairs = async <T>(run: (login: Login) => Promise<T>): Promise<[Login, T][]> => {
        const logins = await Promise.all(Array.from({ length: PAIRS }, () => rig.login()));
        return Promise.all(logins.map(async (login) => [login, await run(login)] as [Login, T]));
      };
      const [destroyed, revoked, doubled] = await Promise.all([
        pairs(async (login) => {
          const [rotating, destroying] = [
            await rig.visit(login.token),
            await rig.visit(login.token),
          ];
          const [rotation] = await Promise.all([
            rotateAndCommit(rotating),
            stagger().then(() => destroyAndCommit(destroying)),
          ]);
          return rotation;
        }),
        pairs(async (login) => {
          const rotating = await rig.visit(login.token);
          const [rotation] = await Promise.all([
            rotateAndCommit(rotating),
            stagger().then(() => rig.manager.invalidateUserSessions(login.userId)),
          ]);
          return rotation;
        }),
        pairs(async (login) => {
          const [first, second] = [await rig.visit(login.token), await rig.visit(login.token)];
          return Promise.all([
            rotateAndCommit(first),
            stagger().then(() => rotateAndCommit(second)),
          ]);
        }),
      ]);
      for (const [login, rotation] of [...destroyed, ...revoked])
        await expectGone(rig, login, rotation);
      for (const [login, replies] of doubled) await expectOneSurvivor(rig, login, replies);
    });

    it("keeps every change of requests racing a renewal, and their cookies", async () => {
      const rig = makeRig(context);
      const logins = await Promise.all(
        Array.from({ length: PAIRS }, () => rig.login({ admin: true, n: 1 })),
      );
      context.advance(RENEWAL_INTERVAL_SECONDS * 1000 + 1_000);
      const outcomes = await Promise.all(
        logins.map(async (login) => {
          const [renewing, demoting] = [await rig.visit(login.token), await rig.visit(login.token)];
          demoting.session.unset("admin");
          return Promise.all([renewing.commit(), stagger().then(() => demoting.commit())]);
        }),
      );
      for (const [index, login] of logins.entries()) {
        await expectRenewedWithout(rig, login, "admin", outcomes[index]!);
      }
    });
  });
}
