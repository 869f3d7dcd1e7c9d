/**
 * The demo's HTTP contract (see the README), checked against the started process for every
 * framework and store: one suite, written once, run sixteen times.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRAMEWORKS, type FrameworkName, STORES, type StoreName } from "../src/config.js";
import { Client, COOKIE_NAME, type Reply } from "./support/client.js";
import { type DemoProcess, runDemoToExit, startDemo } from "./support/demo-process.js";
import { probeRedisBinaries, startRedisCluster } from "./support/redis-cluster.js";
import {
  assertAvailable,
  type Probe,
  probePostgres,
  probeRedis,
  shouldSkip,
} from "./support/services.js";
import { prepareStore, type TestStore } from "./support/test-stores.js";

const probes: Record<StoreName, Probe> = {
  sqlite: null,
  memory: null,
  redis: await probeRedis(),
  postgres: await probePostgres(),
};

const clusterProbe = await probeRedisBinaries();

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The `Set-Cookie` line for the session cookie, if any. */
function sessionCookie(reply: Reply): string | undefined {
  return reply.setCookies.find((line) => line.startsWith(`${COOKIE_NAME}=`));
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function expectNoStore(reply: Reply): void {
  expect(reply.headers.get("cache-control")).toContain("no-store");
}

for (const framework of FRAMEWORKS) {
  for (const store of STORES) {
    describeContract(framework, store);
  }
}

function describeContract(framework: FrameworkName, store: StoreName): void {
  const faults = store === "redis" || store === "postgres";
  describe.skipIf(shouldSkip(probes[store], `the demo on ${framework} + ${store}`))(
    `demo contract: ${framework} + ${store}`,
    () => {
      let demo: DemoProcess;
      let prepared: TestStore;
      const client = (userAgent?: string): Client => new Client(demo.url, userAgent);
      const signedIn = async (username = "alice", userAgent?: string): Promise<Client> => {
        const c = client(userAgent);
        await c.login(username, username === "alice" ? "wonderland" : "builder");
        return c;
      };

      beforeAll(async () => {
        assertAvailable(probes[store]);
        prepared = await prepareStore(store, { faults });
        demo = await startDemo({ FRAMEWORK: framework, ...prepared.env });
      });

      afterAll(async () => {
        const code = await demo?.stop();
        await prepared?.cleanup();
        expect(code, demo?.output()).toBe(0);
      });

      it("prints its URL, framework and store", () => {
        expect(demo.output()).toContain(`listening on ${demo.url}`);
        expect(demo.output()).toContain(`framework: ${framework}`);
        expect(demo.output()).toContain(`store: ${store}`);
      });

      it("serves the sign-in form to a signed-out browser, uncached", async () => {
        const reply = await client().send("GET", "/", { headers: { accept: "text/html" } });
        expect(reply.status).toBe(200);
        expect(reply.headers.get("content-type")).toMatch(/^text\/html/);
        expectNoStore(reply);
        expect(reply.text).toContain('action="/login"');
        expect(reply.text).toMatch(/<label for="username">/);
        expect(reply.text).toContain('autocomplete="current-password"');
        expect(reply.setCookies).toEqual([]);
      });

      it("answers 401 on every /api route without a valid session", async () => {
        const forged = client();
        forged.cookie = "A".repeat(43);
        for (const c of [client(), forged]) {
          for (const [method, path] of [
            ["GET", "/api/me"],
            ["GET", "/api/sessions"],
            ["DELETE", "/api/sessions/some-handle"],
            ["POST", "/api/sessions/revoke-others"],
            ["PUT", "/api/data/theme"],
            ["GET", "/api/data"],
          ] as const) {
            const reply = await c.send(
              method,
              path,
              method === "PUT" ? { json: { value: 1 } } : {},
            );
            expect(reply.status, `${method} ${path}`).toBe(401);
            expect(reply.body).toEqual({ error: "unauthenticated" });
            expect(sessionCookie(reply)).toBeUndefined();
          }
        }
      });

      it("refuses bad credentials with 401 and no session cookie", async () => {
        const c = client();
        const attempts = [
          { json: { username: "alice", password: "wrong" } },
          { json: { username: "mallory", password: "wonderland" } },
          { json: {} },
          { form: { username: "bob", password: "wonderland" } },
        ];
        for (const attempt of attempts) {
          const reply = await c.send("POST", "/login", attempt);
          expect(reply.status).toBe(401);
          expect(reply.body).toEqual({ error: "invalid_credentials" });
          expect(reply.setCookies).toEqual([]);
        }
        const browser = await c.send("POST", "/login", {
          headers: { accept: "text/html" },
          form: { username: "<b>alice</b>", password: "wrong" },
        });
        expect(browser.status).toBe(401);
        expect(browser.headers.get("content-type")).toMatch(/^text\/html/);
        expect(browser.text).toContain("Wrong username or password.");
        expect(browser.text).toContain('value="&#60;b&#62;alice&#60;/b&#62;"');
        expect(browser.setCookies).toEqual([]);
      });

      it("signs in with JSON: 200, the user, a __Host- cookie, no-store", async () => {
        const c = client();
        const reply = await c.send("POST", "/login", {
          json: { username: "alice", password: "wonderland" },
        });
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ user: { id: "alice", name: "Alice" } });
        expectNoStore(reply);
        const cookie = sessionCookie(reply)!;
        expect(cookie).toMatch(/; HttpOnly/i);
        expect(cookie).toMatch(/; Secure/i);
        expect(cookie).toMatch(/; SameSite=Lax/i);
        expect(cookie).toMatch(/; Path=\//i);
        expect(cookie).not.toMatch(/domain=|max-age|expires/i);
        expect(reply.text).not.toContain(c.cookie);
      });

      it("signs in with a form: 303 to /", async () => {
        const c = client();
        const reply = await c.send("POST", "/login", {
          form: { username: "bob", password: "builder" },
        });
        expect(reply.status).toBe(303);
        expect(reply.headers.get("location")).toBe("/");
        expect(sessionCookie(reply)).toBeDefined();
        expect((await c.send("GET", "/api/me")).body).toMatchObject({
          user: { id: "bob", name: "Bob" },
        });
      });

      it("replaces any existing session on login (no fixation)", async () => {
        const c = await signedIn();
        const before = c.cookie!;
        await c.login("alice", "wonderland");
        expect(c.cookie).toBeDefined();
        expect(c.cookie).not.toBe(before);
        const stale = client();
        stale.cookie = before;
        expect((await stale.send("GET", "/api/me")).status).toBe(401);
        expect((await c.send("GET", "/api/me")).status).toBe(200);
      });

      it("GET /api/me: the user and the session's times in ISO 8601", async () => {
        const c = await signedIn();
        const reply = await c.send("GET", "/api/me");
        expect(reply.status).toBe(200);
        expectNoStore(reply);
        const body = reply.body as {
          session: { createdAt: string; expiresAt: string; absoluteExpiresAt: string };
        };
        expect(body).toEqual({
          user: { id: "alice", name: "Alice" },
          session: {
            createdAt: expect.stringMatching(ISO),
            expiresAt: expect.stringMatching(ISO),
            absoluteExpiresAt: expect.stringMatching(ISO),
          },
        });
        const { createdAt, expiresAt, absoluteExpiresAt } = body.session;
        expect(Math.abs(Date.parse(createdAt) - Date.now())).toBeLessThan(60_000);
        expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(1800 * 1000);
        expect(Date.parse(absoluteExpiresAt) - Date.parse(createdAt)).toBe(43200 * 1000);
      });

      it("GET /api/sessions: the user's sessions with opaque handles", async () => {
        const laptop = await signedIn("bob", "laptop-browser");
        const phone = await signedIn("bob", "phone-browser");
        await laptop.send("POST", "/api/sessions/revoke-others");
        await phone.login("bob", "builder");
        const reply = await laptop.send("GET", "/api/sessions");
        expect(reply.status).toBe(200);
        expectNoStore(reply);
        const { sessions } = reply.body as { sessions: Record<string, unknown>[] };
        expect(sessions).toHaveLength(2);
        for (const session of sessions) {
          expect(Object.keys(session).sort()).toEqual(
            ["createdAt", "current", "handle", "lastSeenAt", "userAgent"].sort(),
          );
          expect(session.createdAt).toMatch(ISO);
          expect(session.lastSeenAt).toMatch(ISO);
          const handle = session.handle as string;
          for (const cookie of [laptop.cookie!, phone.cookie!]) {
            expect(cookie).not.toContain(handle);
            expect(handle).not.toContain(cookie);
            expect(sha256Hex(cookie)).not.toContain(handle);
          }
        }
        const current = sessions.filter((session) => session.current);
        expect(current).toHaveLength(1);
        expect(current[0]!.userAgent).toBe("laptop-browser");
        expect(sessions.find((session) => !session.current)!.userAgent).toBe("phone-browser");
      });

      it("PUT /api/data/:key and GET /api/data keep values in the session", async () => {
        const c = await signedIn();
        let reply = await c.send("PUT", "/api/data/theme", { json: { value: "dark" } });
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ data: { theme: "dark" } });
        reply = await c.send("PUT", "/api/data/cart", { json: { value: { items: [1, 2] } } });
        expect(reply.body).toEqual({ data: { theme: "dark", cart: { items: [1, 2] } } });
        reply = await c.send("GET", "/api/data");
        expect(reply.status).toBe(200);
        expectNoStore(reply);
        expect(reply.body).toEqual({ data: { theme: "dark", cart: { items: [1, 2] } } });
        expect((await (await signedIn()).send("GET", "/api/data")).body).toEqual({ data: {} });
        expect((await c.send("PUT", "/api/data/x", { json: { other: 1 } })).status).toBe(400);
        expect((await c.send("PUT", "/api/data/__proto__", { json: { value: 1 } })).status).toBe(
          400,
        );
        expect((await c.send("PUT", "/api/data/x", { form: { value: "1" } })).status).toBe(415);
        const big = { value: "x".repeat(20_000) };
        expect((await c.send("PUT", "/api/data/x", { json: big })).status).toBe(413);
        expect((await c.send("GET", "/api/data")).body).toEqual({
          data: { theme: "dark", cart: { items: [1, 2] } },
        });
      });

      it("DELETE /api/sessions/:handle revokes one of the user's sessions, else 404", async () => {
        const keeper = await signedIn("alice", "keeper");
        const victim = await signedIn("alice", "victim");
        const bob = await signedIn("bob");
        const list = (await keeper.send("GET", "/api/sessions")).body as {
          sessions: { handle: string; userAgent: string }[];
        };
        const handle = list.sessions.find((session) => session.userAgent === "victim")!.handle;
        const bobsHandle = (
          (await bob.send("GET", "/api/sessions")).body as { sessions: { handle: string }[] }
        ).sessions[0]!.handle;
        expect((await keeper.send("DELETE", `/api/sessions/${bobsHandle}`)).status).toBe(404);
        expect((await bob.send("GET", "/api/me")).status).toBe(200);
        const reply = await keeper.send("DELETE", `/api/sessions/${handle}`);
        expect(reply.status).toBe(204);
        expect((await victim.send("GET", "/api/me")).status).toBe(401);
        expect((await keeper.send("GET", "/api/me")).status).toBe(200);
        expect((await keeper.send("DELETE", `/api/sessions/${handle}`)).status).toBe(404);
        const unknown = await keeper.send("DELETE", "/api/sessions/no-such-handle");
        expect(unknown.status).toBe(404);
        expect(unknown.body).toEqual({ error: "not_found" });
      });

      it("POST /api/sessions/revoke-others signs out every other session of the user", async () => {
        const mine = await signedIn();
        await mine.send("POST", "/api/sessions/revoke-others");
        const others = [await signedIn(), await signedIn()];
        const bob = await signedIn("bob");
        const reply = await mine.send("POST", "/api/sessions/revoke-others");
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ revoked: 2 });
        expectNoStore(reply);
        for (const other of others) expect((await other.send("GET", "/api/me")).status).toBe(401);
        expect((await mine.send("GET", "/api/me")).status).toBe(200);
        expect((await bob.send("GET", "/api/me")).status).toBe(200);
        expect((await mine.send("POST", "/api/sessions/revoke-others")).body).toEqual({
          revoked: 0,
        });
      });

      it("refuses cross-origin unsafe requests with 403 and keeps the session", async () => {
        const c = await signedIn();
        const crossSite: Record<string, string>[] = [
          { "sec-fetch-site": "cross-site" },
          { "sec-fetch-site": "same-site" },
          { origin: "http://evil.example" },
          { origin: "null" },
        ];
        for (const headers of crossSite) {
          for (const [method, path] of [
            ["POST", "/logout"],
            ["POST", "/api/sessions/revoke-others"],
            ["PUT", "/api/data/x"],
          ] as const) {
            const reply = await c.send(method, path, { headers, json: { value: 1 } });
            expect(reply.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
            expect(sessionCookie(reply)).toBeUndefined();
          }
          const login = await client().send("POST", "/login", {
            headers,
            form: { username: "alice", password: "wonderland" },
          });
          expect(login.status).toBe(403);
          expect(login.setCookies).toEqual([]);
        }
        expect((await c.send("GET", "/api/me")).status).toBe(200);
        const sameOrigin = await c.send("PUT", "/api/data/x", {
          headers: { origin: demo.url, "sec-fetch-site": "same-origin" },
          json: { value: 1 },
        });
        expect(sameOrigin.status).toBe(200);
      });

      it("POST /logout destroys the session and clears the cookie (204, or 303 for a form)", async () => {
        const c = await signedIn();
        const token = c.cookie!;
        const reply = await c.send("POST", "/logout");
        expect(reply.status).toBe(204);
        const cleared = sessionCookie(reply)!;
        expect(cleared).toMatch(/^__Host-sid=;/);
        expect(cleared).toMatch(/max-age=0/i);
        expect(cleared).toMatch(/; Path=\//i);
        expect(cleared).toMatch(/; Secure/i);
        const replay = client();
        replay.cookie = token;
        expect((await replay.send("GET", "/api/me")).status).toBe(401);
        const form = await signedIn();
        const formReply = await form.send("POST", "/logout", { form: {} });
        expect(formReply.status).toBe(303);
        expect(formReply.headers.get("location")).toBe("/");
        expect(form.cookie).toBeUndefined();
      });

      it("answers 404 for unknown paths and 405 for GET /logout", async () => {
        const c = await signedIn();
        expect((await c.send("GET", "/nope")).status).toBe(404);
        const reply = await c.send("GET", "/logout");
        expect(reply.status).toBe(405);
        expect(reply.headers.get("allow")).toBe("POST");
        expect((await c.send("GET", "/api/me")).status).toBe(200);
      });

      it("shows the signed-in page with escaped user agent and a masked cookie", async () => {
        const c = await signedIn("alice", `<script>alert("x")</script>`);
        const reply = await c.send("GET", "/", { headers: { accept: "text/html" } });
        expect(reply.status).toBe(200);
        expectNoStore(reply);
        expect(reply.text).toContain("Signed in as Alice");
        expect(reply.text).not.toContain("<script>");
        expect(reply.text).toContain("&#60;script&#62;");
        expect(reply.text).not.toContain(c.cookie);
        expect(reply.text).toContain(`${c.cookie!.slice(0, 4)}•••`);
        const key = sha256Hex(c.cookie!);
        expect(reply.text).toContain(`sha256:${key.slice(0, 12)}…`);
        expect(reply.text).not.toContain(key.slice(0, 16));
      });

      if (faults) {
        it("answers 503 quickly while the store is down, stays up, and recovers", async () => {
          const c = await signedIn();
          const proxy = prepared.proxy!;
          proxy.cut();
          try {
            for (const [path, accept] of [
              ["/api/me", "application/json"],
              ["/", "text/html"],
            ] as const) {
              const started = Date.now();
              const reply = await c.send("GET", path, { headers: { accept } });
              expect(reply.status, path).toBe(503);
              expect(Date.now() - started).toBeLessThan(3_000);
              if (path === "/api/me")
                expect(reply.body).toEqual({ error: "session_store_unavailable" });
              expect(sessionCookie(reply)).toBeUndefined();
            }
            const login = await client().send("POST", "/login", {
              json: { username: "alice", password: "wonderland" },
            });
            expect(login.status).toBe(503);
            expect(login.setCookies).toEqual([]);
          } finally {
            proxy.restore();
          }
          const deadline = Date.now() + 15_000;
          let status = 0;
          while (Date.now() < deadline) {
            status = (await c.send("GET", "/api/me")).status;
            if (status === 200) break;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          expect(status).toBe(200);
        });
      }
    },
  );
}

