export {
  type IoRedisClientLike,
  LuaScript,
  type NodeRedisClientLike,
  type RedisCommands,
  type SupportedRedisClient,
  toRedisCommands,
} from "./clients.js";
export { REDIS_STORE_DEFAULTS, RedisStore, type RedisStoreOptions } from "./redis-store.js";
