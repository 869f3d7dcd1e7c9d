export { MemoryStore, MEMORY_STORE_DEFAULTS, type MemoryStoreOptions } from "./memory-store.js";
export type { SessionStore, StoredSession, StoredSessionEntry } from "./store.js";
