import { GuardedStore, SessionStoreError, type StoredSession } from "@sesame/core";
import { makeStoredSession, uniqueId } from "@sesame/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RedisStore } from "../src/index.js";
import { RedisServer } from "./redis-server.js";
import {
  redisBinariesAreThere,
  requireService,
  SINGLE_NODE_CLIENTS,
  type TestClient,
} from "./support.js";

const available = requireService("redis-server and redis-cli on PATH", redisBinariesAreThere());

const TIMEOUT_MS = 500;
/** Time a call may take beyond the guard's timeout before we call it a hang. */
const SLACK_MS = 300;

async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

for (const { name, connect } of SINGLE_NODE_CLIENTS) {
  describe.runIf(available)(`RedisStore through ${name} when its server goes down`, () => {
    let server: RedisServer;
    let client: TestClient | undefined;
    const unhandled = vi.fn();

    beforeEach(async () => {
      // Every acknowledged write is fsynced, so the sessions survive the SIGKILL below.
      server = await RedisServer.start({
        args: ["--appendonly", "yes", "--appendfsync", "always"],
      });
      process.on("unhandledRejection", unhandled);
    });
    afterEach(async () => {
      process.off("unhandledRejection", unhandled);
      unhandled.mockClear();
      await client?.close();
      client = undefined;
      await server?.stop();
    });

    it("fails fast with SessionStoreError, then serves every committed session again", async () => {
      client = await connect(server.port);
      const store = new GuardedStore(new RedisStore(client.client), { timeoutMs: TIMEOUT_MS });
      const userId = uniqueId("user");
      const committed = new Map<string, StoredSession>();
      for (let index = 0; index < 5; index++) {
        const record = makeStoredSession(Date.now(), { userId });
        const id = uniqueId("id");
        await store.create(id, record);
        committed.set(id, record);
      }
      const [firstId, firstRecord] = [...committed][0]!;

      await server.kill("SIGKILL");

      const outage: Array<() => Promise<unknown>> = [
        () => store.get(firstId),
        () => store.create(uniqueId("id"), makeStoredSession(Date.now(), { userId })),
        () => store.update(firstId, { ...firstRecord, data: '"lost"' }, 1),
        () => store.listByUser(userId),
        () => store.delete(uniqueId("id")),
        () => store.deleteByUser(userId),
      ];
      for (const operation of outage) {
        const started = performance.now();
        const error = await operation().then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(SessionStoreError);
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      }

      await server.restart();
      await eventually(() => store.get(firstId), 5_000);

      for (const [id, record] of committed) expect(await store.get(id)).toEqual(record);
      const listed = await store.listByUser(userId);
      expect(new Set(listed.map((entry) => entry.id))).toEqual(new Set(committed.keys()));
      expect(await store.update(firstId, { ...firstRecord, data: '"after"' }, 1)).toBe(true);
      expect((await store.get(firstId))?.data).toBe('"after"');
      const fresh = uniqueId("id");
      await store.create(fresh, makeStoredSession(Date.now(), { userId }));
      expect(await store.deleteByUser(userId)).toBe(committed.size + 1);

      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).not.toHaveBeenCalled();
      expect(client.errors.length).toBeGreaterThan(0);
    });

    it("times out with store_timeout while the server is frozen, then carries on", async () => {
      client = await connect(server.port);
      const store = new GuardedStore(new RedisStore(client.client), { timeoutMs: TIMEOUT_MS });
      const id = uniqueId("id");
      const record = makeStoredSession(Date.now());
      await store.create(id, record);

      server.signal("SIGSTOP");
      const started = performance.now();
      const outcomes = await Promise.allSettled([
        store.get(id),
        store.create(uniqueId("id"), makeStoredSession(Date.now())),
        store.listByUser(record.userId!),
      ]);
      const elapsed = performance.now() - started;
      server.signal("SIGCONT");

      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        const reason = (outcome as PromiseRejectedResult).reason as SessionStoreError;
        expect(reason).toBeInstanceOf(SessionStoreError);
        expect(reason.code).toBe("store_timeout");
      }
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(await eventually(() => store.get(id), 5_000)).toEqual(record);
      expect(await store.update(id, { ...record, data: '"after"' }, 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).not.toHaveBeenCalled();
    });
  });
}
