/**
 * docs/migrating-from-express-session.md: its TypeScript samples are the files in `guide/`,
 * verbatim, and they work: express-session signs a user in, the sesame app takes them over.
 */
import { readdirSync, readFileSync } from "node:fs";
import { MemoryStore } from "@sesame/core";
import { type HttpReply, listenOnLoopback, sendRequest } from "@sesame/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "./guide/after.js";
import { createOldApp } from "./guide/before.js";
import { connectRedisOrSkip } from "./redis.js";

const guide = new URL("../../../docs/migrating-from-express-session.md", import.meta.url);
const samples = new URL("./guide/", import.meta.url);
const SECRET = "the secret the express-session app had";

function cookieOf(reply: HttpReply, name: string): string {
  const line = reply.setCookies.find((entry) => entry.startsWith(`${name}=`)) ?? "";
  return line.slice(0, line.indexOf(";"));
}

const redis = await connectRedisOrSkip("the migration guide's samples");
afterAll(async () => {
  await redis?.quit();
});

describe("the guide to migrating from express-session", () => {
  it("shows every sample file verbatim, and no other TypeScript", () => {
    const text = readFileSync(guide, "utf8");
    const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
    const files = readdirSync(samples)
      .filter((name) => name.endsWith(".ts"))
      .map((name) => readFileSync(new URL(name, samples), "utf8"));
    expect(files.length).toBeGreaterThan(0);
    expect([...blocks].sort()).toEqual([...files].sort());
  });

  it.runIf(redis !== null)("signs express-session's users in on the sesame app", async () => {
    const client = redis!;
    const before = await listenOnLoopback(createOldApp(client, SECRET));
    const after = await listenOnLoopback(createApp(client, SECRET, new MemoryStore()));
    try {
      const login = await sendRequest(before.url, "POST", "/login", {
        json: { username: "alice" },
      });
      expect(login.status).toBe(204);
      const old = cookieOf(login, "connect.sid");
      const sid = decodeURIComponent(old.slice("connect.sid=".length)).slice(2).split(".")[0]!;
      expect(await client.exists(`sess:${sid}`)).toBe(1);

      const first = await sendRequest(after.url, "GET", "/me", { cookie: old });
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body)).toEqual({ userId: "alice", theme: "dark" });
      expect(await client.exists(`sess:${sid}`)).toBe(0);
      const cookie = cookieOf(first, "__Host-sid");
      expect(cookie).not.toBe("");

      const put = await sendRequest(after.url, "PUT", "/theme", {
        cookie,
        json: { theme: "light" },
      });
      expect(put.status).toBe(204);
      const me = await sendRequest(after.url, "GET", "/me", { cookie });
      expect(JSON.parse(me.body)).toEqual({ userId: "alice", theme: "light" });
      expect((await sendRequest(after.url, "POST", "/logout", { cookie })).status).toBe(204);
      expect((await sendRequest(after.url, "GET", "/me", { cookie })).status).toBe(401);

      const signedInAfresh = await sendRequest(after.url, "POST", "/login", {
        json: { username: "bob" },
      });
      expect(signedInAfresh.status).toBe(204);
      expect(cookieOf(signedInAfresh, "__Host-sid")).not.toBe("");
    } finally {
      await Promise.all([before.close(), after.close()]);
    }
  });
});
