import type { IncomingMessage } from "node:http";
import {
  attachedSession,
  attachSession,
  contextFromRequest,
  isSesameError,
  isSessionStoreError,
  type JsonData,
  type RequestContext,
  type RequestSession,
  resolveTrustedHops,
  type SessionData,
  type SessionManager,
  type TrustProxy,
} from "@sesame/core";
import type { Context, ErrorHandler, MiddlewareHandler, Next } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The Hono environment `sessionMiddleware` provides: `c.get("session")` (or `c.var.session`)
 * is the request's session, typed by the manager's data.
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv<{ theme?: string }>>();
 * app.use(sessionMiddleware(manager));
 * app.get("/me", (c) => c.json({ theme: c.get("session").get("theme") }));
 * ```
 */
export type SessionEnv<Data extends object = SessionData> = {
  Variables: { session: RequestSession<Data> };
};

/**
 * Options of the Hono `sessionMiddleware` and `crossOriginProtection`.
 *
 * @example
 * ```ts
 * const options: HonoProxyOptions = { trustProxy: process.env.BEHIND_PROXY === "1" ? 1 : false };
 * app.use(crossOriginProtection(options), sessionMiddleware(manager, options));
 * ```
 */
export interface HonoProxyOptions {
  /**
   * Trust `X-Forwarded-Proto` (HTTPS detection), `X-Forwarded-For` (client IP) and, for the
   * cross-origin check, `X-Forwarded-Host`, each only in the entry the trusted proxy wrote:
   * `true` (or `1`) the rightmost, for one proxy in front of the app; a number `n` the `n`-th
   * from the right, for `n` proxies. Entries further left come from the client. Turn it on only
   * behind proxies that set these headers and that nothing can bypass.
   */
  trustProxy?: TrustProxy;
}

/**
 * Every default of the Hono adapter's options.
 *
 * @example
 * ```ts
 * HONO_ADAPTER_DEFAULTS.trustProxy; // false
 * ```
 */
export const HONO_ADAPTER_DEFAULTS = { trustProxy: false } as const;

/**
 * The JSON body of a 503 for a failing or hanging session store.
 *
 * @example
 * ```ts
 * app.onError((error, c) => {
 *   const fromStore = isSessionStoreError(error) || isSessionStoreError(error.cause);
 *   return fromStore ? c.json(STORE_UNAVAILABLE_BODY, 503) : c.text("Something went wrong", 500);
 * });
 * ```
 */
export const STORE_UNAVAILABLE_BODY = { error: "session_store_unavailable" } as const;

function isStoreError(error: unknown): boolean {
  return (
    isSessionStoreError(error) ||
    (error instanceof HTTPException && isSessionStoreError(error.cause))
  );
}

/** A store error becomes an `HTTPException` 503 (its `cause`), so even Hono's default handler answers 503. */
function rethrow(error: unknown): never {
  if (!isSessionStoreError(error)) throw error;
  const res = Response.json(STORE_UNAVAILABLE_BODY, { status: 503 });
  throw new HTTPException(503, { res, cause: error });
}

/**
 * Hono middleware for any runtime (Node through `@hono/node-server`, Bun, Deno, Workers):
 * loads the request's session into `c.get("session")` and commits it once after the handler,
 * before the response leaves (also after a thrown error, unless the store threw it). A failing
 * or hanging store throws `HTTPException(503)` whose `cause` is the `SessionStoreError`.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ theme?: string }>({ store: new MemoryStore() });
 * const app = new Hono<SessionEnv<{ theme?: string }>>();
 * app.use(sessionMiddleware(manager, { trustProxy: false }));
 * app.post("/login", async (c) => {
 *   await c.get("session").create("user-42");
 *   return c.json({ ok: true });
 * });
 * ```
 */
export function sessionMiddleware<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
  options: HonoProxyOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const trustProxy = resolveTrustedHops(options.trustProxy ?? HONO_ADAPTER_DEFAULTS.trustProxy);
  return (c, next) => {
    const loaded = manager.load(cookieHeaderOf(c), () => requestContext(c, trustProxy));
    if (!(loaded instanceof Promise)) return run(c, next, manager, loaded);
    return loaded.then((session) => run(c, next, manager, session), rethrow);
  };
}

/** Runs the rest of the app with the session in `c`, then commits it onto this response. */
async function run<Data extends JsonData<Data>>(
  c: Context<SessionEnv<Data>>,
  next: Next,
  manager: SessionManager<Data>,
  session: RequestSession<Data>,
): Promise<void> {
  c.set("session", session);
  attachSession(c, manager, session);
  await next();
  if (isStoreError(c.error) || !session.needsCommit) return;
  const written = await session.commit().catch(rethrow);
  if (written === null) return;
  const headers = ownResponseHeaders(c);
  headers.append("Set-Cookie", written.setCookie);
  headers.set("Cache-Control", written.cacheControl);
  headers.append("Vary", written.vary);
}

/** The request's context for core: asked for only when the session writes. */
function requestContext(c: Context, trustProxy: number): RequestContext {
  const context = contextFromRequest(c.req.raw, { trustProxy });
  context.ip ??= socketAddress(c.env);
  return context;
}

/**
 * The `Cookie` header. On `@hono/node-server` it is read from Node's own request, which saves
 * building the Fetch `Headers` of a request that never needs them; Node joins repeated Cookie
 * lines with "; " as it does for Express, Koa and Fastify.
 */
