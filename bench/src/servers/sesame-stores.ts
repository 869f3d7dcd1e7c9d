/**
 * The managers and stores the sesame variants run on, each store wrapped to count its calls.
 *
 * @module
 */
import { MemoryStore, SessionManager, type SessionStore } from "@sesame/core";
import { RedisStore } from "@sesame/redis";
import type { BenchRedisClient } from "../redis.js";
import {
  BENCH_SECRET,
  type BenchData,
  countCalls,
  IDLE_TIMEOUT_SECONDS,
  type StoreCalls,
} from "./host.js";

/**
 * The manager every sesame variant uses: a 30-minute idle timeout, the cookie signed with
 * `secrets` (as the incumbents sign theirs) or not, and for the touch app (`/t/…`) an expiry
 * that slides on every read.
 */
export function benchManager(
  store: SessionStore,
  options: { signed: boolean; touch: boolean },
): SessionManager<BenchData> {
  return new SessionManager<BenchData>({
    store,
    idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
    ...(options.signed ? { secrets: [BENCH_SECRET] } : {}),
    ...(options.touch ? { touchIntervalSeconds: 0 } : {}),
  });
}

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
