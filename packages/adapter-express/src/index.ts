/**
 * Express 4 and 5 middleware for sesame sessions.
 *
 * @module
 */
export { crossOriginProtection } from "./cross-origin-protection.js";
export {
  EXPRESS_SESSION_MIGRATION_DEFAULTS,
  type ExpressSessionRecord,
  type ExpressSessionStore,
  type MigratedSession,
  type MigrateFromExpressSessionOptions,
  migrateFromExpressSession,
} from "./migrate-from-express-session.js";
export { getSession, sessionMiddleware } from "./session-middleware.js";
