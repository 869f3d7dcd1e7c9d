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
  const hops = resolveTrustedHops(options.trustProxy);
  const forwardedProto =
    hops === 0 ? undefined : pickForwardedEntry(headers.get("x-forwarded-proto"), hops);
  const forwardedFor =
    hops === 0 ? undefined : pickForwardedEntry(headers.get("x-forwarded-for"), hops);
  return {
    // A Request's URL is normalised: its scheme is lowercase.
    secure:
      forwardedProto === undefined
        ? request.url.startsWith("https:")
        : forwardedProto.toLowerCase() === "https",
    host: headers.get("host") ?? new URL(request.url).host,
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
