import { GuardedStore, SessionStoreError } from "@sesame/core";
import { makeStoredSession } from "@sesame/core/testing";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import {
  deleteKeys,
  requireService,
  SHARED_PORT,
  sharedRedisIsUp,
  uniquePrefix,
} from "./support.js";

const available = requireService(`Redis at 127.0.0.1:${SHARED_PORT}`, await sharedRedisIsUp());
const url = `redis://127.0.0.1:${SHARED_PORT}`;

describe("RedisStore on a client that is not connected", () => {
  it("says to connect a node-redis client first, without retrying, until it is connected", async () => {
    const client = createClient({ url });
    client.on("error", () => undefined);
    const prefix = uniquePrefix("unconnected");
    const store = new GuardedStore(new RedisStore(client, { prefix }), { retries: 3 });
    const failure = await store.get("id").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreError);
    expect(failure).toMatchObject({
      code: "store_misconfigured",
      message:
        "RedisStore: the node-redis client is not connected; connect the client first (await client.connect()) before serving requests, and keep it open while serving them.",
    });
    await expect(store.create("id", makeStoredSession(Date.now()))).rejects.toMatchObject({
      code: "store_misconfigured",
    });
    if (!available) return;
    await client.connect();
    try {
      expect(await store.get("id")).toBeNull();
    } finally {
      client.destroy();
      await deleteKeys(SHARED_PORT, prefix);
    }
  });

  it("says an ioredis client has ended, and lets a lazily connecting one connect", async () => {
    const ended = new Redis(url, { lazyConnect: true });
    ended.disconnect();
    const failure = await new RedisStore(ended).get("id").catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: "store_misconfigured",
      message:
        'RedisStore: the ioredis client is closed (status "end"): quit() or disconnect() was called, or its retryStrategy gave up. Connect the client first and keep it open while serving requests.',
    });
    if (!available) return;
    const lazy = new Redis(url, { lazyConnect: true });
    try {
      expect(await new RedisStore(lazy, { prefix: uniquePrefix("lazy") }).get("id")).toBeNull();
    } finally {
      lazy.disconnect();
    }
  });
});
