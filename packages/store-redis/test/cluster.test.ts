import { describeStoreConformance, makeStoredSession, uniqueId } from "@sesame/core/testing";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { describeRedisLayout } from "./layout-suite.js";
import { startCluster, type TestCluster } from "./redis-cluster.js";
import {
  connectIoRedisCluster,
  connectNodeRedisCluster,
  redisBinariesAreThere,
  requireService,
  type TestClient,
  uniquePrefix,
} from "./support.js";

const available = requireService("redis-server and redis-cli on PATH", redisBinariesAreThere());

describe.runIf(available)("RedisStore on a three-primary Redis Cluster", () => {
  let cluster: TestCluster;
  let inspector: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(3);
    inspector = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
  });
  afterAll(async () => {
    inspector?.disconnect();
    await cluster?.stop();
  });

  const clients = [
    { name: "node-redis", connect: connectNodeRedisCluster },
    { name: "ioredis", connect: connectIoRedisCluster },
  ];

  for (const { name, connect } of clients) {
    describe(`through ${name}`, () => {
      const prefix = uniquePrefix(`cluster-${name}`);
      let client: TestClient;

      beforeAll(async () => {
        client = await connect(cluster.ports);
      });
      afterAll(async () => {
        await client?.close();
      });

      describeStoreConformance(`RedisStore (${name}, Cluster)`, {
        makeStore: (now) => new RedisStore(client.client, { prefix, now }),
      });
      describeRedisLayout(`RedisStore (${name}, Cluster)`, {
        client: () => client,
        inspector: () => inspector,
        prefix,
      });

      it("spreads one user's sessions over the primaries and still lists and revokes them", async () => {
        const store = new RedisStore(client.client, { prefix });
        const userId = uniqueId("user");
        const ids = Array.from({ length: 24 }, () => uniqueId("id"));
        for (const id of ids) await store.create(id, makeStoredSession(Date.now(), { userId }));
        const nodes = inspector.nodes("master");
        const counts = await Promise.all(
          nodes.map(
            async (node) => (await node.scan("0", "MATCH", `${prefix}s:*`, "COUNT", 10_000))[1],
          ),
        );
        expect(counts.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
        expect(new Set((await store.listByUser(userId)).map((entry) => entry.id))).toEqual(
          new Set(ids),
        );
        expect(await store.deleteByUser(userId, ids[0])).toBe(ids.length - 1);
        expect((await store.listByUser(userId)).map((entry) => entry.id)).toEqual([ids[0]]);
      });
    });
  }
});
