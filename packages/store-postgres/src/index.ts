export {
  type DeleteExpiredOptions,
  POSTGRES_STORE_DEFAULTS,
  PostgresStore,
  type PostgresStoreOptions,
} from "./postgres-store.js";
