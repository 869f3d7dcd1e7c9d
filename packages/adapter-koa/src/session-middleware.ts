import { format } from "node:util";
import {
  attachedSession,
  attachSession,
  isSessionStoreError,
  type JsonData,
  type RequestSession,
  type SessionData,
  type SessionHeaders,
  type SessionManager,
  withVary,
} from "@sesame/core";
import type { Context, DefaultState, Middleware, Next } from "koa";
import { requestContext } from "./request-context.js";

/**
 * The context properties `sessionMiddleware` adds, for `new Koa<DefaultState, SessionContext<Data>>()`
 * (or use the app that `app.use(sessionMiddleware(manager))` returns).
 *
 * @example
 * ```ts
 * const app = new Koa<DefaultState, SessionContext<{ theme?: string }>>();
 * app.use(sessionMiddleware(manager));
 * app.use((ctx) => { ctx.body = { theme: ctx.session.get("theme") }; });
 * ```
 */
export interface SessionContext<Data extends object = SessionData> {
  /** The request's session. */
  session: RequestSession<Data>;
}

/** Marks a store error as Koa expects (`status` 503 is already set), then returns it. */
function unexposed(error: unknown): unknown {
  if (isSessionStoreError(error)) Object.assign(error, { expose: false });
  return error;
}

/**
 * Koa 2 and 3 middleware: loads the request's session into `ctx.session` and commits it once
 * after the downstream middleware settles, before Koa writes the response (also when they
 * throw, unless a store error was thrown). `Secure` detection, host and client IP follow
 * `app.proxy`, from the `X-Forwarded-*` entries the trusted proxy wrote (the rightmost, or the
 * `app.maxIpsCount`-th from the right). A failing or hanging store throws its `SessionStoreError` (`status` 503,
 * `expose` false), so Koa's error handling answers 503.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ theme?: string }>({ store: new MemoryStore() });
 * const app = new Koa().use(sessionMiddleware(manager));
 * app.use(async (ctx) => {
 *   if (ctx.path === "/login") await ctx.session.create("user-42");
 *   ctx.body = { userId: ctx.session.userId, theme: ctx.session.get("theme") };
 * });
 * ```
 */
export function sessionMiddleware<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
): Middleware<DefaultState, SessionContext<Data>> {
  return (ctx, next) => {
    const loaded = manager.load(ctx.req.headers.cookie, () => requestContext(ctx));
    if (!(loaded instanceof Promise)) return run(ctx, next, manager, loaded);
    return loaded.then(
      (session) => run(ctx, next, manager, session),
      (error: unknown) => {
        throw unexposed(error);
      },
    );
  };
}

/** Runs the downstream middleware with the session on `ctx`, then commits it. */
async function run<Data extends JsonData<Data>>(
  ctx: Context,
  next: Next,
  manager: SessionManager<Data>,
  session: RequestSession<Data>,
): Promise<void> {
  ctx.session = session;
  attachSession(ctx, manager, session);
  try {
    await next();
  } catch (error) {
    if (isSessionStoreError(error)) {
      session.close();
      throw unexposed(error);
    }
    await finish(ctx, session);
    throw error;
  }
  await finish(ctx, session);
}

/** Commits when there is something to commit; otherwise later changes throw, not vanish. */
async function finish(ctx: Context, session: RequestSession<object>): Promise<void> {
  if (session.needsCommit) await commit(ctx, session);
  else session.close();
}

/**
 * Commits, writes the session's headers, and has Koa's error handler send them too should the
 * response still fail: the one place this adapter writes.
 */
async function commit(ctx: Context, session: RequestSession<object>): Promise<void> {
  const written = await session.commit().catch((error: unknown) => {
    throw unexposed(error);
  });
  if (written === null) return;
  ctx.append("Set-Cookie", written.setCookie);
  ctx.set("Cache-Control", written.cacheControl);
  ctx.vary(written.vary);
  const { onerror } = ctx;
  ctx.onerror = (error) => onerror.call(ctx, withSessionHeaders(error, written) as Error);
}

/**
 * The request's session, typed by the manager's data: the typed way to reach what
 * `sessionMiddleware(manager)` put in `ctx.session`, on an app not typed with
 * {@link SessionContext}. Throws, saying what to add, if that middleware did not run for this
 * request (where `ctx.session` would be `undefined`).
 *
 * @example
 * ```ts
 * router.post("/theme", (ctx) => {
 *   getSession(ctx, manager).set("theme", "dark"); // RequestSession<{ theme?: string }>
 *   ctx.status = 204;
 * });
 * ```
 */
export function getSession<Data extends JsonData<Data>>(
  ctx: Context,
  manager: SessionManager<Data>,
): RequestSession<Data> {
  const session = attachedSession(ctx, manager);
  if (session === undefined) {
    throw new Error(
      "getSession: this request has no session from this manager; add app.use(sessionMiddleware(manager)) before the route.",
    );
  }
  return session as unknown as RequestSession<Data>;
}

/**
 * Koa's error handler drops every header, then sends `err.headers`: hand it an error that carries
 * the session's headers too, so a route that signs out and then throws still clears the cookie.
 * That error is this request's own, inheriting everything else from the thrown one: the app may
 * throw one error on every request (a module-level `NOT_FOUND`), and a cookie written onto it
 * would go to the next visitor. Upstream middleware still catches the app's error as it is.
 */
function withSessionHeaders(error: unknown, written: SessionHeaders): unknown {
  // Koa also calls `onerror` with null; anything else not an error it turns into one, as here.
  if (error === null || error === undefined) return error;
  const thrown = isNativeError(error) ? error : new Error(format("non-error thrown: %j", error));
  const { headers = {} } = thrown as { headers?: Record<string, unknown> };
  // Koa sets the headers one name at a time, so names that differ only in case are merged here.
  const ownHeaders: Record<string, unknown> = {};
  const cookies: string[] = [];
  let vary: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === "set-cookie") cookies.push(...(Array.isArray(value) ? value : [String(value)]));
    else if (lower === "vary") vary = Array.isArray(value) ? value.join(", ") : String(value);
    else if (lower !== "cache-control") ownHeaders[name] = value;
  }
  ownHeaders["Set-Cookie"] = [...cookies, written.setCookie];
  ownHeaders["Cache-Control"] = written.cacheControl;
  ownHeaders.Vary = withVary(vary, written.vary);
  return Object.create(thrown, {
    headers: { value: ownHeaders, enumerable: true, writable: true, configurable: true },
  }) as Error;
}

/** Whether Koa takes `value` for an error as it is (its own test, across realms too). */
function isNativeError(value: unknown): value is Error {
  return Object.prototype.toString.call(value) === "[object Error]" || value instanceof Error;
}
