/**
 * Two started demo processes, on different ports and frameworks, share one store. A session is
 * one session wherever it is used: a login through A works through B with the same cookie, and
 * every way of ending a session through one process takes effect at once through the other.
 * Run once per shared store: Redis, PostgreSQL, and one SQLite file opened by both processes.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameworkName } from "../../examples/demo/src/config.js";
import { type LaunchedDemo, launchDemo } from "./support/demo-launch.js";
import {
  createCorner,
  type PersistentStore,
  requireService,
  type StoreCorner,
} from "./support/demo-stores.js";
import {
  type DemoUserId,
  LoadClient,
  type LoadReply,
  type LoadSession,
  runBounded,
} from "./support/load-client.js";

interface SharedSetup {
  store: PersistentStore;
  /** The frameworks of process A and process B. */
  frameworks: [FrameworkName, FrameworkName];
}

const SETUPS: SharedSetup[] = [
  { store: "redis", frameworks: ["express", "koa"] },
  { store: "postgres", frameworks: ["hono", "express"] },
  { store: "sqlite", frameworks: ["koa", "hono"] },
];

interface SessionListing {
  sessions: { handle: string; userAgent: string | null; current: boolean }[];
}

function parse<T>(reply: LoadReply): T {
  return JSON.parse(reply.body) as T;
}

for (const setup of SETUPS) describeShared(setup);

