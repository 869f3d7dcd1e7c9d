import { getCookieValues } from "./cookie/parse.js";
import { type CookieAttributes, serializeCookie } from "./cookie/serialize.js";
import { pickForwardedEntry, resolveTrustedHops, type TrustProxy } from "./forwarded.js";

/**
 * How core reads and writes cookies: the only thing an adapter supplies. Deleting a cookie is a
 * `set` with `maxAge: 0`.
 */
export interface CookieAccessor {
  /** Every value the request sent for `name`, in order (duplicates included). */
  getAll(name: string): string[];
  /** Queues one `Set-Cookie` on the response. */
  set(name: string, value: string, attributes: CookieAttributes): void;
}

/** What core needs to know about the request besides its cookies. */
export interface RequestContext {
  /** Whether the request reached the app over HTTPS (as decided by the adapter's proxy trust). */
  secure: boolean;
  /** The request's `Host` (with or without port); decides whether plain HTTP is localhost. */
  host?: string | undefined;
  /** `User-Agent`, kept with sessions created by this request. */
  userAgent?: string | undefined;
  /** Client IP, kept with sessions created by this request. */
  ip?: string | undefined;
}

/**
 * A {@link CookieAccessor} over raw header values: the request's `Cookie` header field(s), and
 * a function that appends one `Set-Cookie` header to the response. Parsing and serializing are
 * core's, so every adapter reads and writes cookies identically.
 *
 * @example
 * ```ts
 * const cookies = createCookieAccessor(req.headers.cookie, (line) => res.append("Set-Cookie", line));
 * ```
 */
export function createCookieAccessor(
  cookieHeader: string | readonly string[] | undefined | null,
  appendSetCookie: (header: string) => void,
): CookieAccessor {
  return {
    getAll: (name) => getCookieValues(cookieHeader ?? undefined, name),
    set: (name, value, attributes) => appendSetCookie(serializeCookie(name, value, attributes)),
  };
}

/**
 * A {@link CookieAccessor} for Web-standard `Request`/`Headers`: plain `fetch` handlers
 * (Bun.serve, Deno.serve, Workers) need no adapter.
 *
 * @example
 * ```ts
 * const headers = new Headers();
 * const session = await manager.load(cookiesFromRequest(request, headers), contextFromRequest(request));
 * ```
 */
export function cookiesFromRequest(request: Request, responseHeaders: Headers): CookieAccessor {
  return createCookieAccessor(request.headers.get("cookie"), (line) =>
    responseHeaders.append("set-cookie", line),
  );
}

/**
 * The {@link RequestContext} of a Web `Request`. `Secure` is read from the URL's scheme; the
 * `X-Forwarded-Proto` and `X-Forwarded-For` headers count only with `trustProxy`, and then only
 * the entry the trusted proxy wrote (the rightmost with `true`, the `n`-th from the right with a
 * number `n` of proxies): entries further left come from the client.
 *
 * @example
 * ```ts
 * // Behind one proxy that appends: X-Forwarded-For: <what the client sent>, <client address>
 * const context = contextFromRequest(request, { trustProxy: true });
 * ```
 */
export function contextFromRequest(
  request: Request,
  options: { trustProxy?: TrustProxy } = {},
): RequestContext {
  const url = new URL(request.url);
  const headers = request.headers;
  const hops = resolveTrustedHops(options.trustProxy);
  const forwardedProto = pickForwardedEntry(headers.get("x-forwarded-proto"), hops);
  const forwardedFor = pickForwardedEntry(headers.get("x-forwarded-for"), hops);
  return {
    secure: (forwardedProto?.toLowerCase() ?? url.protocol.slice(0, -1)) === "https",
    host: headers.get("host") ?? url.host,
    userAgent: headers.get("user-agent") ?? undefined,
    ip: forwardedFor,
  };
}

/** Whether `host` (a `Host` header value, port allowed) names this machine. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const hostname = host.startsWith("[")
    ? host.slice(1, host.indexOf("]"))
    : host.replace(/:\d*$/, "");
  const lower = hostname.toLowerCase();
  return (
    lower === "localhost" ||
    lower.endsWith(".localhost") ||
    lower === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(lower)
  );
}
