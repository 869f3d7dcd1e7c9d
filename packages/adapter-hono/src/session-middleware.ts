import type { IncomingMessage } from "node:http";
import {
  attachedSession,
  attachSession,
  contextFromHeaders,
  contextFromRequest,
  isSesameError,
  isSessionStoreError,
  type JsonData,
  type RequestContext,
  type RequestSession,
  resolveTrustedHops,
  type SessionData,
  type SessionHeaders,
  type SessionManager,
  type TrustProxy,
  withVary,
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
  if ((c.error !== undefined && isStoreError(c.error)) || !session.needsCommit) {
    // Later changes (a stream still being written) throw instead of being lost.
    session.close();
    return;
  }
  let written: SessionHeaders | null;
  try {
    written = await session.commit();
  } catch (error) {
    discardResponse(c);
    rethrow(error);
  }
  if (written === null) return;
  // A protocol upgrade (101) is made per connection, and `new Response()` refuses its status.
  if (c.res.status === 101) return appendSessionHeaders(c.res.headers, written);
  // Clearing `c.res` first keeps Hono's setter from merging the old headers back in.
  const res = responseWithSessionHeaders(c.res, written);
  c.res = undefined;
  c.res = res;
}

/**
 * Drops the route's response for the error's: its body is cancelled, so a streaming route stops
 * writing instead of waiting on a reader that never comes, and clearing `c.res` keeps Hono from
 * merging its headers (a `Cache-Control: public`, the app's cookies) into the error answer.
 */
function discardResponse(c: Context): void {
  c.res.body?.cancel().catch(() => undefined);
  c.res = undefined;
}

/** The request's context for core: asked for only when the session writes. */
function requestContext(c: Context, trustProxy: number): RequestContext {
  const incoming = untouchedIncomingOf(c);
  const context =
    incoming === undefined
      ? contextFromRequest(c.req.raw, { trustProxy })
      : contextFromHeaders((name) => headerText(incoming.headers[name]), c.req.url, {
          trustProxy,
        });
  context.ip ??= nodeRequestOf(c.env)?.socket?.remoteAddress;
  return context;
}

/** One header's text from Node's headers (only `set-cookie` is an array there). */
function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : value?.join(", ");
}

/**
 * The `Cookie` header. On `@hono/node-server` it is read from Node's own request, which saves
 * building the Fetch `Headers` of a request that never needs them; Node joins repeated Cookie
 * lines with "; " as it does for Express, Koa and Fastify.
 */
function cookieHeaderOf(c: Context): string | null | undefined {
  const incoming = untouchedIncomingOf(c);
  return incoming === undefined ? c.req.raw.headers.get("cookie") : incoming.headers.cookie;
}

/**
 * Node's request, when its headers are still those of the request being handled: `c.req.raw` is
 * @hono/node-server's own light request over it (under its symbol named `incomingKey`), and its
 * Fetch headers were never built (after which the app may have changed them). A request the app
 * made itself, or passed on with `c.env`, is read through its Fetch headers.
 */
