/**
 * What the Redis tests share: the service check (fail under CI, skip loudly elsewhere), the
 * clients configured as the README recommends, unique key prefixes and key cleanup.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { createClient, createCluster } from "redis";
import { hasRedisBinaries, sendCommand } from "./redis-server.js";

/** Port of the shared Redis on 127.0.0.1 the project's machines run; `SESAME_REDIS_PORT` overrides it. */
export const SHARED_PORT = Number(process.env.SESAME_REDIS_PORT ?? 6379);

function isCI(): boolean {
  const value = process.env.CI;
  return value !== undefined && value !== "" && value !== "false" && value !== "0";
}

/**
 * Resolves whether a service the tests need is there. With `CI` set a missing service throws,
 * so the run fails; elsewhere it warns loudly and the caller skips.
 */
export function requireService(name: string, available: boolean): boolean {
  if (available) return true;
  const reason = `${name} is not available.`;
  if (isCI()) throw new Error(`${reason} CI=true, so the Redis tests fail instead of skipping.`);
  console.warn(
    `\n!!! SKIPPING Redis tests: ${reason} Start redis-server on 127.0.0.1 (or run .ci/run), or set SESAME_REDIS_PORT.\n`,
  );
  return false;
}

/** Whether the shared Redis answers PING. */
export async function sharedRedisIsUp(): Promise<boolean> {
  return (await sendCommand(SHARED_PORT, ["PING"]).catch(() => "")) === "PONG";
}

/** Whether `redis-server` and `redis-cli` can be started for a private server or cluster. */
export function redisBinariesAreThere(): boolean {
  return hasRedisBinaries();
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  const random = Math.floor(Math.random() * 2 ** 40).toString(36);
  return `sesame-test:${label}:${process.pid}-${Date.now().toString(36)}-${random}:`;
}

/** Deletes every key under `prefix` with SCAN (never KEYS); resolves how many went. */
export async function deleteKeys(port: number, prefix: string): Promise<number> {
  const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  redis.on("error", () => undefined);
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Fail-fast settings: what the README recommends for node-redis. */
export function nodeRedisOptions(port: number): Parameters<typeof createClient>[0] & object {
  return {
    url: `redis://127.0.0.1:${port}`,
    socket: {
      reconnectStrategy: (retries: number) => Math.min(retries * 50, 500),
      connectTimeout: 1_000,
    },
    disableOfflineQueue: true,
  };
}

/** Fail-fast settings: what the README recommends for ioredis. */
export function ioRedisOptions(port: number): RedisOptions {
  return {
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    retryStrategy: (times: number) => Math.min(times * 50, 500),
  };
}

/** A connected client of either library, and how to close it. */
export interface TestClient {
  kind: "node-redis" | "ioredis";
  client: ReturnType<typeof createClient> | ReturnType<typeof createCluster> | Redis | Cluster;
  /** Errors the client emitted (the listener every app must attach). */
  errors: unknown[];
  close(): Promise<void>;
}

/** Connects a node-redis single-node client. */
export async function connectNodeRedis(port: number): Promise<TestClient> {
  const client = createClient(nodeRedisOptions(port));
  const errors: unknown[] = [];
  client.on("error", (error: unknown) => errors.push(error));
  await client.connect();
  return { kind: "node-redis", client, errors, close: async () => client.destroy() };
}

/** Connects an ioredis single-node client. */
export async function connectIoRedis(port: number): Promise<TestClient> {
  const client = new Redis(ioRedisOptions(port));
  const errors: unknown[] = [];
  client.on("error", (error: unknown) => errors.push(error));
  await client.connect();
  return { kind: "ioredis", client, errors, close: async () => client.disconnect() };
}

/** Connects a node-redis cluster client through the first of `ports`. */
export async function connectNodeRedisCluster(ports: number[]): Promise<TestClient> {
  const client = createCluster({
    rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
    defaults: { socket: { connectTimeout: 1_000 }, disableOfflineQueue: true },
  });
  const errors: unknown[] = [];
  client.on("error", (error: unknown) => errors.push(error));
  await client.connect();
  return { kind: "node-redis", client, errors, close: async () => client.destroy() };
}

/** Connects an ioredis cluster client. */
export async function connectIoRedisCluster(ports: number[]): Promise<TestClient> {
  const client = new Cluster(
    ports.map((port) => ({ host: "127.0.0.1", port })),
    { lazyConnect: true, redisOptions: { connectTimeout: 1_000, maxRetriesPerRequest: 1 } },
  );
  const errors: unknown[] = [];
  client.on("error", (error: unknown) => errors.push(error));
  await client.connect();
  return { kind: "ioredis", client, errors, close: async () => client.disconnect() };
}

/** Both client libraries, connected to one node: the suites run once per entry. */
export const SINGLE_NODE_CLIENTS: readonly {
  name: string;
  connect: (port: number) => Promise<TestClient>;
}[] = [
  { name: "node-redis", connect: connectNodeRedis },
  { name: "ioredis", connect: connectIoRedis },
];
