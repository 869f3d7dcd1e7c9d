/**
 * One small interface over the two Redis clients, so the store logic is written once.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { SessionConfigError } from "@sesame/core";

/**
 * The slice of a node-redis (v4 or v5) client or cluster that the store uses: what
 * `createClient()` and `createCluster()` return.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * const client: NodeRedisClientLike = await createClient().connect();
 * ```
 */
export interface NodeRedisClientLike {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hGet(key: string, field: string): Promise<unknown>;
}

/**
 * The slice of an ioredis `Redis` or `Cluster` that the store uses.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * const client: IoRedisClientLike = new Redis();
 * ```
 */
export interface IoRedisClientLike {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  hget(key: string, field: string): Promise<unknown>;
}

/**
 * The three commands the store sends, whatever the client. Every script call names all the
 * keys it touches, and they always share one hash slot, so a cluster client routes it to the
 * node that owns that slot. Implement it yourself to use another client.
 *
 * @example
 * ```ts
 * const commands: RedisCommands = {
 *   evalScriptBySha: (sha1, keys, args) => client.evalsha(sha1, keys.length, ...keys, ...args),
 *   evalScript: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
 *   hashGet: (key, field) => client.hget(key, field),
 * };
 * const store = new RedisStore(commands);
 * ```
 */
export interface RedisCommands {
  /** `EVALSHA sha1 numkeys ...keys ...args` */
  evalScriptBySha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  /** `EVAL script numkeys ...keys ...args` */
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** `HGET key field`, resolving `null` when either is missing. */
  hashGet(key: string, field: string): Promise<string | null>;
}

/** Every client {@link RedisStore} accepts. */
export type SupportedRedisClient = NodeRedisClientLike | IoRedisClientLike | RedisCommands;

/**
 * Adapts a node-redis client or cluster, an ioredis `Redis` or `Cluster`, or passes through
 * a {@link RedisCommands}. Throws a `SessionConfigError` for anything else.
 *
 * @example
 * ```ts
 * const commands = toRedisCommands(await createClient().connect());
 * ```
 */
export function toRedisCommands(client: SupportedRedisClient): RedisCommands {
  if (isRedisCommands(client)) return client;
  if (isNodeRedis(client)) {
    return {
      evalScriptBySha: (sha1, keys, args) => client.evalSha(sha1, { keys, arguments: args }),
      evalScript: (script, keys, args) => client.eval(script, { keys, arguments: args }),
      hashGet: async (key, field) => asText(await client.hGet(key, field)),
    };
  }
  if (isIoRedis(client)) {
    return {
      evalScriptBySha: (sha1, keys, args) => client.evalsha(sha1, keys.length, ...keys, ...args),
      evalScript: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
      hashGet: async (key, field) => asText(await client.hget(key, field)),
    };
  }
  throw new SessionConfigError(
    "RedisStore: the client must be a node-redis client or cluster (createClient / createCluster), " +
      "an ioredis Redis or Cluster, or an object implementing RedisCommands.",
  );
}

/**
 * A Lua script with its SHA-1, run by `EVALSHA` and loaded by `EVAL` when a node answers
 * `NOSCRIPT` (after a restart, a failover, or on a cluster node that has not seen it yet).
 *
 * @example
 * ```ts
 * const ping = new LuaScript("return redis.call('PING')");
 * await ping.run(commands, [], []);
 * ```
 */
export class LuaScript {
  /** The script's source. */
  readonly source: string;
  /** SHA-1 of the source, as `EVALSHA` names it. */
  readonly sha1: string;

  constructor(source: string) {
    this.source = source;
    this.sha1 = createHash("sha1").update(source).digest("hex");
  }

  /** Runs the script on `keys` (all in one hash slot) with `args`. */
  async run(commands: RedisCommands, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await commands.evalScriptBySha(this.sha1, keys, args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return commands.evalScript(this.source, keys, args);
    }
  }
}

function isRedisCommands(client: SupportedRedisClient): client is RedisCommands {
  return hasMethods(client, ["evalScriptBySha", "evalScript", "hashGet"]);
}

function isNodeRedis(client: SupportedRedisClient): client is NodeRedisClientLike {
  return hasMethods(client, ["evalSha", "eval", "hGet"]);
}

function isIoRedis(client: SupportedRedisClient): client is IoRedisClientLike {
  return hasMethods(client, ["evalsha", "eval", "hget"]);
}

function hasMethods(value: unknown, names: string[]): boolean {
  const object = value as Record<string, unknown> | null | undefined;
  return names.every((name) => typeof object?.[name] === "function");
}

function asText(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  return typeof reply === "string" ? reply : String(reply);
}
