import { pickForwardedEntry, type RequestContext } from "@sesame/core";
import type { Context } from "koa";

/**
 * How many proxies in front of the app Koa trusts: none without `app.proxy`, else
 * `app.maxIpsCount` when set, else one. (Koa's own `ctx.ip`, `ctx.host` and `ctx.protocol` take
 * the leftmost `X-Forwarded-*` entry, which the client writes when the proxy appends.)
 */
function trustedProxyHops(ctx: Context): number {
  if (!ctx.app.proxy) return 0;
  return ctx.app.maxIpsCount > 0 ? ctx.app.maxIpsCount : 1;
}

/**
 * The request's target host: the `X-Forwarded-Host` entry the outermost trusted proxy wrote
 * with `app.proxy`, else `ctx.host` (the `Host` header or HTTP/2 `:authority`).
 */
export function requestHost(ctx: Context): string | undefined {
  const forwarded = pickForwardedEntry(ctx.get("x-forwarded-host"), trustedProxyHops(ctx));
  return forwarded ?? (ctx.host || undefined);
}

/** What core needs to know about the request, from the entries the trusted proxies wrote. */
export function requestContext(ctx: Context): RequestContext {
  const hops = trustedProxyHops(ctx);
  const proto = pickForwardedEntry(ctx.get("x-forwarded-proto"), hops);
  const ip = pickForwardedEntry(ctx.get(ctx.app.proxyIpHeader), hops);
  return {
    secure: proto === undefined ? ctx.secure : proto.toLowerCase() === "https",
    host: requestHost(ctx),
    userAgent: ctx.get("user-agent") || undefined,
    ip: ip ?? (ctx.ip || undefined),
  };
}
