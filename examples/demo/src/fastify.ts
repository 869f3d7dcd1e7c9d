import type { Server } from "node:http";
import type { SessionManager } from "@sesame/core";
import { crossOriginProtection, getSession, sessionPlugin } from "@sesame/fastify";
import Fastify, { type FastifyReply } from "fastify";
import { type DemoData, type DemoResponse, readBodyText } from "./http.js";
import { type DemoApp, failureResponse, handleRequest } from "./routes.js";

/**
 * The demo on Fastify 5: refuse cross-origin writes, load the session, hand every request to
 * the shared routes (which read the body themselves, so Fastify's body parsers step aside).
 *
 * @example
 * ```ts
 * (await createFastifyServer(manager, app)).listen(3000);
 * ```
 */
export async function createFastifyServer(
  manager: SessionManager<DemoData>,
  app: DemoApp,
): Promise<Server> {
  const web = Fastify();
  web.removeAllContentTypeParsers();
  web.addContentTypeParser("*", (_request, _payload, done) => done(null));
  await web.register(crossOriginProtection);
  await web.register(sessionPlugin, { manager });
  web.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    url: "*",
    handler: async (request, reply) => {
      const response = await handleRequest(app, {
        method: request.method,
        path: request.url.split("?")[0]!,
        contentType: request.headers["content-type"],
        accept: request.headers.accept,
        cookie: request.headers.cookie,
        readBody: () => readBodyText(request.raw),
        session: getSession(request, manager),
        clientIp: request.ip,
      });
      return send(reply, response);
    },
    // A route's own error handler also sees store failures: a page for browsers, JSON otherwise.
    errorHandler: (error, request, reply) =>
      send(reply, failureResponse(app, error, request.headers.accept)),
  });
  await web.ready();
  return web.server;
}

function send(reply: FastifyReply, response: DemoResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
