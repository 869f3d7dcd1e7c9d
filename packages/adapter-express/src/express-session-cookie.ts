import { createHmac, timingSafeEqual } from "node:crypto";
import { type CookieAttributes, getCookieValues, serializeCookie } from "@sesame/core";

/**
 * The session id of an express-session cookie value (`s:<sid>.<signature>`, already
 * percent-decoded) signed with any of `secrets`, or `null`. The signature is what
 * `cookie-signature` makes: HMAC-SHA-256 of the id, base64 without padding, compared in constant
 * time. Unsigned and tampered values give `null`, as express-session ignores them.
 *
 * @example
 * ```ts
 * unsignExpressSessionCookie("s:abc.3uQ…", ["keyboard cat"]); // "abc", or null if forged
 * ```
 */
export function unsignExpressSessionCookie(
  value: string,
  secrets: readonly string[],
): string | null {
  if (!value.startsWith("s:")) return null;
  const signed = value.slice(2);
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return null;
  const sid = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  for (const secret of secrets) {
    const mac = createHmac("sha256", secret).update(sid).digest("base64").replace(/=+$/, "");
    const expected = Buffer.from(mac);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return sid;
  }
  return null;
}

/**
 * The value of the cookie `name` as express-session reads it (percent-decoded), or `null` when
 * it is absent or sent twice with different values.
 */
export function readExpressSessionCookie(
  cookieHeader: string | undefined,
  name: string,
): string | null {
  const values = [...new Set(getCookieValues(cookieHeader, name))];
  if (values.length !== 1) return null;
  const raw = values[0]!;
  try {
    return raw.includes("%") ? decodeURIComponent(raw) : raw;
  } catch {
    return raw;
  }
}

/** The `cookie` an express-session record keeps: the attributes its cookie was set with. */
export interface ExpressSessionCookieData {
  path?: string;
  domain?: string;
  secure?: boolean | "auto";
  httpOnly?: boolean;
  sameSite?: boolean | "lax" | "strict" | "none";
  partitioned?: boolean;
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/**
 * The `Set-Cookie` line that deletes the old cookie `name`: the same path (default `/`) and
 * domain, and the same `Secure`, `HttpOnly`, `SameSite` and `Partitioned`, so the browser
 * matches it and keeps it.
 */
export function clearExpressSessionCookie(
  name: string,
  cookie: ExpressSessionCookieData | undefined,
): string {
  const attributes: CookieAttributes = {
    path: cookie?.path ?? "/",
    maxAge: 0,
    expires: new Date(0),
    httpOnly: cookie?.httpOnly ?? true,
  };
  if (cookie?.domain !== undefined) attributes.domain = cookie.domain;
  if (cookie?.secure === true) attributes.secure = true;
  const sameSite = cookie?.sameSite === true ? "strict" : String(cookie?.sameSite).toLowerCase();
  if (Object.hasOwn(SAME_SITE, sameSite)) {
    attributes.sameSite = SAME_SITE[sameSite as keyof typeof SAME_SITE];
  }
  if (cookie?.partitioned === true) attributes.partitioned = true;
  return serializeCookie(name, "", attributes);
}
