import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { SessionManager } from "@sesame/core";
import { crossOriginProtection, type SessionEnv, sessionMiddleware } from "@sesame/hono";
import { Hono } from "hono";
import { type DemoData, type DemoResponse, readBodyText } from "./http.js";
import { type DemoApp, failureResponse, handleRequest } from "./routes.js";

/**
 * The demo on Hono (served by `@hono/node-server`): refuse cross-origin writes, load the
 * session, hand every request to the shared routes.
 *
 * @example
 * ```ts
 * createHonoServer(manager, app).listen(3000);
 * ```
 */
export function createHonoServer(manager: SessionManager<DemoData>, app: DemoApp): Server {
  const web = new Hono<SessionEnv<DemoData>>();
  web.use(crossOriginProtection());
  web.use(sessionMiddleware(manager));
  web.all("*", async (c) => {
    const response = await handleRequest(app, {
      method: c.req.method,
      path: c.req.path,
      contentType: c.req.header("content-type"),
      accept: c.req.header("accept"),
      cookie: c.req.header("cookie"),
      readBody: () => readBodyText(c.req.raw.body),
      session: c.get("session"),
      clientIp: getConnInfo(c).remote.address,
    });
    return toResponse(response);
  });
  // The session middleware throws store failures as 503s; they end up here.
  web.onError((error, c) => toResponse(failureResponse(app, error, c.req.header("accept"))));
  return createAdaptorServer({ fetch: web.fetch }) as Server;
}

function toResponse(response: DemoResponse): Response {
  const body = response.status === 204 || response.body === "" ? null : response.body;
  return new Response(body, { status: response.status, headers: response.headers });
}
