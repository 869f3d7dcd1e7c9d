/** The cookie-name prefixes browsers give rules to, as they are usually spelled. */
export type CookiePrefix = "__Host-" | "__Secure-";

/** The attributes the prefix rules read. */
export interface PrefixedCookieAttributes {
  secure?: boolean | undefined;
  domain?: string | undefined;
  path?: string | undefined;
}

/**
 * The prefix `name` starts with, or `null`. Browsers match prefixes case-insensitively
 * (RFC 6265bis §4.1.3), so `__host-sid` is a `__Host-` cookie too.
 *
 * @example
 * ```ts
 * cookiePrefixOf("__host-sid"); // "__Host-"
 * cookiePrefixOf("app__Host-sid"); // null
 * ```
 */
export function cookiePrefixOf(name: string): CookiePrefix | null {
  const start = name.slice(0, 9).toLowerCase();
  if (start.startsWith("__host-")) return "__Host-";
  if (start.startsWith("__secure-")) return "__Secure-";
  return null;
}

/**
 * Which prefix rule a cookie breaks, so that browsers would drop it, or `null`: both prefixes
 * need `Secure`; `__Host-` also needs `Path=/` and no `Domain`.
 *
 * @example
 * ```ts
 * findCookiePrefixViolation("__host-sid", { secure: true, path: "/", domain: "example.com" });
 * // 'a "__Host-" cookie cannot have a Domain'
 * ```
 */
export function findCookiePrefixViolation(
  name: string,
  attributes: PrefixedCookieAttributes,
): string | null {
  const prefix = cookiePrefixOf(name);
  if (prefix === null) return null;
  if (attributes.secure !== true) return `a "${prefix}" cookie needs Secure`;
  if (prefix === "__Secure-") return null;
  if (attributes.domain !== undefined) return 'a "__Host-" cookie cannot have a Domain';
  if (attributes.path !== "/") return 'a "__Host-" cookie needs Path=/';
  return null;
}
