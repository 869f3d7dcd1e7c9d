/**
 * What the Hono README's runtime pages promise of their app (runtimes/<runtime>/app.ts), checked
 * over HTTP against the app as the runtime serves it: sign in, read, tampered and cross-origin
 * requests refused, sign out; with a persistent store, still signed in after a restart.
 */
import { sendRequest } from "@sesame/core/testing";
import { afterEach, describe, expect, it } from "vitest";

/** A running copy of the app. */
export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Options of {@link describeReadmeApp}. */
export interface ReadmeAppOptions {
  /** The store keeps sessions across a restart of the app (SQLite in a file). */
  persistent?: boolean;
}

const SESSION_COOKIE = /^__Host-sid=([A-Za-z0-9_-]{43}); Path=\/; Secure; HttpOnly; SameSite=Lax$/;

function tamper(cookie: string): string {
  const last = cookie.at(-1) === "A" ? "B" : "A";
  return `${cookie.slice(0, -1)}${last}`;
}

/** Registers the README app's checks; `start` runs one copy of the app (again on each call). */
export function describeReadmeApp(
  name: string,
  start: () => Promise<RunningApp>,
  options: ReadmeAppOptions = {},
): void {
  describe(name, () => {
    const running: RunningApp[] = [];
    const run = async (): Promise<RunningApp> => {
      const app = await start();
      running.push(app);
      return app;
    };
    afterEach(async () => {
      await Promise.all(running.splice(0).map((app) => app.close()));
    });

    it("signs in, reads the session, refuses a tampered cookie, signs out", async () => {
      const { url } = await run();
      const anonymous = await sendRequest(url, "GET", "/me");
      expect(anonymous.status).toBe(401);

      const login = await sendRequest(url, "POST", "/login");
      expect(login.status).toBe(200);
      expect(login.setCookies).toHaveLength(1);
      const token = SESSION_COOKIE.exec(login.setCookies[0]!)?.[1];
      expect(token).toBeDefined();
      const cookie = `__Host-sid=${token}`;

      const me = await sendRequest(url, "GET", "/me", { cookie });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body)).toEqual({ userId: "user-42", theme: "light" });
      expect(me.headers.get("cache-control")).toBe("no-store");

      expect((await sendRequest(url, "GET", "/me", { cookie: tamper(cookie) })).status).toBe(401);

      const logout = await sendRequest(url, "POST", "/logout", { cookie });
      expect(logout.status).toBe(204);
      expect(logout.setCookies[0]).toMatch(/^__Host-sid=; Max-Age=0;/);
      expect((await sendRequest(url, "GET", "/me", { cookie })).status).toBe(401);
    });

    it("refuses a cross-site sign-in", async () => {
      const { url } = await run();
      const reply = await sendRequest(url, "POST", "/login", {
        headers: { origin: "https://evil.example" },
      });
      expect(reply.status).toBe(403);
      expect(reply.setCookies).toEqual([]);
    });

    if (!options.persistent) return;
    it("keeps the user signed in across a restart", async () => {
      const first = await run();
      const login = await sendRequest(first.url, "POST", "/login");
      const cookie = `__Host-sid=${SESSION_COOKIE.exec(login.setCookies[0] ?? "")?.[1]}`;
      await first.close();
      running.splice(running.indexOf(first), 1);
      const second = await run();
      const me = await sendRequest(second.url, "GET", "/me", { cookie });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body).userId).toBe("user-42");
    });
  });
}
