import { createServer, type Server } from "node:http";
import type { SessionManager } from "@sesame/core";
import { crossOriginProtection, getSession, sessionMiddleware } from "@sesame/express";
import express, { type NextFunction, type Request, type Response } from "express";
import { type DemoData, type DemoResponse, readBodyText } from "./http.js";
import { type DemoApp, failureResponse, handleRequest } from "./routes.js";

/**
 * The demo on Express: refuse cross-origin writes, load the session, hand every request to the
 * shared routes.
 *
 * @example
 * ```ts
 * createExpressServer(manager, app).listen(3000);
 * ```
 */
export function createExpressServer(manager: SessionManager<DemoData>, app: DemoApp): Server {
  const web = express();
  web.disable("x-powered-by");
  web.use(crossOriginProtection());
  web.use(sessionMiddleware(manager));
  web.use(async (req: Request, res: Response) => {
    const response = await handleRequest(app, {
      method: req.method,
      path: req.path,
      contentType: req.get("content-type"),
      accept: req.get("accept"),
      cookie: req.get("cookie"),
      readBody: () => readBodyText(req),
      session: getSession(req, manager),
      clientIp: req.ip,
    });
    send(res, response);
  });
  // The session middleware passes store failures here (503).
  web.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    send(res, failureResponse(app, error, req.get("accept")));
  });
  return createServer(web);
}

function send(res: Response, response: DemoResponse): void {
  res.status(response.status).set(response.headers).end(response.body);
}
