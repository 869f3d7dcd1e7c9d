import { type CrossOriginProtectionOptions, createCrossOriginProtection } from "@sesame/core";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

const plugin: FastifyPluginAsync<CrossOriginProtectionOptions> = async (fastify, options) => {
  const check = createCrossOriginProtection(options);
  fastify.addHook("onRequest", async (request, reply) => {
    const verdict = check({
      method: request.method,
      path: request.url.split("?")[0]!,
      host: request.host || undefined,
      origin: header(request, "origin"),
      secFetchSite: header(request, "sec-fetch-site"),
    });
    if (verdict === null) return;
    return reply.code(403).send({ error: "cross_origin_request_refused" });
  });
};

/**
 * Refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE…) with 403
 * `{"error":"cross_origin_request_refused"}`: `Sec-Fetch-Site: cross-site` or `same-site`, or an
 * `Origin` other than the target (`request.host`: the `Host` header, or `X-Forwarded-Host` under
 * Fastify's `trustProxy`). Requests with neither header pass. Register it before `sessionPlugin`,
 * so a refused request costs no store call.
 *
 * @example
 * ```ts
 * await app.register(crossOriginProtection, { exemptPaths: ["/webhooks/stripe"] });
 * await app.register(sessionPlugin, { manager });
 * ```
 */
export const crossOriginProtection = fastifyPlugin(plugin, {
  fastify: "5.x",
  name: "@sesame/fastify/cross-origin-protection",
});
