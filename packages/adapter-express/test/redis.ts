import { createClient } from "redis";

/** The shared Redis of the project's machines. */
export const REDIS_URL = "redis://127.0.0.1:6379";

export type RedisClient = ReturnType<typeof createClient>;

/**
 * A connected node-redis client, or `null` when Redis is not there: then the caller skips, with a
 * loud warning, unless `CI` is set, where a missing Redis fails the run.
 */
export async function connectRedisOrSkip(purpose: string): Promise<RedisClient | null> {
  const client = createClient({
    url: REDIS_URL,
    socket: { connectTimeout: 1_000, reconnectStrategy: false },
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    const ci = process.env.CI;
    if (ci !== undefined && !["", "0", "false"].includes(ci)) {
      throw new Error(`Redis at ${REDIS_URL} is not available; CI is set, so ${purpose} fail.`);
    }
    console.warn(`\n!!! SKIPPING ${purpose}: no Redis at ${REDIS_URL} (${String(error)}).\n`);
    return null;
  }
}
