export type { Awaitable } from "./awaitable.js";
export { getCookieValues } from "./cookie/parse.js";
export {
  type CookieAttributes,
  MAX_COOKIE_NAME_VALUE_BYTES,
  serializeCookie,
} from "./cookie/serialize.js";
export {
  type CrossOriginProtectionOptions,
  type CrossOriginRequest,
  type CrossOriginVerdict,
  createCrossOriginProtection,
} from "./cross-origin.js";
export {
  CookieError,
  isSesameError,
  isSessionStoreError,
  NoSessionError,
  ReauthRequiredError,
  SesameError,
  type SesameErrorCode,
  SessionConfigError,
  SessionDataError,
  SessionLimitError,
  SessionStoreError,
  SessionTooLargeError,
} from "./errors.js";
export type { RejectionReason, SessionEvent, SessionEventListener } from "./events.js";
export {
  EXPIRED_SWEEP_DEFAULTS,
  type ExpiredRecordSweeper,
  type ExpiredSweep,
  type ExpiredSweepOptions,
  scheduleExpiredSweep,
} from "./expired-sweep.js";
export { FLASH_KEY_PREFIX } from "./flash.js";
export { pickForwardedEntry, resolveTrustedHops, type TrustProxy } from "./forwarded.js";
export {
  GuardedStore,
  STORE_GUARD_DEFAULTS,
  type StoreCall,
  type StoreCallListener,
  type StoreCallOperation,
  type StoreGuardOptions,
} from "./guarded-store.js";
export type { JsonData, JsonValue } from "./json.js";
export { MEMORY_STORE_DEFAULTS, MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export {
  SESSION_DEFAULTS,
  type SessionCookieOptions,
  type SessionLimitPolicy,
  type SessionManagerOptions,
  type StoreFailurePolicy,
} from "./options.js";
export {
  contextFromHeaders,
  contextFromRequest,
  isLoopbackHost,
  type RequestContext,
} from "./request-context.js";
export { type CreateSessionOptions, RequestSession, type SessionInfo } from "./request-session.js";
export { jsonSerializer, type Serializer } from "./serializer.js";
export type { SessionHeaders } from "./session-cookie.js";
export type { SessionData } from "./session-engine.js";
export { attachedSession, attachSession, SessionManager } from "./session-manager.js";
export type { StandardSchemaResult, StandardSchemaV1 } from "./standard-schema.js";
export {
  EXPIRED_RETENTION_MS,
  type SessionStore,
  type StoredSession,
  type StoredSessionEntry,
} from "./store.js";
export { TOKEN_BYTES } from "./token.js";
export type { SessionSummary } from "./user-sessions.js";
export { withVary } from "./vary.js";
