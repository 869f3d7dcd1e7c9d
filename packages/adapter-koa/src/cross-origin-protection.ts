import { type CrossOriginProtectionOptions, createCrossOriginProtection } from "@sesame/core";
import type { Middleware } from "koa";
import { requestHost } from "./request-context.js";

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (the `Host` header; with `app.proxy`, the `X-Forwarded-Host`
 * entry the trusted proxy wrote). Requests with neither header pass. Mount it before `sessionMiddleware`.
 *
 * @example
 * ```ts
 * app.use(crossOriginProtection({ exemptPaths: ["/webhooks/stripe"] }));
 * app.use(sessionMiddleware(manager));
 * ```
 */
export function crossOriginProtection(options: CrossOriginProtectionOptions = {}): Middleware {
  const check = createCrossOriginProtection(options);
  return async (ctx, next) => {
    const verdict = check({
      method: ctx.method,
      path: ctx.path,
      host: requestHost(ctx),
      origin: ctx.get("origin") || undefined,
      secFetchSite: ctx.get("sec-fetch-site") || undefined,
    });
    if (verdict === null) {
      await next();
      return;
    }
    ctx.status = 403;
    ctx.body = { error: "cross_origin_request_refused" };
  };
}
