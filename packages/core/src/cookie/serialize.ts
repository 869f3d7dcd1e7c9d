import { CookieError } from "../errors.js";
import { findCookiePrefixViolation } from "./prefix.js";

/** Attributes of a `Set-Cookie` header. */
export interface CookieAttributes {
  /** `Path`; must be `/` for a `__Host-` cookie (prefixes match case-insensitively). */
  path?: string;
  /** `Domain`; forbidden for a `__Host-` cookie. */
  domain?: string;
  /** `Max-Age` in whole seconds; `0` or less deletes the cookie. Absent: a session cookie. */
  maxAge?: number;
  /** `Expires`; set alongside `maxAge` for old user agents. */
  expires?: Date;
  /** `Secure`; required for a `__Host-` or `__Secure-` cookie. */
  secure?: boolean;
  /** `HttpOnly`. */
  httpOnly?: boolean;
  /** `SameSite`. */
  sameSite?: "Strict" | "Lax" | "None";
  /** `Partitioned` (CHIPS). */
  partitioned?: boolean;
  /** `Priority` (Chromium). */
  priority?: "Low" | "Medium" | "High";
}

/** RFC 6265 token: the characters a cookie name may use. */
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-octet: the characters a cookie value may use. */
const VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** Path and domain values: any CHAR except CTLs and `;`. */
const ATTRIBUTE = /^[\x20-\x3A\x3C-\x7E]+$/;
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** The most a cookie's name and value may add up to (RFC 6265bis §5.6). */
export const MAX_COOKIE_NAME_VALUE_BYTES = 4096;

/**
 * Serializes one `Set-Cookie` header value. Strict: it throws {@link CookieError} for a name,
 * value or attribute that RFC 6265 forbids instead of emitting something a user agent might
 * read differently, and for a `__Host-`/`__Secure-` cookie (any case) that breaks its prefix's
 * rules, which browsers would drop.
 *
 * @example
 * ```ts
 * serializeCookie("__Host-sid", token, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
 * // "__Host-sid=…; Path=/; Secure; HttpOnly; SameSite=Lax"
 * ```
 */
export function serializeCookie(
  name: string,
  value: string,
  attributes: CookieAttributes = {},
): string {
  if (!NAME.test(name)) throw new CookieError(`Invalid cookie name ${JSON.stringify(name)}.`);
  if (!VALUE.test(value)) throw new CookieError(`Invalid value for cookie ${name}.`);
  const violation = findCookiePrefixViolation(name, attributes);
  if (violation !== null) throw new CookieError(`Cookie ${name}: ${violation}.`);
  if (name.length + value.length > MAX_COOKIE_NAME_VALUE_BYTES) {
    throw new CookieError(`Cookie ${name} is longer than ${MAX_COOKIE_NAME_VALUE_BYTES} bytes.`);
  }
  let header = `${name}=${value}`;
  if (attributes.maxAge !== undefined) {
    if (!Number.isFinite(attributes.maxAge))
      throw new CookieError("maxAge must be a finite number.");
    header += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`;
  }
  if (attributes.expires !== undefined) {
    if (Number.isNaN(attributes.expires.getTime()))
      throw new CookieError("expires is an invalid date.");
    header += `; Expires=${attributes.expires.toUTCString()}`;
  }
  if (attributes.domain !== undefined) {
    if (!DOMAIN.test(attributes.domain)) {
      throw new CookieError(`Invalid cookie domain ${JSON.stringify(attributes.domain)}.`);
    }
    header += `; Domain=${attributes.domain}`;
  }
  if (attributes.path !== undefined) {
    if (!ATTRIBUTE.test(attributes.path)) {
      throw new CookieError(`Invalid cookie path ${JSON.stringify(attributes.path)}.`);
    }
    header += `; Path=${attributes.path}`;
  }
  if (attributes.secure) header += "; Secure";
  if (attributes.httpOnly) header += "; HttpOnly";
  if (attributes.sameSite !== undefined) {
    if (!["Strict", "Lax", "None"].includes(attributes.sameSite)) {
      throw new CookieError(`Invalid SameSite value ${JSON.stringify(attributes.sameSite)}.`);
    }
    header += `; SameSite=${attributes.sameSite}`;
  }
  if (attributes.partitioned) header += "; Partitioned";
  if (attributes.priority !== undefined) {
    if (!["Low", "Medium", "High"].includes(attributes.priority)) {
      throw new CookieError(`Invalid Priority value ${JSON.stringify(attributes.priority)}.`);
    }
    header += `; Priority=${attributes.priority}`;
  }
  return header;
}
