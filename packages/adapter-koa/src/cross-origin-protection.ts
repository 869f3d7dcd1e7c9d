import { type CrossOriginProtectionOptions, createCrossOriginProtection } from "@sesame/core";
import type { Middleware } from "koa";

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (`ctx.host`, which reads `X-Forwarded-Host` only with
 * `app.proxy`). Requests with neither header pass. Mount it before `sessionMiddleware`.
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
      host: ctx.host || undefined,
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
