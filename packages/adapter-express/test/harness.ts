import { Readable } from "node:stream";
import {
  type AdapterHarness,
  type ConformanceResult,
  type ConformanceRoute,
  listenOnLoopback,
  SharedError,
} from "@sesame/core/testing";
import type express5 from "express";
import type { ErrorRequestHandler, Response } from "express";
import { crossOriginProtection, getSession, sessionMiddleware } from "../src/index.js";

/** The error handler the README recommends: store errors → 503, anything else → 500. */
export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const code = (error as { code?: unknown }).code;
  if (code === "store_unavailable" || code === "store_timeout") {
    res.status(503).json({ error: "session_store_unavailable" });
  } else {
    res.status(500).json({ error: "internal_error" });
  }
};

/** Answers the app's one `SharedError` with its status and headers, as an http-errors handler does. */
const sharedErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (!(error instanceof SharedError)) return next(error);
  res.status(error.status).set(error.headers).end();
};

function send(res: Response, result: ConformanceResult): void {
  for (const [name, value] of result.cookies ?? []) res.cookie(name, value);
  res.set({ ...result.headers });
  if (result.redirect !== undefined) {
    res.redirect(result.status, result.redirect);
  } else if (result.stream !== undefined) {
    res.status(result.status).type("text/plain");
    Readable.from(result.stream).pipe(res);
  } else if (result.body === undefined) {
    res.status(result.status).end();
  } else {
    res.status(result.status).json(result.body);
  }
}

function verb(route: ConformanceRoute): "get" | "post" | "put" {
  return route.method === "GET" ? "get" : route.method === "POST" ? "post" : "put";
}

/** The conformance app on an Express module (5, or 4 through the `express4` alias). */
export function expressHarness(express: typeof express5): AdapterHarness {
  return {
    start({ manager, routes, trustProxy }) {
      const app = express();
      app.set("trust proxy", trustProxy === true ? "loopback" : trustProxy);
      app.use(crossOriginProtection());
      app.use(sessionMiddleware(manager));
      app.use(express.json());
      for (const route of routes) {
        app.route(route.path)[verb(route)](async (req, res, next) => {
          try {
            send(res, await route.handle(getSession(req, manager), { body: req.body }));
          } catch (error) {
            next(error);
          }
        });
      }
      app.use(sharedErrorHandler, errorHandler);
      return listenOnLoopback(app);
    },
  };
}
