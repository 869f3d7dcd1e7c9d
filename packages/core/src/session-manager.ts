import { type Awaitable, isPromiseLike } from "./awaitable.js";
import { getCookieValues } from "./cookie/parse.js";
import { isSessionStoreError } from "./errors.js";
import type { JsonData } from "./json.js";
import { MemoryStore } from "./memory-store.js";
import { type ResolvedOptions, resolveOptions, type SessionManagerOptions } from "./options.js";
import type { RequestContext } from "./request-context.js";
import { RequestSession } from "./request-session.js";
import { type LoadedSession, type SessionData, SessionEngine } from "./session-engine.js";
import { resolveSession } from "./session-resolver.js";
import {
  countSessions,
  listUserSessions,
  revokeUserSession,
  revokeUserSessions,
  type SessionSummary,
} from "./user-sessions.js";

/**
 * Owns every session rule: tokens, cookies, expiry, rotation, saving, per-user revocation.
 * Build one per application; adapters call {@link SessionManager.load} once per request.
 * `Data` types the session data; it is stored as JSON, so it may only hold JSON values
 * (see {@link JsonData}). `Flash` types the values `session.flash()` leaves for a later request.
 *
 * @example
 * ```ts
 * import { MemoryStore, SessionManager } from "@sesame/core";
 *
 * interface Data { theme?: "light" | "dark" }
 * const sessions = new SessionManager<Data>({ store: new MemoryStore(), idleTimeoutSeconds: 1800 });
 *
 * // in a fetch handler:
 * const session = await sessions.load(request.headers.get("cookie"), contextFromRequest(request));
 * if (session.userId === null) return new Response("Sign in first", { status: 401 });
 * ```
 */
export class SessionManager<
  Data extends JsonData<Data> = SessionData,
  Flash extends JsonData<Flash> = SessionData,
> {
  readonly #engine: SessionEngine<Data>;

  /** Throws `SessionConfigError`, saying how to fix it, for any option that cannot work. */
  constructor(options: SessionManagerOptions<Data> = {}) {
    this.#engine = new SessionEngine(
      resolveOptions(options, () => new MemoryStore({ now: options.now })),
    );
  }

  /** The options in force, with every default applied. */
  get options(): Readonly<ResolvedOptions<Data>> {
    return this.#engine.options;
  }

  /** The session cookie's name. */
  get cookieName(): string {
    return this.#engine.options.cookie.name;
  }

  /**
   * Loads the request's session from its `Cookie` header (the field's value, or its lines).
   * Unknown, expired, malformed, tampered or ambiguous (duplicated with different values)
   * cookies give a request without a session, never an error; values that cannot be tokens
   * never reach the store, and a request without the cookie does no work at all. A failing or
   * slow store rejects with `SessionStoreError` (or, with `onStoreError: "anonymous"`, gives a
   * request without a session that refuses to write).
   *
   * The session comes at once, not as a promise, when nothing had to wait: no cookie, or a
   * synchronous store (`MemoryStore`, `SqliteStore`) on `node:crypto`, without a `schema` (its
   * validation may be asynchronous) and not through a renewed token's grace window. `await`
   * takes either; `.then()` needs `Promise.resolve(manager.load(…))`.
   * `context` may be a function: it is then called only if the session writes a cookie or
   * creates a session, so a read pays nothing for the request's host, scheme or client IP.
   *
   * @example
   * ```ts
   * const session = await manager.load(req.headers.cookie, () => ({ secure: true, host: req.headers.host }));
   * ```
   */
  load(
    cookieHeader: string | readonly string[] | null | undefined,
    context: RequestContext | (() => RequestContext),
  ): RequestSession<Data, Flash> | Promise<RequestSession<Data, Flash>> {
    const engine = this.#engine;
    if (!cookieHeader) return new RequestSession(engine, context, null);
    const values = getCookieValues(cookieHeader, engine.options.cookie.name);
    if (values.length === 0) return new RequestSession(engine, context, null);
    if (values.length > 1 && values.some((value) => value !== values[0])) {
      engine.reject("duplicate_cookie");
      return new RequestSession(engine, context, null, null, true);
    }
    let loaded: Awaitable<LoadedSession | null>;
    try {
      loaded = resolveSession(engine, values[0]!);
    } catch (error) {
      loaded = Promise.reject(error);
    }
    if (!isPromiseLike(loaded)) return new RequestSession(engine, context, loaded, null, true);
    return Promise.resolve(loaded).then(
      (session) => new RequestSession<Data, Flash>(engine, context, session, null, true),
      (error: unknown) => {
        if (!isSessionStoreError(error)) throw error;
        engine.reportStoreError(error);
        if (engine.options.onStoreError === "fail") throw error;
        return new RequestSession<Data, Flash>(engine, context, null, error);
      },
    );
  }

  /** A user's live sessions, newest first. */
  listUserSessions(userId: string): Promise<SessionSummary[]> {
    return listUserSessions(this.#engine, userId, null);
  }

  /**
   * Counts live sessions: every session in the store, or only those of `userId` (renewed tokens'
   * forwarders are never counted). Every store shipped with sesame counts both; with a custom
   * store that has no `countSessions`, a user's sessions are counted through `listByUser`, and the
   * total rejects with `SessionConfigError`. A total may scan the whole store (see the store's
   * README): call it from a metrics job, not on every request.
   *
   * @example
   * ```ts
   * const live = await manager.countSessions(); // for a gauge, once a minute
   * const devices = await manager.countSessions("user-42");
   * ```
   */
  countSessions(userId?: string): Promise<number> {
    return countSessions(this.#engine, userId);
  }

  /** Revokes one of a user's sessions by its handle; resolves `false` if it is not theirs. */
  revokeSession(userId: string, handle: string): Promise<boolean> {
    return revokeUserSession(this.#engine, userId, handle);
  }

  /**
   * Revokes every session of a user (after a password change, account disable, admin action),
   * effective at once on every instance sharing the store. Resolves how many were live.
   */
  invalidateUserSessions(userId: string): Promise<number> {
    return revokeUserSessions(this.#engine, userId);
  }
}

/**
 * Where an adapter keeps a request's session for its `getSession(request, manager)`: a property
 * under a private symbol on the framework's own request object. A `WeakMap` keyed by requests
 * would do the same, but every short-lived key costs the garbage collector an ephemeron to
 * trace; on a small route that was most of the session's cost.
 */
const ATTACHED = Symbol("sesame.attachedSession");

interface Attached {
  manager: object;
  session: object;
}

type Carrier = { [ATTACHED]?: Attached };

/**
 * Records that `session` (a `RequestSession`), loaded by `manager` (a `SessionManager`), belongs
 * to `request` (the framework's request or
 * context object). For adapters.
 *
 * @example
 * ```ts
 * attachSession(ctx, manager, session);
 * ```
 */
export function attachSession(request: object, manager: object, session: object): void {
  // A plain assignment: `Object.defineProperty` (to hide it from `{ ...request }`, which would
  // copy this request's own session along) costs ten times as much on every request.
  (request as Carrier)[ATTACHED] = { manager, session };
}

/**
 * The session that `manager` attached to `request`, or `undefined` when no session of that
 * manager was attached (its middleware did not run, or another manager's did). For adapters'
 * `getSession`.
 *
 * @example
 * ```ts
 * const session = attachedSession(ctx, manager);
 * if (session === undefined) throw new Error("add the session middleware first");
 * ```
 */
export function attachedSession(request: object, manager: object): RequestSession | undefined {
  const attached = (request as Carrier)[ATTACHED];
  if (attached === undefined || attached.manager !== manager) return undefined;
  return attached.session as RequestSession;
}
