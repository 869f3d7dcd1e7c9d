import { describeStoreConformance } from "@sesame/core/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe } from "vitest";
import { RedisStore } from "../src/index.js";
import { describeRedisLayout } from "./layout-suite.js";
import {
  deleteKeys,
  requireService,
  SHARED_PORT,
  SINGLE_NODE_CLIENTS,
  sharedRedisIsUp,
  type TestClient,
  uniquePrefix,
} from "./support.js";

const available = requireService(`Redis at 127.0.0.1:${SHARED_PORT}`, await sharedRedisIsUp());

for (const { name, connect } of SINGLE_NODE_CLIENTS) {
  describe.runIf(available)(`RedisStore on a single node through ${name}`, () => {
    const prefix = uniquePrefix(`single-${name}`);
    let client: TestClient;
    let inspector: Redis;

    beforeAll(async () => {
      client = await connect(SHARED_PORT);
      inspector = new Redis({ port: SHARED_PORT, host: "127.0.0.1" });
    });
    afterAll(async () => {
      await client?.close();
      inspector?.disconnect();
      await deleteKeys(SHARED_PORT, prefix);
    });

    describeStoreConformance(`RedisStore (${name}, single node)`, {
      makeStore: (now) => new RedisStore(client.client, { prefix, now }),
    });
    describeRedisLayout(`RedisStore (${name}, single node)`, {
      client: () => client,
      inspector: () => inspector,
      prefix,
    });
  });
}