describe("demo configuration", () => {
  it("ends a session after IDLE_TIMEOUT_SECONDS and ABSOLUTE_TIMEOUT_SECONDS", async () => {
    const demo = await startDemo({
      FRAMEWORK: "hono",
      SESSION_STORE: "memory",
      IDLE_TIMEOUT_SECONDS: "1",
      ABSOLUTE_TIMEOUT_SECONDS: "2",
    });
    try {
      const idle = new Client(demo.url);
      await idle.login("alice", "wonderland");
      const active = new Client(demo.url);
      await active.login("alice", "wonderland");
      const started = Date.now();
      // Active every 400 ms: the idle timeout never hits, the absolute one does.
      while (Date.now() - started < 1_600) {
        expect((await active.send("GET", "/api/me")).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      expect((await idle.send("GET", "/api/me")).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 2_100 - (Date.now() - started)));
      expect((await active.send("GET", "/api/me")).status).toBe(401);
    } finally {
      await demo.stop();
    }
  });

  it("starts with ABSOLUTE_TIMEOUT_SECONDS alone, below the default idle timeout, and ends sessions then", async () => {
    const demo = await startDemo({
      FRAMEWORK: "express",
      SESSION_STORE: "memory",
      ABSOLUTE_TIMEOUT_SECONDS: "2",
    });
    try {
      const client = new Client(demo.url);
      await client.login("alice", "wonderland");
      const started = Date.now();
      expect((await client.send("GET", "/api/me")).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2_100 - (Date.now() - started)));
      expect((await client.send("GET", "/api/me")).status).toBe(401);
    } finally {
      await demo.stop();
    }
  });

  it("asks for a recent sign-in before revoking sessions (REAUTH_WINDOW_SECONDS)", async () => {
    const demo = await startDemo({
      FRAMEWORK: "koa",
      SESSION_STORE: "memory",
      REAUTH_WINDOW_SECONDS: "1",
    });
    try {
      const laptop = new Client(demo.url);
      await laptop.login("alice", "wonderland");
      const phone = new Client(demo.url);
      await phone.login("alice", "wonderland");
      const listed = await laptop.send("GET", "/api/sessions");
      const sessions = (
        JSON.parse(listed.text) as { sessions: { handle: string; current: boolean }[] }
      ).sessions;
      const phoneHandle = sessions.find((session) => !session.current)!.handle;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      for (const [method, path] of [
        ["DELETE", `/api/sessions/${phoneHandle}`],
        ["POST", "/api/sessions/revoke-others"],
      ] as const) {
        const refused = await laptop.send(method, path);
        expect(refused.status, path).toBe(401);
        expect(JSON.parse(refused.text)).toEqual({ error: "reauth_required" });
      }
      expect((await phone.send("GET", "/api/me")).status).toBe(200);
      await laptop.login("alice", "wonderland");
      expect((await laptop.send("DELETE", `/api/sessions/${phoneHandle}`)).status).toBe(204);
      expect((await phone.send("GET", "/api/me")).status).toBe(401);
    } finally {
      await demo.stop();
    }
  });

  it.skipIf(shouldSkip(clusterProbe, "the Redis Cluster test"))(
    "keeps sessions in a Redis Cluster with REDIS_CLUSTER=1",
    async () => {
      assertAvailable(clusterProbe);
      const cluster = await startRedisCluster();
      let demo: DemoProcess | undefined;
      try {
        demo = await startDemo({
          FRAMEWORK: "koa",
          SESSION_STORE: "redis",
          REDIS_CLUSTER: "1",
          REDIS_URL: `redis://127.0.0.1:${cluster.ports[1]}`,
        });
        expect(demo.output()).toContain("cluster");
        const mine = new Client(demo.url);
        await mine.login("alice", "wonderland");
        const other = new Client(demo.url);
        await other.login("alice", "wonderland");
        const { sessions } = (await mine.send("GET", "/api/sessions")).body as {
          sessions: unknown[];
        };
        expect(sessions).toHaveLength(2);
        const put = await mine.send("PUT", "/api/data/theme", { json: { value: "dark" } });
        expect(put.body).toEqual({ data: { theme: "dark" } });
        const revoked = await mine.send("POST", "/api/sessions/revoke-others");
        expect(revoked.body).toEqual({ revoked: 1 });
        expect((await other.send("GET", "/api/me")).status).toBe(401);
        expect((await mine.send("POST", "/logout")).status).toBe(204);
        expect((await mine.send("GET", "/api/me")).status).toBe(401);
      } finally {
        await demo?.stop();
        await cluster.stop();
      }
    },
  );

  it("refuses a bad environment with a message that names the variable", async () => {
    const { code, output } = await runDemoToExit({ FRAMEWORK: "rails" });
    expect(code).toBe(1);
    expect(output).toContain("FRAMEWORK must be one of express, koa, hono, fastify");
  });
});
