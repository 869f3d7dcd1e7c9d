/**
 * Checks of the documented key layout, TTLs and index upkeep, run on a single node and on a
 * Cluster, through either client. `inspector` is a separate ioredis connection that reads the
 * keys directly.
 */
import { makeStoredSession, uniqueId } from "@sesame/core/testing";
import type { Cluster, Redis } from "ioredis";
import { beforeEach, describe, expect, it } from "vitest";
import { REDIS_STORE_DEFAULTS, RedisStore } from "../src/index.js";
import type { TestClient } from "./support.js";

/** What {@link describeRedisLayout} needs, read lazily because clients connect in `beforeAll`. */
export interface LayoutSetup {
  client(): TestClient;
  inspector(): Redis | Cluster;
  prefix: string;
}

/** Registers the layout checks under one `describe`; every test uses fresh ids. */
export function describeRedisLayout(name: string, setup: LayoutSetup): void {
  describe(`${name}: key layout, TTLs and index upkeep`, () => {
    let time = 0;
    let store: RedisStore;
    let redis: Redis | Cluster;
    const now = (): number => time;
    const session = (id: string): string => `${setup.prefix}s:{${id}}`;
    const index = (userId: string): string => `${setup.prefix}u:{${userId}}`;
    const retention = REDIS_STORE_DEFAULTS.expiredRetentionMs;

    beforeEach(() => {
      time = Date.now();
      store = new RedisStore(setup.client().client, { prefix: setup.prefix, now });
      redis = setup.inspector();
    });

    it("keeps a session in a hash whose native TTL ends a retention window after its expiry", async () => {
      const [id, userId] = [uniqueId("id"), uniqueId("user")];
      const record = makeStoredSession(time, { userId, expiresAt: time + 60_000 });
      await store.create(id, record);
      expect(store.sessionKey(id)).toBe(session(id));
      expect(await redis.type(session(id))).toBe("hash");
      expect(await redis.hgetall(session(id))).toEqual({
        r: JSON.stringify(record),
        v: "1",
        e: String(record.expiresAt),
        u: userId,
      });
      const ttl = await redis.pttl(session(id));
      expect(ttl).toBeGreaterThan(55_000 + retention);
      expect(ttl).toBeLessThanOrEqual(60_000 + retention);
      expect(await redis.type(index(userId))).toBe("zset");
      expect(await redis.zscore(index(userId), id)).toBe(String(record.absoluteExpiresAt));
      const indexTtl = await redis.pttl(index(userId));
      expect(indexTtl).toBeGreaterThan(record.absoluteExpiresAt - time - 5_000);
      expect(indexTtl).toBeLessThanOrEqual(record.absoluteExpiresAt - time);
    });

    it("moves the native TTL when an update moves the expiry, and leaves the index alone", async () => {
      const [id, userId] = [uniqueId("id"), uniqueId("user")];
      const record = makeStoredSession(time, { userId, expiresAt: time + 60_000 });
      await store.create(id, record);
      const later = { ...record, expiresAt: time + 120_000 };
      expect(await store.update(id, later, 1)).toBe(true);
      const ttl = await redis.pttl(session(id));
      expect(ttl).toBeGreaterThan(115_000 + retention);
      expect(ttl).toBeLessThanOrEqual(120_000 + retention);
      expect(await redis.hget(session(id), "v")).toBe("2");
      expect(await redis.zscore(index(userId), id)).toBe(String(record.absoluteExpiresAt));
    });

    it("keeps anonymous sessions out of every index", async () => {
      const id = uniqueId("id");
      await store.create(id, makeStoredSession(time, { userId: null }));
      expect(await redis.hexists(session(id), "u")).toBe(0);
      expect(await redis.pttl(session(id))).toBeGreaterThan(0);
    });

    it("prunes members past their absolute expiry on add, and idle-expired ones on listing", async () => {
      const userId = uniqueId("user");
      const [a, b, c, d] = [uniqueId("a"), uniqueId("b"), uniqueId("c"), uniqueId("d")];
      const dead = { userId, expiresAt: time + 1_000, absoluteExpiresAt: time + 1_000 };
      await store.create(a, makeStoredSession(time, dead));
      await store.create(b, makeStoredSession(time, { userId, expiresAt: time + 2_000 }));
      await store.create(c, makeStoredSession(time, { userId, expiresAt: time + 60_000 }));
      expect(await redis.zcard(index(userId))).toBe(3);
      time += 1_500;
      await store.create(d, makeStoredSession(time, { userId }));
      expect(new Set(await redis.zrange(index(userId), 0, -1))).toEqual(new Set([b, c, d]));
      time += 1_000;
      const listed = await store.listByUser(userId);
      expect(new Set(listed.map((entry) => entry.id))).toEqual(new Set([c, d]));
      expect(new Set(await redis.zrange(index(userId), 0, -1))).toEqual(new Set([c, d]));
      const latest = Math.max(...listed.map((entry) => entry.record.absoluteExpiresAt));
      expect(await redis.pttl(index(userId))).toBeLessThanOrEqual(latest - time);
    });

    it("drops index members whose session is gone, and unindexes on delete", async () => {
      const userId = uniqueId("user");
      const [a, b, c] = [uniqueId("a"), uniqueId("b"), uniqueId("c")];
      for (const id of [a, b, c]) await store.create(id, makeStoredSession(time, { userId }));
      await redis.del(session(a));
      await store.delete(b);
      expect(await redis.zscore(index(userId), b)).toBeNull();
      expect((await store.listByUser(userId)).map((entry) => entry.id)).toEqual([c]);
      expect(await redis.zrange(index(userId), 0, -1)).toEqual([c]);
      await store.delete(c);
      expect(await redis.exists(index(userId))).toBe(0);
    });

    it("keeps an expired member whose score moved past the one the listing read", async () => {
      const [id, userId] = [uniqueId("id"), uniqueId("user")];
      const record = makeStoredSession(time, { userId, expiresAt: time + 1_000 });
      await store.create(id, record);
      const raised = record.absoluteExpiresAt + 60_000;
      await redis.zadd(index(userId), "GT", raised, id);
      time += 1_000;
      expect(await store.listByUser(userId)).toEqual([]);
      expect(await redis.zscore(index(userId), id)).toBe(String(raised));
    });

    it("moves a session between user indexes when an update changes its user", async () => {
      const [id, from, to] = [uniqueId("id"), uniqueId("from"), uniqueId("to")];
      const record = makeStoredSession(time, { userId: from });
      await store.create(id, record);
      expect(await store.update(id, { ...record, userId: to }, 1)).toBe(true);
      expect(await store.listByUser(from)).toEqual([]);
      expect((await store.listByUser(to)).map((entry) => entry.id)).toEqual([id]);
      expect(await redis.zscore(index(from), id)).toBeNull();
    });

    it("spares a session listed under a user who no longer owns it", async () => {
      const [id, owner, former] = [uniqueId("id"), uniqueId("owner"), uniqueId("former")];
      await store.create(id, makeStoredSession(time, { userId: owner }));
      await redis.zadd(index(former), time + 60_000, id);
      expect(await store.listByUser(former)).toEqual([]);
      expect(await store.deleteByUser(former)).toBe(0);
      expect(await store.get(id)).not.toBeNull();
    });

    it("round-trips keys, user ids and data that JSON and Lua find awkward", async () => {
      const id = `${uniqueId("id")}{x}}y{`;
      const userId = `${uniqueId("user")} ü{}✓ "q" \\`;
      const data = JSON.stringify({ lone: "\ud800", nul: "a\u0000b", emoji: "🔑" });
      const record = makeStoredSession(time, { userId, data: `${data}\ud800` });
      await store.create(id, record);
      expect(await store.get(id)).toEqual(record);
      expect(await store.update(id, { ...record, data: "\udfff" }, 1)).toBe(true);
      expect(await store.listByUser(userId)).toEqual([
        { id, record: { ...record, data: "\udfff", version: 2 } },
      ]);
      expect(await store.deleteByUser(userId)).toBe(1);
    });
  });
}
