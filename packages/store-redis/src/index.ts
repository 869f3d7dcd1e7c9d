export type {
  IoRedisClientLike,
  NodeRedisClientLike,
  RedisCommands,
  SupportedRedisClient,
} from "./clients.js";
export { REDIS_STORE_DEFAULTS, RedisStore, type RedisStoreOptions } from "./redis-store.js";
