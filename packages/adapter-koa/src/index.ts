/**
 * Koa 2 and 3 middleware for sesame sessions.
 *
 * @module
 */
export { crossOriginProtection } from "./cross-origin-protection.js";
export { getSession, type SessionContext, sessionMiddleware } from "./session-middleware.js";
