import {
  type CrossOriginProtectionOptions,
  createCrossOriginProtection,
  pickForwardedEntry,
  resolveTrustedHops,
} from "@sesame/core";
import type { MiddlewareHandler } from "hono";
import { HONO_ADAPTER_DEFAULTS, type HonoProxyOptions } from "./session-middleware.js";

/**
 * The request's target host: the `X-Forwarded-Host` entry the outermost of `hops` trusted proxies
 * wrote (never one the client put further left), else `Host`, else the URL's host.
 */
function targetHost(request: Request, hops: number): string {
  const forwarded = pickForwardedEntry(request.headers.get("x-forwarded-host"), hops);
  return forwarded || request.headers.get("host") || new URL(request.url).host;
}

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (the `Host` header; with `trustProxy`, the `X-Forwarded-Host`
 * entry the trusted proxy wrote). Requests with neither header pass. Mount it before `sessionMiddleware`.
 *
 * @example
 * ```ts
 * app.use(crossOriginProtection({ exemptPaths: ["/webhooks/stripe"] }));
 * app.use(sessionMiddleware(manager));
 * ```
 */
export function crossOriginProtection(
  options: CrossOriginProtectionOptions & HonoProxyOptions = {},
): MiddlewareHandler {
  const check = createCrossOriginProtection(options);
  const hops = resolveTrustedHops(options.trustProxy ?? HONO_ADAPTER_DEFAULTS.trustProxy);
  return async (c, next) => {
    const verdict = check({
      method: c.req.method,
      path: c.req.path,
      host: targetHost(c.req.raw, hops),
      origin: c.req.header("origin"),
      secFetchSite: c.req.header("sec-fetch-site"),
    });
    if (verdict !== null) return c.json({ error: "cross_origin_request_refused" }, 403);
    await next();
  };
}
