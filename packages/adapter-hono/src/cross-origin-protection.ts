import { type CrossOriginProtectionOptions, createCrossOriginProtection } from "@sesame/core";
import type { MiddlewareHandler } from "hono";
import { HONO_ADAPTER_DEFAULTS, type HonoProxyOptions } from "./session-middleware.js";

function targetHost(request: Request, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? request.headers.get("x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  return forwarded || request.headers.get("host") || new URL(request.url).host;
}

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (the `Host` header; `X-Forwarded-Host` only with
 * `trustProxy`). Requests with neither header pass. Mount it before `sessionMiddleware`.
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
  const trustProxy = options.trustProxy ?? HONO_ADAPTER_DEFAULTS.trustProxy;
  return async (c, next) => {
    const verdict = check({
      method: c.req.method,
      path: c.req.path,
      host: targetHost(c.req.raw, trustProxy),
      origin: c.req.header("origin"),
      secFetchSite: c.req.header("sec-fetch-site"),
    });
    if (verdict !== null) return c.json({ error: "cross_origin_request_refused" }, 403);
    await next();
  };
}
