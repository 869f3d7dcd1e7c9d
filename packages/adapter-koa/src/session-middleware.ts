import {
  createCookieAccessor,
  type RequestContext,
  type RequestSession,
  type SessionData,
  type SessionManager,
  SessionStoreError,
} from "@sesame/core";
import type { Context, DefaultState, Middleware } from "koa";

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

function requestContext(ctx: Context): RequestContext {
  return {
    secure: ctx.secure,
    host: ctx.host || undefined,
    userAgent: ctx.get("user-agent") || undefined,
    ip: ctx.ip || undefined,
  };
}

/** Marks a store error as Koa expects (`status` 503 is already set), then returns it. */
function unexposed(error: unknown): unknown {
  if (error instanceof SessionStoreError) Object.assign(error, { expose: false });
  return error;
}

/**
 * Koa 2 and 3 middleware: loads the request's session into `ctx.session` and commits it once
 * after the downstream middleware settles, before Koa writes the response (also when they
 * throw, unless a store error was thrown). `Secure` detection, host and client IP follow
 * `app.proxy`. A failing or hanging store throws its `SessionStoreError` (`status` 503,
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
export function sessionMiddleware<Data extends object>(
  manager: SessionManager<Data>,
): Middleware<DefaultState, SessionContext<Data>> {
  return async (ctx, next) => {
    const written: string[] = [];
    const cookies = createCookieAccessor(ctx.req.headers.cookie, (line) => {
      written.push(line);
      ctx.append("Set-Cookie", line);
    });
    const session = await manager.load(cookies, requestContext(ctx)).catch((error: unknown) => {
      throw unexposed(error);
    });
    ctx.session = session;
    const commit = async (): Promise<void> => {
      const { cookieWritten } = await session.commit().catch((error: unknown) => {
        throw unexposed(error);
      });
      if (!cookieWritten) return;
      ctx.set("Cache-Control", "no-store");
      ctx.vary("Cookie");
    };
    try {
      await next();
    } catch (error) {
      if (error instanceof SessionStoreError) throw unexposed(error);
      if (session.needsCommit) await commit();
      keepSessionHeaders(error, written);
      throw error;
    }
    if (session.needsCommit) await commit();
  };
}

/**
 * Koa's default error handler drops every header, then sets `err.headers`: carry the session's
 * `Set-Cookie` (and no-store) there, so a route that signs out and then throws still clears
 * the cookie.
 */
function keepSessionHeaders(error: unknown, written: readonly string[]): void {
  if (written.length === 0 || typeof error !== "object" || error === null) return;
  if (!Object.isExtensible(error)) return;
  const carrier = error as { headers?: Record<string, string | string[]> };
  const headers = carrier.headers ?? {};
  const cookies = headers["Set-Cookie"] ?? [];
  carrier.headers = {
    ...headers,
    "Set-Cookie": [...(Array.isArray(cookies) ? cookies : [cookies]), ...written],
    "Cache-Control": "no-store",
    Vary: "Cookie",
  };
}
