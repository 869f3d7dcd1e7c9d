import {
  attachedSession,
  attachSession,
  type JsonData,
  type RequestSession,
  type SessionHeaders,
  type SessionManager,
} from "@sesame/core";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { commitBeforeHeaders } from "./commit-before-headers.js";
import { requestContext } from "./request-context.js";

/**
 * Express 4 and 5 middleware: loads the request's session into `req.session` and commits it
 * once, just before the response headers go out, however the route answers (`res.json`,
 * `res.send`, `res.redirect`, `res.end`, a streamed body, or an error handler's response).
 *
 * `Secure` detection and the client IP follow Express's `trust proxy` setting. A failing,
 * hanging or misconfigured store (`SessionStoreError`, `status` 503, `code` `store_unavailable`,
 * `store_timeout` or `store_misconfigured`) goes to `next(err)`, on load and on commit.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ theme?: string }>({ store: new MemoryStore() });
 * app.use(sessionMiddleware(manager));
 * app.get("/me", (req, res) => {
 *   const session = getSession(req, manager);
 *   res.json({ userId: session.userId, theme: session.get("theme") });
 * });
 * ```
 */
export function sessionMiddleware<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
): RequestHandler {
  return (req, res, next) => {
    const context = () => requestContext(req);
    const loaded = manager.load(req.headers.cookie, context);
    if (!(loaded instanceof Promise)) return attach(req, res, next, manager, loaded);
    loaded.then((session) => attach(req, res, next, manager, session)).catch(next);
  };
}

/** Where the sessions are kept for {@link getSession} besides `req.session`. */
const KEPT = Symbol("sesame.express.sessions");
/** On a session put in `req.session`: what `req.session` held before (another manager's session). */
const BEFORE = Symbol("sesame.express.before");

/**
 * A session kept for {@link getSession}, with the request it belongs to: an app may give several
 * requests one shared `res.locals` object, and a request must never find another's session.
 */
interface KeptSession {
  req: Request;
  manager: object;
  session: RequestSession;
  /** Another manager's session for the same request. */
  next: KeptSession | undefined;
}

type Carrier = { [KEPT]?: KeptSession };

/**
 * Where the session is kept besides `req.session`: Express's per-request `res.locals` (under a
 * symbol, which templates never list), else `req`. Express gives `req` and `res` new prototypes,
 * after which every property added to them builds a new hidden class (microseconds each);
 * `res.locals` is a plain dictionary that takes a key for a few nanoseconds.
 */
function carrierOf(req: Request, res: Response | undefined): Carrier {
  const locals: unknown = res?.locals;
  const usable =
    req.res === res && typeof locals === "object" && locals !== null && Object.isExtensible(locals);
  return (usable ? locals : req) as Carrier;
}

/** Keeps `session` of `manager` for `req`, beside any other manager's session of this request. */
function keep(req: Request, res: Response, manager: object, session: RequestSession): void {
  const carrier = carrierOf(req, res);
  const previous = carrier[KEPT];
  carrier[KEPT] = { req, manager, session, next: previous?.req === req ? previous : undefined };
}

/**
 * The session `manager` loaded for this request: `req.session` or a session it replaced (each
 * carries its own attachment), or, if the app replaced `req.session`, the one kept for this very
 * request, wherever it was kept (the carrier may have been frozen since).
 */
function sessionOf(req: Request, manager: object): RequestSession | undefined {
  // req.session, then the sessions it replaced on this very request (another manager's).
  let session = (req as { session?: unknown }).session;
  for (let hops = 0; typeof session === "object" && session !== null && hops < 64; hops++) {
    const attached = attachedSession(session, manager);
    if (attached !== undefined) return attached;
    session = (session as { [BEFORE]?: unknown })[BEFORE];
  }
  // Reading needs no extensible carrier: look wherever keep() may have written.
  const locals: unknown = req.res?.locals;
  const carriers: Carrier[] = [req as Carrier];
  if (typeof locals === "object" && locals !== null) carriers.unshift(locals as Carrier);
  for (const carrier of carriers) {
    for (let kept = carrier[KEPT]; kept !== undefined; kept = kept.next) {
      if (kept.req === req && kept.manager === manager) return kept.session;
    }
  }
  return undefined;
}

/** Puts the session on the request, and holds the response back once it has a commit to make. */
function attach<Data extends JsonData<Data>>(
  req: Request,
  res: Response,
  next: NextFunction,
  manager: SessionManager<Data>,
  session: RequestSession<Data>,
): void {
  keep(req, res, manager, session as RequestSession);
  attachSession(session, manager, session);
  const before = (req as { session?: unknown }).session;
  if (typeof before === "object" && before !== null && before !== session) {
    (session as unknown as { [BEFORE]?: unknown })[BEFORE] = before;
  }
  (req as { session?: unknown }).session = session;
  // A change the response must carry throws once its head is out, instead of being lost.
  session.closeOnceResponded(() => res.headersSent);
  // The response is held back only once there is something to commit.
  session.onCommitNeeded(() => {
    // A destroy or revocation after the head went out still runs; nothing more can be sent.
    if (res.headersSent) return session.close();
    const commit = async (): Promise<void> => {
      // An error answer to a session call that failed on the store commits nothing, as the
      // other adapters do when the store error reaches the framework (Express cannot tell).
      if (session.storeFailure !== null && res.statusCode >= 500) return session.close();
      writeSessionHeaders(res, await session.commit(), manager.cookieName);
    };
    const close = (): void => session.close();
    commitBeforeHeaders(res, () => session.needsCommit, commit, next, close);
  });
  next();
}

/**
 * Writes what the commit says the response carries for the session: the one place that does.
 * Its `Set-Cookie` line replaces one for the same cookie already on the response (a migrated
 * session's, when the route then signed in anew), so the browser gets one answer.
 */
function writeSessionHeaders(
  res: Response,
  headers: SessionHeaders | null,
  cookieName: string,
): void {
  if (headers === null) return;
  const own = res.getHeader("Set-Cookie");
  if (own === undefined) {
    res.setHeader("Set-Cookie", headers.setCookie);
  } else {
    const prefix = `${cookieName}=`;
    const lines = (Array.isArray(own) ? own : [String(own)]).filter(
      (line) => !line.startsWith(prefix),
    );
    res.setHeader("Set-Cookie", [...lines, headers.setCookie]);
  }
  res.set("Cache-Control", headers.cacheControl);
  res.vary(headers.vary);
}

/**
 * The request's session, typed by the manager's data: the typed way to reach what
 * `sessionMiddleware(manager)` put in `req.session`. Throws if that middleware did not run
 * for this request.
 *
 * @example
 * ```ts
 * app.post("/theme", express.json(), (req, res) => {
 *   const session = getSession(req, manager); // RequestSession<{ theme?: string }>
 *   session.set("theme", req.body.theme);
 *   res.sendStatus(204);
 * });
 * ```
 */
export function getSession<Data extends JsonData<Data>>(
  req: Request,
  manager: SessionManager<Data>,
): RequestSession<Data> {
  const session = sessionOf(req, manager);
  if (session === undefined) {
    throw new Error(
      "getSession: this request has no session from this manager; add app.use(sessionMiddleware(manager)) before the route.",
    );
  }
  return session as unknown as RequestSession<Data>;
}
