import { pickForwardedEntry, resolveTrustedHops, type TrustProxy } from "./forwarded.js";

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
  const headers = request.headers;
  return contextFromHeaders((name) => headers.get(name), request.url, options);
}

/**
 * The {@link RequestContext} of a request known by its URL and a way to read its headers (by
 * lower-case name), for servers that keep headers in their own shape: like
 * {@link contextFromRequest}, without building a Fetch `Headers`.
 *
 * @example
 * ```ts
 * // Node's IncomingMessage, behind one proxy; the URL must be absolute (scheme and host)
 * const url = `http://${req.headers.host}${req.url}`;
 * const context = contextFromHeaders((name) => req.headers[name] as string | undefined, url, { trustProxy: true });
 * ```
 */
export function contextFromHeaders(
  header: (name: string) => string | null | undefined,
  url: string,
  options: { trustProxy?: TrustProxy } = {},
): RequestContext {
  const hops = resolveTrustedHops(options.trustProxy);
  const forwardedProto =
    hops === 0 ? undefined : pickForwardedEntry(header("x-forwarded-proto"), hops);
  const forwardedFor = hops === 0 ? undefined : pickForwardedEntry(header("x-forwarded-for"), hops);
  return {
    secure:
      forwardedProto === undefined
        ? url.startsWith("https:")
        : forwardedProto.toLowerCase() === "https",
    host: header("host") ?? new URL(url).host,
    userAgent: header("user-agent") ?? undefined,
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
