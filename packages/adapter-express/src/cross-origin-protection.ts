import { type CrossOriginProtectionOptions, createCrossOriginProtection } from "@sesame/core";
import type { RequestHandler } from "express";
import { requestHost } from "./request-context.js";

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (from `Host`; `X-Forwarded-Host` only under `trust proxy`).
 * Requests with neither header pass. Mount it before `sessionMiddleware`.
 *
 * @example
 * ```ts
 * app.use(crossOriginProtection({ exemptPaths: ["/webhooks/stripe"] }));
 * app.use(sessionMiddleware(manager));
 * ```
 */
export function crossOriginProtection(options: CrossOriginProtectionOptions = {}): RequestHandler {
  const check = createCrossOriginProtection(options);
  return (req, res, next) => {
    const verdict = check({
      method: req.method,
      path: req.originalUrl.split("?")[0]!,
      host: requestHost(req),
      origin: req.get("origin"),
      secFetchSite: req.get("sec-fetch-site"),
    });
    if (verdict === null) next();
    else res.status(403).json({ error: "cross_origin_request_refused" });
  };
}
