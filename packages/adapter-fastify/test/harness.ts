import { Readable } from "node:stream";
import fastifyCookie from "@fastify/cookie";
import type { TrustProxy } from "@sesame/core";
import type { AdapterHarness, ConformanceResult, ConformanceServer } from "@sesame/core/testing";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from "fastify";
import { crossOriginProtection, sessionPlugin } from "../src/index.js";

const cachedResponses = new WeakMap<ConformanceResult, Response>();

/** The one `Response` the app sends for a reused result, as an app's cached reply. */
function cachedResponse(result: ConformanceResult): Response {
  let response = cachedResponses.get(result);
  if (response === undefined) {
    response = new Response(null, { status: result.status, headers: result.headers });
    cachedResponses.set(result, response);
  }
  return response;
}

function send(reply: FastifyReply, result: ConformanceResult): FastifyReply {
  if (result.reused) return reply.send(cachedResponse(result));
  for (const [name, value] of result.cookies ?? []) reply.setCookie(name, value);
  reply.headers({ ...result.headers });
  if (result.redirect !== undefined) return reply.redirect(result.redirect, result.status);
  reply.code(result.status);
  if (result.stream !== undefined)
    return reply.type("text/plain").send(Readable.from(result.stream));
  return reply.send(result.body);
}

/**
 * Fastify's `trustProxy` for the conformance app: `"loopback"` for one proxy; for `n` proxies a
 * function trusting the loopback peer and the `n - 1` hops beyond it (Fastify refuses a bare hop
 * count, which cannot check the peer).
 */
function fastifyTrustProxy(trustProxy: TrustProxy): FastifyServerOptions["trustProxy"] {
  if (typeof trustProxy === "boolean") return trustProxy && "loopback";
  return (address, hop) => hop < trustProxy && (hop > 0 || address === "127.0.0.1");
}

/**
 * The conformance app on Fastify 5. Errors take Fastify's default error handler (the app's one
 * `SharedError` answers with its own status and headers); `@fastify/cookie` sets the routes'
 * other cookies.
 */
export async function fastifyApp({
  manager,
  routes,
  trustProxy,
}: Parameters<AdapterHarness["start"]>[0]): Promise<FastifyInstance> {
  const app = Fastify({
    trustProxy: fastifyTrustProxy(trustProxy),
    forceCloseConnections: true,
  });
  await app.register(fastifyCookie);
  await app.register(crossOriginProtection);
  await app.register(sessionPlugin, { manager });
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) =>
        send(reply, await route.handle(request.session, { body: request.body })),
    });
  }
  return app;
}

/** Listens on 127.0.0.1 with a free port. */
export async function listen(app: FastifyInstance): Promise<ConformanceServer> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("No TCP address.");
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/**
 * The conformance harness for Fastify 5. Fastify's `request.protocol` reads the rightmost
 * `X-Forwarded-Proto` entry whatever the number of trusted proxies.
 */
export const fastifyHarness: AdapterHarness = {
  start: async (app) => listen(await fastifyApp(app)),
  forwardedProtoEntry: "nearest",
};
