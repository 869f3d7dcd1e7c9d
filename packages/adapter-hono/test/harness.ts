import { getRequestListener } from "@hono/node-server";
import {
  type AdapterHarness,
  type ConformanceResult,
  listenOnLoopback,
  SharedError,
} from "@sesame/core/testing";
import { type Context, Hono } from "hono";
import { setCookie } from "hono/cookie";
import type { ContentfulStatusCode, RedirectStatusCode, StatusCode } from "hono/utils/http-status";
import {
  crossOriginProtection,
  type SessionEnv,
  sessionErrorHandler,
  sessionMiddleware,
} from "../src/index.js";

function streamOf(chunks: readonly string[] | AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async start(controller) {
      for await (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

const cachedResponses = new WeakMap<SharedError | ConformanceResult, Response>();

/** The one `Response` the app sends for a shared error or reused result, as an app's cached reply. */
function cachedResponse(shared: SharedError | ConformanceResult): Response {
  let response = cachedResponses.get(shared);
  if (response === undefined) {
    response = new Response(null, { status: shared.status, headers: shared.headers });
    cachedResponses.set(shared, response);
  }
  return response;
}

function send(c: Context, result: ConformanceResult): Response {
  if (result.reused) return cachedResponse(result);
  for (const [name, value] of result.cookies ?? []) setCookie(c, name, value);
  for (const [name, value] of Object.entries(result.headers ?? {})) c.header(name, value);
  if (result.redirect !== undefined) {
    return c.redirect(result.redirect, result.status as RedirectStatusCode);
  }
  if (result.stream !== undefined) {
    const status = result.status as ContentfulStatusCode;
    return c.body(streamOf(result.stream), status, { "Content-Type": "text/plain" });
  }
  if (result.body === undefined) return c.body(null, result.status as StatusCode);
  return c.json(result.body, result.status as ContentfulStatusCode);
}

/** The conformance app on Hono, served by `@hono/node-server`. */
export function honoApp({
  manager,
  routes,
  trustProxy,
}: Parameters<AdapterHarness["start"]>[0]): Hono<SessionEnv> {
  const app = new Hono<SessionEnv>();
  app.onError((error, c) =>
    error instanceof SharedError ? cachedResponse(error) : sessionErrorHandler(error, c),
  );
  app.use(crossOriginProtection({ trustProxy }));
  app.use(sessionMiddleware(manager, { trustProxy }));
  for (const route of routes) {
    app.on(route.method, route.path, async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined);
      return send(c, await route.handle(c.get("session"), { body }));
    });
  }
  return app;
}

/** The conformance harness for Hono on `@hono/node-server`. */
export const honoHarness: AdapterHarness = {
  start: (app) => listenOnLoopback(getRequestListener(honoApp(app).fetch)),
};
