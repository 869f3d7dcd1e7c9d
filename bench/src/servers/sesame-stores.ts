/**
 * The stores the sesame variants run on, each wrapped to count its calls.
 *
 * @module
 */
import { MemoryStore, type SessionStore } from "@sesame/core";
import { RedisStore } from "@sesame/redis";
import type { BenchRedisClient } from "../redis.js";
import { countCalls, type StoreCalls } from "./host.js";

/** Every method of the store contract. */
export const SESSION_STORE_METHODS = [
  "get",
  "create",
  "update",
  "delete",
  "listByUser",
  "deleteByUser",
] as const;

/** A fresh {@link MemoryStore} (default options) whose calls are counted. */
export function countedMemoryStore(calls: StoreCalls): SessionStore {
  return countCalls(new MemoryStore(), SESSION_STORE_METHODS, calls);
}

/** A {@link RedisStore} under `prefix` whose calls are counted. */
export function countedRedisStore(
  client: BenchRedisClient,
  prefix: string,
  calls: StoreCalls,
): SessionStore {
  return countCalls(new RedisStore(client, { prefix }), SESSION_STORE_METHODS, calls);
}