function describeShared({ store, frameworks }: SharedSetup): void {
  describe(`two demo processes (${frameworks.join(" + ")}) sharing one ${store} store`, () => {
    let corner: StoreCorner;
    let a: LaunchedDemo;
    let b: LaunchedDemo;
    let viaA: LoadClient;
    let viaB: LoadClient;
    let run = 0;

    /** A user agent no other test in this corner uses, to find a session in a listing. */
    const agent = (label: string): string => `${label}-${++run}`;
    const me = (client: LoadClient, session: LoadSession): Promise<LoadReply> =>
      client.send("GET", "/api/me", { cookie: session.cookie });
    const listing = async (client: LoadClient, session: LoadSession): Promise<SessionListing> => {
      const reply = await client.send("GET", "/api/sessions", { cookie: session.cookie });
      expect(reply.status).toBe(200);
      return parse<SessionListing>(reply);
    };
    /** Ends every other session of the user, so a count below starts from this one alone. */
    const aloneLogin = async (client: LoadClient, userId: DemoUserId): Promise<LoadSession> => {
      const session = await client.login(userId, agent("keeper"));
      const reply = await client.send("POST", "/api/sessions/revoke-others", {
        cookie: session.cookie,
      });
      expect(reply.status).toBe(200);
      return session;
    };

    beforeAll(async () => {
      await requireService(store);
      corner = await createCorner(store);
      a = await launchDemo({ FRAMEWORK: frameworks[0], ...corner.env });
      b = await launchDemo({ FRAMEWORK: frameworks[1], ...corner.env });
      viaA = new LoadClient(a.port);
      viaB = new LoadClient(b.port);
    });

    afterAll(async () => {
      viaA?.close();
      viaB?.close();
      const codes = [await a?.stop(), await b?.stop()];
      await corner?.cleanup();
      expect(codes, `${a?.output()}\n${b?.output()}`).toEqual([0, 0]);
    });

    it("runs two processes on two ports against the same store", () => {
      expect(a.port).not.toBe(b.port);
      expect(a.isRunning() && b.isRunning()).toBe(true);
      expect(a.output()).toContain(`framework: ${frameworks[0]}, store: ${store}`);
      expect(b.output()).toContain(`framework: ${frameworks[1]}, store: ${store}`);
    });

    it("accepts a login made on A on B with the same cookie, and shares its data", async () => {
      const session = await viaA.login("alice", agent("shared"));
      const onB = await me(viaB, session);
      expect(onB.status).toBe(200);
      expect(parse(onB)).toMatchObject({ user: { id: "alice", name: "Alice" } });
      expect(onB.setCookies).toEqual([]);
      const put = await viaA.send("PUT", "/api/data/theme", {
        cookie: session.cookie,
        json: { value: "dark" },
      });
      expect(put.status).toBe(200);
      const putB = await viaB.send("PUT", "/api/data/lang", {
        cookie: session.cookie,
        json: { value: "fr" },
      });
      expect(parse(putB)).toEqual({ data: { theme: "dark", lang: "fr" } });
      for (const client of [viaA, viaB]) {
        const data = await client.send("GET", "/api/data", { cookie: session.cookie });
        expect(parse(data)).toEqual({ data: { theme: "dark", lang: "fr" } });
      }
    });

    it("refuses a session on B at once after logout on A", async () => {
      const session = await viaB.login("bob", agent("leaving"));
      expect((await me(viaA, session)).status).toBe(200);
      const logout = await viaA.send("POST", "/logout", { cookie: session.cookie });
      expect(logout.status).toBe(204);
      const onB = await me(viaB, session);
      expect(onB.status).toBe(401);
      expect(parse(onB)).toEqual({ error: "unauthenticated" });
      expect((await me(viaA, session)).status).toBe(401);
    });

    it("ends sessions created through B when A revokes the others", async () => {
      const keeper = await aloneLogin(viaA, "bob");
      const others = await runBounded(3, 3, (index) => viaB.login("bob", agent(`other${index}`)));
      const alice = await viaB.login("alice", agent("bystander"));
      expect((await listing(viaA, keeper)).sessions).toHaveLength(4);
      const reply = await viaA.send("POST", "/api/sessions/revoke-others", {
        cookie: keeper.cookie,
      });
      expect(reply.status).toBe(200);
      expect(parse(reply)).toEqual({ revoked: 3 });
      for (const other of others) {
        expect((await me(viaB, other)).status).toBe(401);
        expect((await me(viaA, other)).status).toBe(401);
      }
      expect((await me(viaB, keeper)).status).toBe(200);
      expect((await me(viaB, alice)).status).toBe(200);
      const left = (await listing(viaB, keeper)).sessions;
      expect(left).toHaveLength(1);
      expect(left[0]!.current).toBe(true);
    });

    it("revokes a session made on A through DELETE /api/sessions/:handle on B", async () => {
      const victimAgent = agent("victim");
      const victim = await viaA.login("alice", victimAgent);
      const keeper = await viaB.login("alice", agent("keeper"));
      const { sessions } = await listing(viaB, keeper);
      const handle = sessions.find((session) => session.userAgent === victimAgent)?.handle;
      expect(handle).toBeDefined();
      expect((await me(viaA, victim)).status).toBe(200);
      const reply = await viaB.send("DELETE", `/api/sessions/${handle}`, {
        cookie: keeper.cookie,
      });
      expect(reply.status).toBe(204);
      expect((await me(viaA, victim)).status).toBe(401);
      expect((await me(viaB, victim)).status).toBe(401);
      expect((await me(viaA, keeper)).status).toBe(200);
      const again = await viaA.send("DELETE", `/api/sessions/${handle}`, {
        cookie: keeper.cookie,
      });
      expect(again.status).toBe(404);
    });

    it("lists the same sessions through both processes", async () => {
      const keeper = await aloneLogin(viaB, "bob");
      await viaA.login("bob", agent("second"));
      const fromA = (await listing(viaA, keeper)).sessions.map((s) => s.handle).sort();
      const fromB = (await listing(viaB, keeper)).sessions.map((s) => s.handle).sort();
      expect(fromA).toHaveLength(2);
      expect(fromB).toEqual(fromA);
    });

    it("keeps every key of concurrent writes to one session through both processes", async () => {
      const session = await viaA.login("alice", agent("writer"));
      const writes = 40;
      const replies = await runBounded(writes, 8, (index) =>
        (index % 2 === 0 ? viaA : viaB).send("PUT", `/api/data/k${index}`, {
          cookie: session.cookie,
          json: { value: index },
        }),
      );
      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
      const expected = Object.fromEntries(
        Array.from({ length: writes }, (_, index) => [`k${index}`, index]),
      );
      for (const client of [viaA, viaB]) {
        const data = await client.send("GET", "/api/data", { cookie: session.cookie });
        expect(parse(data)).toEqual({ data: expected });
      }
    });
  });
}
