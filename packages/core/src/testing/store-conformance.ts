import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXPIRED_RETENTION_MS, type SessionStore, type StoredSession } from "../store.js";
import { describeExpiryEvents } from "./expiry-conformance.js";
import { describeSessionRaces } from "./session-race-conformance.js";

/** What {@link describeStoreConformance} needs to build stores under test. */
export interface StoreConformanceOptions {
  /**
   * Makes an empty store (or one whose other contents do not matter: every test uses fresh
   * keys and user ids) that reads time from `now`.
   */
  makeStore(now: () => number): SessionStore | Promise<SessionStore>;
  /** Releases what `makeStore` opened (connections, files). */
  closeStore?(store: SessionStore): void | Promise<void>;
  /** The `expiredRetentionMs` the stores are made with. Default: `EXPIRED_RETENTION_MS`. */
  expiredRetentionMs?: number;
  /**
   * `false` for a store without the optional `countSessions`, to skip its tests. Every store
   * shipped with sesame counts.
   */
  countsSessions?: boolean;
}

/** Far enough ahead that every record earlier tests left in a shared store has expired. */
const PAST_EARLIER_TESTS_MS = 30 * 24 * 60 * 60 * 1000;

let counter = 0;
/** A unique store key or user id, so tests sharing one real server never collide. */
export function uniqueId(prefix: string): string {
  counter += 1;
  const random = Math.floor(Math.random() * 2 ** 48).toString(36);
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${random}-${counter}`;
}

/** A complete record with sensible values, for tests; `overrides` replaces any field. */
export function makeStoredSession(
  now: number,
  overrides: Partial<StoredSession> = {},
): StoredSession {
  return {
    userId: uniqueId("user"),
    handle: uniqueId("handle"),
    data: JSON.stringify({ cart: [1, 2], note: "héllo ✓" }),
    version: 1,
    createdAt: now,
    tokenIssuedAt: now,
    lastSeenAt: now,
    authTime: now,
    expiresAt: now + 60_000,
    absoluteExpiresAt: now + 3_600_000,
    userAgent: "Mozilla/5.0 (conformance)",
    ip: "127.0.0.1",
    persistent: false,
    successorId: null,
    graceUntil: null,
    ...overrides,
  };
}

/**
 * The store conformance suite: one `describe` block that checks every clause of the
 * {@link SessionStore} contract against a real store, then runs whole requests over it: expired
 * and forged cookies (see `describeExpiryEvents`) and races (see `describeSessionRaces`). Every
 * store package runs it.
 *
 * @example
 * ```ts
 * import { describeStoreConformance } from "@sesame/core/testing";
 * describeStoreConformance("RedisStore", {
 *   makeStore: (now) => new RedisStore(client, { prefix: "test:", now }),
 * });
 * ```
 */
export function describeStoreConformance(name: string, options: StoreConformanceOptions): void {
  const retention = options.expiredRetentionMs ?? EXPIRED_RETENTION_MS;
  const countIt = options.countsSessions === false ? it.skip : it;
  describe(`${name} conforms to the store contract`, () => {
    let time = 0;
    let store: SessionStore;
    const now = (): number => time;

    beforeEach(async () => {
      time = Date.now();
      store = await options.makeStore(now);
    });
    afterEach(async () => {
      await options.closeStore?.(store);
    });

    it("resolves null for a key it never saw", async () => {
      expect(await store.get(uniqueId("missing"))).toBeNull();
    });

    it("returns a created record field for field", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time, { authTime: null, userAgent: null, ip: null });
      await store.create(id, record);
      expect(await store.get(id)).toEqual(record);
    });

    it("keeps anonymous records out of every user index", async () => {
      const id = uniqueId("id");
      await store.create(id, makeStoredSession(time, { userId: null }));
      expect((await store.get(id))?.userId).toBeNull();
    });

    it("lists a record until its idle expiry, and get returns it for the retention window after", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time, { expiresAt: time + 1_000 });
      await store.create(id, record);
      time += 999;
      expect((await store.listByUser(record.userId!)).map((entry) => entry.id)).toEqual([id]);
      time += 1;
      expect(await store.listByUser(record.userId!)).toEqual([]);
      expect(await store.get(id)).toEqual(record);
      time += retention - 1;
      expect(await store.get(id)).toEqual(record);
      time += 1;
      expect(await store.get(id)).toBeNull();
    });

    it("deletes an expired record that it still returns", async () => {
      const id = uniqueId("id");
      await store.create(id, makeStoredSession(time, { expiresAt: time + 1_000 }));
      time += 2_000;
      await store.delete(id);
      expect(await store.get(id)).toBeNull();
    });

    it("replaces a record when the expected version matches, and bumps the version", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time);
      await store.create(id, record);
      const changed = { ...record, data: '{"a":1}', lastSeenAt: time + 5 };
      expect(await store.update(id, changed, 1)).toBe(true);
      expect(await store.get(id)).toEqual({ ...changed, version: 2 });
    });

    it("refuses an update whose expected version is stale", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time);
      await store.create(id, record);
      expect(await store.update(id, { ...record, data: '"first"' }, 1)).toBe(true);
      expect(await store.update(id, { ...record, data: '"stale"' }, 1)).toBe(false);
      expect((await store.get(id))?.data).toBe('"first"');
    });

    it("never brings a deleted record back through update", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time);
      await store.create(id, record);
      await store.delete(id);
      expect(await store.update(id, record, 1)).toBe(false);
      expect(await store.get(id)).toBeNull();
    });

    it("refuses to update a record that has expired", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time, { expiresAt: time + 1_000 });
      await store.create(id, record);
      time += 1_000;
      expect(await store.update(id, { ...record, expiresAt: time + 60_000 }, 1)).toBe(false);
      expect(await store.get(id)).toEqual(record);
    });

    it("extends the life of a record whose expiry an update moved later", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time, { expiresAt: time + 1_000 });
      await store.create(id, record);
      expect(await store.update(id, { ...record, expiresAt: time + 10_000 }, 1)).toBe(true);
      time += 5_000;
      expect((await store.get(id))?.expiresAt).toBe(record.createdAt + 10_000);
    });

    it("deletes idempotently", async () => {
      const id = uniqueId("id");
      await store.create(id, makeStoredSession(time));
      await store.delete(id);
      await store.delete(id);
      await store.delete(uniqueId("never"));
      expect(await store.get(id)).toBeNull();
    });

    it("lists exactly a user's live sessions", async () => {
      const userId = uniqueId("user");
      const [a, b, c, other] = [uniqueId("a"), uniqueId("b"), uniqueId("c"), uniqueId("o")];
      await store.create(a, makeStoredSession(time, { userId }));
      await store.create(b, makeStoredSession(time, { userId, expiresAt: time + 1_000 }));
      await store.create(c, makeStoredSession(time, { userId }));
      await store.create(other, makeStoredSession(time));
      await store.delete(c);
      time += 1_000;
      const listed = await store.listByUser(userId);
      expect(listed.map((entry) => entry.id)).toEqual([a]);
      expect(listed[0]?.record.userId).toBe(userId);
      expect(await store.listByUser(uniqueId("nobody"))).toEqual([]);
    });

    it("deletes a user's sessions, sparing the one named and other users", async () => {
      const userId = uniqueId("user");
      const ids = [uniqueId("a"), uniqueId("b"), uniqueId("c")];
      for (const id of ids) await store.create(id, makeStoredSession(time, { userId }));
      const other = uniqueId("other");
      await store.create(other, makeStoredSession(time));
      expect(await store.deleteByUser(userId, ids[0])).toBe(2);
      expect((await store.listByUser(userId)).map((entry) => entry.id)).toEqual([ids[0]]);
      expect(await store.get(ids[1]!)).toBeNull();
      expect(await store.get(other)).not.toBeNull();
      expect(await store.deleteByUser(userId)).toBe(1);
      expect(await store.get(ids[0]!)).toBeNull();
    });

    it("counts only live sessions among those deleteByUser deletes", async () => {
      const userId = uniqueId("user");
      const [live, expired] = [uniqueId("live"), uniqueId("expired")];
      await store.create(live, makeStoredSession(time, { userId }));
      await store.create(expired, makeStoredSession(time, { userId, expiresAt: time + 1_000 }));
      time += 1_000;
      expect(await store.deleteByUser(userId)).toBe(1);
      expect(await store.get(live)).toBeNull();
    });

    countIt(
      "counts live sessions, all and per user, leaving out expired and moved ones",
      async () => {
        time += PAST_EARLIER_TESTS_MS;
        const count = async (userId?: string): Promise<number> => store.countSessions!(userId);
        const before = await count();
        const userId = uniqueId("user");
        const pending = uniqueId("pending");
        const records: Array<[string, StoredSession]> = [
          [uniqueId("a"), makeStoredSession(time, { userId })],
          [uniqueId("b"), makeStoredSession(time, { userId, expiresAt: time + 1_000 })],
          [uniqueId("forwarder"), makeStoredSession(time, { userId, successorId: pending })],
          [pending, makeStoredSession(time, { userId, successorId: pending })],
          [uniqueId("anonymous"), makeStoredSession(time, { userId: null })],
          [uniqueId("other"), makeStoredSession(time)],
        ];
        for (const [id, record] of records) await store.create(id, record);
        expect(await count(userId)).toBe(2);
        expect(await count()).toBe(before + 4);
        time += 1_000;
        expect(await count(userId)).toBe(1);
        expect(await count()).toBe(before + 3);
        expect(await count(uniqueId("nobody"))).toBe(0);
      },
    );

    it("lets exactly one of many concurrent updates at the same version win", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time);
      await store.create(id, record);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.update(id, { ...record, data: JSON.stringify(index) }, 1),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get(id)).toMatchObject({ version: 2, data: JSON.stringify(winner) });
    });

    it("keeps a record deleted while many updates race the delete", async () => {
      const id = uniqueId("id");
      const record = makeStoredSession(time);
      await store.create(id, record);
      const updates = Array.from({ length: 100 }, (_, index) =>
        store.update(id, { ...record, lastSeenAt: time + index }, 1 + (index % 3)),
      );
      const deletion = store.delete(id);
      await Promise.all([...updates, deletion]);
      expect(await store.get(id)).toBeNull();
      expect(await store.update(id, record, 1)).toBe(false);
    });

    it("keeps records of other keys apart", async () => {
      const [a, b] = [uniqueId("a"), uniqueId("b")];
      await store.create(a, makeStoredSession(time, { data: '"a"' }));
      await store.create(b, makeStoredSession(time, { data: '"b"' }));
      await store.delete(a);
      expect((await store.get(b))?.data).toBe('"b"');
    });

    const context = {
      store: () => store,
      now,
      advance: (ms: number) => {
        time += ms;
      },
    };
    describeExpiryEvents(context);
    describeSessionRaces(context);
  });
}
