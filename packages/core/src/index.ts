export {
  CookieError,
  NoSessionError,
  ReauthRequiredError,
  SesameError,
  SessionConfigError,
  SessionDataError,
  SessionStoreError,
  SessionTooLargeError,
  type SesameErrorCode,
} from "./errors.js";
export { GuardedStore, STORE_GUARD_DEFAULTS, type StoreGuardOptions } from "./guarded-store.js";
export { MemoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from "./memory-store.js";
export type { SessionStore, StoredSession, StoredSessionEntry } from "./store.js";
