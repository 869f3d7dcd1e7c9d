/**
 * Hono middleware for sesame sessions, on any runtime.
 *
 * @module
 */
export { crossOriginProtection } from "./cross-origin-protection.js";
export {
  getSession,
  HONO_ADAPTER_DEFAULTS,
  type HonoProxyOptions,
  type SessionEnv,
  STORE_UNAVAILABLE_BODY,
  sessionErrorHandler,
  sessionMiddleware,
} from "./session-middleware.js";
