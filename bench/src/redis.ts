/**
 * Redis helpers shared by the servers and the orchestrator: connecting, deleting the
 * benchmark's keys, and reading `INFO commandstats`.
 *
 * @module
 */
import { createClient } from "redis";

/** A connected node-redis client. */
export type BenchRedisClient = ReturnType<typeof createClient>;

/** Where Redis is: `BENCH_REDIS_URL`, else the shared local server. */
export function redisUrl(): string {
  return process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** Connects, failing within `timeoutMs` instead of retrying forever. */
export async function connectRedis(url: string, timeoutMs = 2_000): Promise<BenchRedisClient> {
  const client = createClient({
    url,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
  });
  client.on("error", (error: unknown) => {
    process.stderr.write(`redis: ${String(error)}\n`);
  });
  await client.connect();
  return client;
}

/** Deletes every key that starts with `prefix`; resolves how many. */
export async function deleteKeysWithPrefix(
  client: BenchRedisClient,
  prefix: string,
): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length === 0) continue;
    deleted += await client.unlink(keys);
  }
  return deleted;
}

/** Calls per command (lower-case name) from `INFO commandstats`. */
export type CommandCounts = Record<string, number>;

/** Reads the server-wide call count of every command. */
export async function readCommandCounts(client: BenchRedisClient): Promise<CommandCounts> {
  const text = await client.info("commandstats");
  const counts: CommandCounts = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match !== null) counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

/** `after - before`, per command, leaving out commands that did not run. */
export function diffCommandCounts(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    const change = calls - (before[name] ?? 0);
    if (change > 0) delta[name] = change;
  }
  return delta;
}