function cookieHeaderOf(c: Context): string | null | undefined {
  const incoming = nodeRequestOf(c.env);
  return incoming === undefined ? c.req.raw.headers.get("cookie") : incoming.headers.cookie;
}

/**
 * The request's session, typed by the manager's data: the typed way to reach what
 * `sessionMiddleware(manager)` put in `c.get("session")`, also on an app not typed with
 * {@link SessionEnv}. Throws, saying what to add, if that middleware did not run for this
 * request (where `c.get("session")` would be `undefined`).
 *
 * @example
 * ```ts
 * app.post("/theme", (c) => {
 *   getSession(c, manager).set("theme", "dark"); // RequestSession<{ theme?: string }>
 *   return c.body(null, 204);
 * });
 * ```
 */
export function getSession<Data extends JsonData<Data>>(
  c: Context,
  manager: SessionManager<Data>,
): RequestSession<Data> {
  const session = attachedSession(c, manager);
  if (session === undefined) {
    throw new Error(
      "getSession: this request has no session from this manager; add app.use(sessionMiddleware(manager)) before the route.",
    );
  }
  return session as unknown as RequestSession<Data>;
}

/**
 * An `app.onError` handler that answers 503 `{"error":"session_store_unavailable"}` for a
 * session store failure (also one a session method threw inside a route), the `status` of any
 * other sesame error that has one with `{"error": code}` (413 `session_too_large`, 401
 * `no_session` and `reauth_required`, 409 `session_limit`, 400 `session_data_invalid`), as
 * Express and Koa answer them, an `HTTPException`'s own response, and 500 for anything else,
 * like Hono's default.
 *
 * @example
 * ```ts
 * app.onError(sessionErrorHandler);
 * ```
 */
export const sessionErrorHandler: ErrorHandler = (error, c) => {
  if (isStoreError(error)) return c.json(STORE_UNAVAILABLE_BODY, 503);
  const answer = sesameAnswerOf(error);
  if (answer !== null) return c.json({ error: answer.code }, answer.status);
  if ("getResponse" in error) {
    const res = error.getResponse();
    return c.newResponse(res.body, res);
  }
  console.error(error);
  return c.text("Internal Server Error", 500);
};

/** The HTTP status a sesame error carries (`SessionTooLargeError`: 413…) and its code, if any. */
function sesameAnswerOf(error: unknown): { status: ContentfulStatusCode; code: string } | null {
  if (!isSesameError(error)) return null;
  const { status } = error as { status?: unknown };
  if (typeof status !== "number" || status < 400 || status > 599) return null;
  return { status: status as ContentfulStatusCode, code: error.code };
}

/** The client address @hono/node-server exposes as `c.env.incoming`, when it does. */
/** Node's request, where `@hono/node-server` passes it (`c.env.incoming`, beside `outgoing`). */
function nodeRequestOf(env: unknown): IncomingMessage | undefined {
  const { incoming, outgoing } = (env ?? {}) as { incoming?: unknown; outgoing?: unknown };
  if (typeof incoming !== "object" || incoming === null || typeof outgoing !== "object")
    return undefined;
  const { headers } = incoming as { headers?: unknown };
  return typeof headers === "object" && headers !== null
    ? (incoming as IncomingMessage)
    : undefined;
}

function socketAddress(env: unknown): string | undefined {
  return nodeRequestOf(env)?.socket?.remoteAddress;
}

/**
 * Replaces the finished response with a copy for this request alone and returns its headers.
 * The handler (or `onError`) may answer with a `Response` the app reuses, such as a cached one:
 * a cookie written onto it would go to the next visitor. Clearing `c.res` first keeps Hono's
 * setter from merging the old response's headers back into the copy.
 */
function ownResponseHeaders(c: Context): Headers {
  // A protocol upgrade (101) is made per connection, and `new Response()` refuses its status.
  if (c.res.status === 101) return c.res.headers;
  const res = copyResponse(c.res);
  c.res = undefined;
  c.res = res;
  return res.headers;
}

/**
 * A copy of `res` with headers of its own. @hono/node-server answers `c.json()` and friends with
 * a light `Response` that keeps its text or bytes as they are (under a symbol named `cache`);
 * reading `.body` there would turn them into a stream, which costs about a third of a login's
 * throughput, so such a body is handed to the copy as it is.
 */
function copyResponse(res: Response): Response {
  const body = plainBodyOf(res);
  if (body === undefined) return new Response(res.body, res);
  // Not `statusText`: reading it would build the full Response this path avoids.
  return new Response(body as BodyInit | null, {
    status: res.status,
    headers: new Headers(res.headers),
  });
}

/** The text or bytes a light `Response` of @hono/node-server keeps, if `res` is one. */
function plainBodyOf(res: Response): string | Uint8Array | null | undefined {
  for (const symbol of Object.getOwnPropertySymbols(res)) {
    if (symbol.description !== "cache") continue;
    const cache = (res as unknown as Record<symbol, unknown>)[symbol];
    if (!Array.isArray(cache) || cache.length !== 3) return undefined;
    const body: unknown = cache[1];
    if (body === null || typeof body === "string" || body instanceof Uint8Array) return body;
  }
  return undefined;
}
