/**
 * Express 4 and 5 middleware for sesame sessions.
 *
 * @module
 */
export { crossOriginProtection } from "./cross-origin-protection.js";
export { getSession, sessionMiddleware } from "./session-middleware.js";
