import { type SessionHeaders, withVary } from "@sesame/core";
import type { FastifyReply } from "fastify";

/**
 * Writes what the session's commit says the response carries (its `Set-Cookie` line,
 * `Cache-Control: no-store`, `Cookie` in `Vary`) onto this request's reply, and returns the
 * payload to send. A Web `Response` the route sent may be one the app sends on every request:
 * it is copied, and the copy carries the headers, so its own caching headers cannot win.
 *
 * @example
 * ```ts
 * fastify.addHook("onSend", async (request, reply, payload) => {
 *   const headers = await request.session.commit();
 *   return headers === null ? payload : writeSessionHeaders(reply, payload, headers);
 * });
 * ```
 */
export function writeSessionHeaders(
  reply: FastifyReply,
  payload: unknown,
  written: SessionHeaders,
): unknown {
  if (payload instanceof Response) {
    const own = new Response(payload.body, payload);
    own.headers.append("set-cookie", written.setCookie);
    own.headers.set("cache-control", written.cacheControl);
    own.headers.set("vary", withVary(own.headers.get("vary"), written.vary));
    return own;
  }
  reply.header("set-cookie", written.setCookie); // appends to the app's own Set-Cookie lines
  reply.header("cache-control", written.cacheControl);
  reply.header("vary", withVary(varyOf(reply.getHeader("vary")), written.vary));
  return payload;
}

/** The reply's `Vary` so far, as one value (Node keeps an array when it was set as one). */
function varyOf(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.join(", ");
  return value === undefined ? undefined : String(value);
}
