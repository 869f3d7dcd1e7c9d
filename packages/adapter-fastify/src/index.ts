/**
 * Fastify 5 plugin for sesame sessions.
 *
 * @module
 */
export { crossOriginProtection } from "./cross-origin-protection.js";
export {
  type FastifySessionData,
  getSession,
  type SessionPluginOptions,
  type SessionTypes,
  STORE_UNAVAILABLE_BODY,
  sessionPlugin,
} from "./session-plugin.js";
