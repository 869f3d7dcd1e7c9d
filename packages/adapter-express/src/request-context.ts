import { pickForwardedEntry, type RequestContext } from "@sesame/core";
import type { Request } from "express";

type TrustProxy = (address: string | undefined, hop: number) => boolean;

/**
 * How many proxies in front of the app Express's `trust proxy` trusts for this request: `0` when
 * it does not trust the peer, else one per trusted hop of `X-Forwarded-For` (at least one).
 */
function trustedProxyHops(req: Request): number {
  const trust = req.app.get("trust proxy fn") as TrustProxy | undefined;
  if (!trust?.(req.socket.remoteAddress, 0)) return 0;
  return Math.max(1, req.ips.length);
}

/**
 * The request's target host: the `X-Forwarded-Host` entry the outermost trusted proxy wrote
 * (never one the client put further left) when Express's `trust proxy` trusts the peer, the
 * `Host` header otherwise. (Express's `req.host` takes the leftmost entry, and Express 4's
 * drops the port, so neither is used.)
 */
export function requestHost(req: Request, hops = trustedProxyHops(req)): string | undefined {
  const forwarded = pickForwardedEntry(req.get("x-forwarded-host"), hops);
  return forwarded ?? req.get("host");
}

/**
 * Whether the request reached the app over HTTPS: the `X-Forwarded-Proto` entry the outermost
 * trusted proxy wrote, else the socket. (Express's `req.secure` trusts the leftmost entry.)
 */
function isSecureRequest(req: Request, hops: number): boolean {
  const forwarded = pickForwardedEntry(req.get("x-forwarded-proto"), hops);
  if (forwarded !== undefined) return forwarded.toLowerCase() === "https";
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

/** What core needs to know about the request, read the way Express's `trust proxy` says. */
export function requestContext(req: Request): RequestContext {
  const hops = trustedProxyHops(req);
  return {
    secure: isSecureRequest(req, hops),
    host: requestHost(req, hops),
    userAgent: req.get("user-agent"),
    ip: req.ip,
  };
}