function untouchedIncomingOf(c: Context): IncomingMessage | undefined {
  const incoming = nodeRequestOf(c.env);
  if (incoming === undefined) return undefined;
  const raw = c.req.raw as unknown as Record<symbol, unknown>;
  let own = false;
  for (const symbol of Object.getOwnPropertySymbols(raw)) {
    const name = symbol.description;
    if (name === "headersKey" || name === "requestCache") return undefined;
    if (name === "incomingKey") own = raw[symbol] === incoming;
  }
  return own ? incoming : undefined;
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
  // A response of its own: none of the route's headers (its caching, its cookies) goes with it.
  if (isStoreError(error)) return Response.json(STORE_UNAVAILABLE_BODY, { status: 503 });
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

/**
 * Node's request, where `@hono/node-server` passes it (`c.env.incoming`, beside `outgoing`): the
 * socket's address. Its headers are read only through {@link untouchedIncomingOf}.
 */
function nodeRequestOf(env: unknown): IncomingMessage | undefined {
  const { incoming, outgoing } = (env ?? {}) as { incoming?: unknown; outgoing?: unknown };
  if (typeof incoming !== "object" || incoming === null || typeof outgoing !== "object")
    return undefined;
  const { headers } = incoming as { headers?: unknown };
  return typeof headers === "object" && headers !== null
    ? (incoming as IncomingMessage)
    : undefined;
}

/** Writes the commit's headers into `headers`. */
function appendSessionHeaders(headers: Headers, written: SessionHeaders): void {
  headers.append("Set-Cookie", written.setCookie);
  headers.set("Cache-Control", written.cacheControl);
  headers.set("Vary", withVary(headers.get("Vary"), written.vary));
}

/**
 * A copy of the finished response, for this request alone, carrying the session's headers. The
 * handler (or `onError`) may answer with a `Response` the app reuses, such as a cached one: a
 * cookie written onto it would go to the next visitor.
 *
 * @hono/node-server answers `c.json()` and friends with a light `Response` that keeps its status,
 * text or bytes, and headers as they are (under a symbol named `cache`). Its copy is made of
 * those parts: no Fetch `Headers`, and a body that stays text rather than becoming a stream
 * (which costs about a third of a login's throughput).
 */
function responseWithSessionHeaders(res: Response, written: SessionHeaders): Response {
  const light = lightPartsOf(res);
  const headers = light === undefined ? undefined : headerRecordWith(light.headers, written);
  if (light !== undefined && headers !== undefined) {
    return new Response(light.body as BodyInit | null, { status: light.status, headers });
  }
  // Not `statusText`: reading it would build the full Response a light one avoids.
  const copy =
    light === undefined
      ? new Response(res.body, res)
      : new Response(light.body as BodyInit | null, {
          status: res.status,
          headers: new Headers(res.headers),
        });
  appendSessionHeaders(copy.headers, written);
  return copy;
}

type HeaderRecord = Record<string, string>;

/**
 * A new header record: a light response's headers (a plain record of strings, or none for its
 * default type) with the session's added, or `undefined` when they are anything else. A
 * `Set-Cookie` of the app's own needs the Fetch `Headers` too: a record keeps one value a name,
 * and turning an array into `Headers` later would join the lines with commas.
 */
function headerRecordWith(headers: unknown, written: SessionHeaders): HeaderRecord | undefined {
  const own = headers ?? { "content-type": LIGHT_DEFAULT_TYPE };
  if (typeof own !== "object" || Object.getPrototypeOf(own) !== Object.prototype) return undefined;
  const record: HeaderRecord = {};
  let vary: string = written.vary;
  for (const key of Object.keys(own)) {
    const value = (own as Record<string, unknown>)[key];
    if (typeof value !== "string") return undefined;
    const name = key.toLowerCase();
    if (name === "set-cookie") return undefined;
    if (name === "vary") vary = withVary(value, written.vary);
    else if (name !== "cache-control") record[key] = value;
  }
  record["set-cookie"] = written.setCookie;
  record["cache-control"] = written.cacheControl;
  record.vary = vary;
  return record;
}

/** The content type a light `Response` without headers is sent with. */
const LIGHT_DEFAULT_TYPE = "text/plain; charset=UTF-8";

/** The symbol (named `cache`) a light `Response` keeps its parts under, once one was seen. */
let lightPartsKey: symbol | undefined;

/** The parts a light `Response` of @hono/node-server keeps, if `res` is one with a plain body. */
function lightPartsOf(
  res: Response,
): { status: number; body: string | Uint8Array | null; headers: unknown } | undefined {
  const carrier = res as unknown as Record<symbol, unknown>;
  let cache = lightPartsKey === undefined ? undefined : carrier[lightPartsKey];
  if (cache === undefined) {
    const key = Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === "cache");
    if (key === undefined) return undefined;
    lightPartsKey = key;
    cache = carrier[key];
  }
  if (!Array.isArray(cache) || cache.length !== 3) return undefined;
  const [status, body, headers] = cache as [unknown, unknown, unknown];
  if (typeof status !== "number") return undefined;
  if (body === null || typeof body === "string" || body instanceof Uint8Array)
    return { status, body, headers };
  return undefined;
}
