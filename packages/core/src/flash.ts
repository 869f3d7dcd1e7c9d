/**
 * Flash values: data one request leaves for a later one to read once ("Saved.", a form's
 * errors after a redirect). Each lives in the session data under its own reserved key, so the
 * usual save machinery keeps it, and concurrent requests that flash or take different keys
 * never overwrite each other's.
 *
 * @module
 */
import type { SessionData } from "./session-engine.js";

/**
 * Session data keys that start with this hold flash values. Application keys may not start
 * with it, `session.data` leaves them out, and a `schema` never sees them.
 */
export const FLASH_KEY_PREFIX = "__flash:";

/** The session data key that holds the flash value `key`. */
export function flashKey(key: string): string {
  return FLASH_KEY_PREFIX + key;
}

/** Whether a session data key holds a flash value. */
export function isFlashKey(key: string): boolean {
  return key.startsWith(FLASH_KEY_PREFIX);
}

/** `data` split into the application's data and the flash entries (under their stored keys). */
export function splitFlash(data: SessionData): { data: SessionData; flash: SessionData } {
  const own: SessionData = {};
  const flash: SessionData = {};
  for (const [key, value] of Object.entries(data)) {
    if (isFlashKey(key)) flash[key] = value;
    else own[key] = value;
  }
  return { data: own, flash };
}
