import type { RequestContext } from "@sesame/core";
import type { Request } from "express";

type TrustProxy = (address: string | undefined, hop: number) => boolean;

/**
 * The request's target host: `X-Forwarded-Host` only when Express's `trust proxy` trusts the
 * peer, the `Host` header otherwise. (Express 4's `req.host` drops the port, so it is not used.)
 */
export function requestHost(req: Request): string | undefined {
  const trust = req.app.get("trust proxy fn") as TrustProxy | undefined;
  const forwarded = req.get("x-forwarded-host");
  if (forwarded && trust?.(req.socket.remoteAddress, 0)) return forwarded.split(",")[0]!.trim();
  return req.get("host");
}

/** What core needs to know about the request, read the way Express's `trust proxy` says. */
export function requestContext(req: Request): RequestContext {
  return {
    secure: req.secure,
    host: requestHost(req),
    userAgent: req.get("user-agent"),
    ip: req.ip,
  };
}
