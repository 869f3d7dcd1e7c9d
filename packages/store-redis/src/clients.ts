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
  /**
   * `SCAN … MATCH pattern` over every primary, yielding the keys in batches. Only
   * `countSessions()` without a user needs it; leave it out and that count rejects.
   */
  scanKeys?(pattern: string): AsyncIterable<string[]>;
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
      scanKeys: (pattern) => scanNodes(nodeRedisNodes(client), pattern),
    };
  }
  if (isIoRedis(client)) {
    return {
      evalScriptBySha: (sha1, keys, args) => client.evalsha(sha1, keys.length, ...keys, ...args),
      evalScript: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
      hashGet: async (key, field) => asText(await client.hget(key, field)),
      scanKeys: (pattern) => scanNodes(ioRedisNodes(client), pattern),
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

/** Keys one `SCAN` call asks a node for. */
const SCAN_COUNT = "1000";

/** Sends one `SCAN cursor MATCH pattern COUNT n` to one node; replies `[next cursor, keys]`. */
type ScanOnce = (cursor: string, pattern: string) => Promise<unknown>;

/** What a node-redis client or cluster (v4 or v5) has for SCAN, read at run time. */
interface NodeRedisNodes {
  sendCommand(args: string[]): Promise<unknown>;
  masters?: unknown[];
  getMasters?(): unknown[];
  nodeClient?(node: unknown): Promise<NodeRedisNodes> | NodeRedisNodes;
}

/** A node-redis client, or each primary of a node-redis cluster, as a SCAN sender. */
async function nodeRedisNodes(client: NodeRedisClientLike): Promise<ScanOnce[]> {
  const loose = client as unknown as NodeRedisNodes;
  const masters = loose.masters ?? loose.getMasters?.();
  const nodes =
    masters === undefined
      ? [loose]
      : await Promise.all(masters.map((master) => loose.nodeClient!(master)));
  return nodes.map(
    (node) => (cursor, pattern) =>
      node.sendCommand(["SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT]),
  );
}

/** What an ioredis `Redis` or `Cluster` has for SCAN, read at run time. */
interface IoRedisNodes {
  scan(cursor: string, ...args: string[]): Promise<unknown>;
  nodes?(role: "master"): IoRedisNodes[];
}

/** An ioredis `Redis`, or each primary of an ioredis `Cluster`, as a SCAN sender. */
async function ioRedisNodes(client: IoRedisClientLike): Promise<ScanOnce[]> {
  const loose = client as unknown as IoRedisNodes;
  const nodes = typeof loose.nodes === "function" ? loose.nodes("master") : [loose];
  return nodes.map(
    (node) => (cursor, pattern) => node.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT),
  );
}

/** Every key matching `pattern` on every node, a batch per `SCAN` reply that found any. */
async function* scanNodes(nodes: Promise<ScanOnce[]>, pattern: string): AsyncGenerator<string[]> {
  for (const scan of await nodes) {
    let cursor = "0";
    do {
      const [next, keys] = (await scan(cursor, pattern)) as [unknown, unknown[]];
      if (keys.length > 0) yield keys.map(String);
      cursor = String(next);
    } while (cursor !== "0");
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
