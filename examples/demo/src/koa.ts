import { createServer, type Server } from "node:http";
import type { SessionManager } from "@sesame/core";
import { crossOriginProtection, type SessionContext, sessionMiddleware } from "@sesame/koa";
import Koa, { type Context, type DefaultState } from "koa";
import { type DemoData, type DemoResponse, readBodyText } from "./http.js";
import { type DemoApp, failureResponse, handleRequest } from "./routes.js";

/**
 * The demo on Koa: answer errors (a failing session store gives 503), refuse cross-origin
 * writes, load the session, hand every request to the shared routes.
 *
 * @example
 * ```ts
 * createKoaServer(manager, app).listen(3000);
 * ```
 */
export function createKoaServer(manager: SessionManager<DemoData>, app: DemoApp): Server {
  const web = new Koa<DefaultState, SessionContext<DemoData>>();
  web.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Whatever the route had set does not belong to the error response.
      for (const name of ctx.res.getHeaderNames()) ctx.remove(name);
      send(ctx, failureResponse(app, error, ctx.get("accept")));
    }
  });
  web.use(crossOriginProtection());
  web.use(sessionMiddleware(manager));
  web.use(async (ctx) => {
    const response = await handleRequest(app, {
      method: ctx.method,
      path: ctx.path,
      contentType: ctx.get("content-type") || undefined,
      accept: ctx.get("accept") || undefined,
      cookie: ctx.get("cookie") || undefined,
      readBody: () => readBodyText(ctx.req),
      session: ctx.session,
      clientIp: ctx.ip || undefined,
    });
    send(ctx, response);
  });
  return createServer(web.callback());
}

function send(ctx: Context, response: DemoResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  // Koa turns a `null` body into 204, so other statuses keep their (possibly empty) text.
  ctx.body = response.status === 204 ? null : response.body;
}
