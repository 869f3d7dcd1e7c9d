import {
  getCookieValues,
  type JsonData,
  SessionConfigError,
  type SessionHeaders,
  type SessionManager,
  SessionStoreError,
} from "@sesame/core";
import type { Request, RequestHandler, Response } from "express";
import {
  clearExpressSessionCookie,
  type ExpressSessionCookieData,
  readExpressSessionCookie,
  unsignExpressSessionCookie,
} from "./express-session-cookie.js";
import { requestContext } from "./request-context.js";

/** A record as express-session keeps it: its `cookie`, and whatever the app put in `req.session`. */
export interface ExpressSessionRecord {
  cookie?: ExpressSessionCookieData & { originalMaxAge?: number | null };
  [key: string]: unknown;
}

/** The two methods of the connect session store API the migration calls (callback style). */
export interface ExpressSessionStore {
  get(sid: string, callback: (error: unknown, session?: ExpressSessionRecord | null) => void): void;
  destroy(sid: string, callback: (error?: unknown) => void): void;
}

/**
 * What an old session becomes: its user, the data to keep (checked as any session data is, when
 * the session is created), and whether the cookie persists.
 */
export interface MigratedSession {
  userId: string;
  data?: Readonly<Record<string, unknown>>;
  /** Default: whether the old cookie had a `maxAge` (a "remember me" cookie). */
  persistent?: boolean;
}

/** Options of {@link migrateFromExpressSession}. */
export interface MigrateFromExpressSessionOptions {
  /** The store express-session used (`MemoryStore`, connect-redis, …). */
  store: ExpressSessionStore;
  /** express-session's `secret`: one, or the list (any of them verifies). */
  secret: string | readonly string[];
  /** express-session's `name`. */
  name?: string;
  /** The sesame session an old one becomes, or `null` to leave it (an anonymous one, say). */
  map(oldSession: ExpressSessionRecord): MigratedSession | null | Promise<MigratedSession | null>;
  /**
   * How long `map` may take before the request fails with a `SessionStoreError`
   * (`store_timeout`), so a `map` that never answers cannot hold the request, or the requests
   * that share its migration. Default: the manager's `storeTimeoutMs`.
   */
  mapTimeoutMs?: number;
}

/**
 * Every default of {@link migrateFromExpressSession}'s options.
 *
 * @example
 * ```ts
 * EXPRESS_SESSION_MIGRATION_DEFAULTS.name; // "connect.sid", express-session's
 * ```
 */
export const EXPRESS_SESSION_MIGRATION_DEFAULTS = { name: "connect.sid" } as const;

/** A finished migration: what every request that carried the old cookie sends and reads. */
interface Migration {
  session: SessionHeaders;
  /** The new session cookie's value, for this request's `Cookie` header. */
  token: string;
  clearOldCookie: string;
}

/** Runs one connect store call; a callback error, a throw or no answer in time is a `SessionStoreError`. */
function callOldStore<T>(
  timeoutMs: number,
  run: (done: (error?: unknown, value?: T | null) => void) => unknown,
): Promise<T | null | undefined> {
  return new Promise((resolve, reject) => {
    const fail = (code: "store_unavailable" | "store_timeout", cause?: unknown): void => {
      clearTimeout(timer);
      const message = "The express-session store failed while migrating a session.";
      reject(new SessionStoreError(code, message, { cause }));
    };
    const timer = setTimeout(() => fail("store_timeout"), timeoutMs);
    try {
      const returned = run((error, value) => {
        if (error) return fail("store_unavailable", error);
        clearTimeout(timer);
        resolve(value);
      });
      if (returned instanceof Promise) returned.catch((error) => fail("store_unavailable", error));
    } catch (error) {
      fail("store_unavailable", error);
    }
  });
}

/**
 * What `map` makes of the old session; a throw or a rejection is passed on as it is, and no
 * answer within `timeoutMs` is a `SessionStoreError` (`store_timeout`).
 */
function mapWithin(
  timeoutMs: number,
  map: MigrateFromExpressSessionOptions["map"],
  old: ExpressSessionRecord,
): Promise<MigratedSession | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const message = `map() gave no answer within ${timeoutMs} ms while migrating a session.`;
      reject(new SessionStoreError("store_timeout", message));
    }, timeoutMs);
    const settle = (): void => clearTimeout(timer);
    Promise.resolve()
      .then(() => map(old))
      .then(resolve, reject)
      .finally(settle);
  });
}

/** Whether the request carries a live sesame session (then it wins over the old cookie). */
async function hasSesameSession<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
  req: Request,
): Promise<boolean> {
  if (getCookieValues(req.headers.cookie, manager.cookieName).length === 0) return false;
  return (await manager.load(req.headers.cookie, requestContext(req))).exists;
}

/** The `Cookie` header without the pairs named in `drop`, plus `pair`. */
function replaceCookies(header: string | undefined, drop: readonly string[], pair: string): string {
  const kept = (header ?? "").split(";").filter((part) => {
    const equals = part.indexOf("=");
    const name = (equals === -1 ? part : part.slice(0, equals)).trim();
    return name !== "" && !drop.includes(name);
  });
  return [...kept.map((part) => part.trim()), pair].join("; ");
}

/** Signs this request in with the migrated session, as if it had carried its cookie. */
function signIn(req: Request, res: Response, names: [string, string], done: Migration): void {
  req.headers.cookie = replaceCookies(req.headers.cookie, names, `${names[0]}=${done.token}`);
  res.append("Set-Cookie", [done.session.setCookie, done.clearOldCookie]);
  res.set("Cache-Control", done.session.cacheControl);
  res.vary(done.session.vary);
}

/**
 * Moves users of express-session to sesame on their next request, signed in. Mount it before
 * `sessionMiddleware(manager)`. A request that carries a validly signed express-session cookie
 * and no live sesame session gets its old record from the old `store`, turned by `map` into a
 * brand-new sesame session (a new token: the old id is never reused); the old record is
 * destroyed, the old cookie cleared with its old attributes, the manager's `onEvent` gets a
 * `migrated` event, and the request goes on signed in. Requests with the same old cookie while
 * that runs, or within the manager's `renewalGraceSeconds` after, share the one new session and
 * its cookie (as a renewed token keeps working that long); later the old cookie gives nothing. Tampered, unsigned or unknown old cookies are
 * ignored, with no store call for a bad signature; a request with a sesame session keeps it and
 * the old cookie is left alone. Old store failures go to `next(err)` as `SessionStoreError`.
 *
 * @example
 * ```ts
 * app.use(migrateFromExpressSession(manager, {
 *   store: new RedisStore({ client }), // what express-session used
 *   secret: process.env.SESSION_SECRET!,
 *   map: (old) => (typeof old.userId === "string" ? { userId: old.userId } : null),
 * }));
 * app.use(sessionMiddleware(manager));
 * ```
 */
export function migrateFromExpressSession<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
  options: MigrateFromExpressSessionOptions,
): RequestHandler {
  const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== "string" || !secret)) {
    throw new SessionConfigError(
      "migrateFromExpressSession: secret must be express-session's secret, or its list of secrets.",
    );
  }
  const name = options.name ?? EXPRESS_SESSION_MIGRATION_DEFAULTS.name;
  const { storeTimeoutMs: timeoutMs, renewalGraceMs, now } = manager.options;
  const mapTimeoutMs = options.mapTimeoutMs ?? timeoutMs;
  if (!Number.isInteger(mapTimeoutMs) || mapTimeoutMs < 1) {
    throw new SessionConfigError(
      `migrateFromExpressSession: mapTimeoutMs must be a positive integer, got ${mapTimeoutMs}.`,
    );
  }
  /** Migrations by old id: in flight (`until` infinite), or done and still honoured until `until`. */
  const migrations = new Map<string, { pending: Promise<Migration | null>; until: number }>();

  async function migrate(sid: string, req: Request): Promise<Migration | null> {
    const old = await callOldStore<ExpressSessionRecord>(timeoutMs, (done) =>
      options.store.get(sid, done),
    );
    if (old === null || old === undefined) return null;
    const mapped = await mapWithin(mapTimeoutMs, options.map, old);
    if (mapped === null) return null;
    const fresh = await manager.load(undefined, requestContext(req));
    const persistent = mapped.persistent ?? typeof old.cookie?.originalMaxAge === "number";
    const data = { ...mapped.data } as Partial<Data>;
    await fresh.create(mapped.userId, { data, persistent });
    const handle = fresh.info!.handle;
    const session = await fresh.commit();
    // No cookie can go out on this request (plain HTTP to another host): nothing was stored.
    if (session === null) return null;
    await callOldStore(timeoutMs, (done) => options.store.destroy(sid, done)).catch((error) =>
      manager.revokeSession(mapped.userId, handle).then(
        () => Promise.reject(error),
        () => Promise.reject(error),
      ),
    );
    emitMigrated(manager, handle, mapped.userId);
    const token = session.setCookie.slice(session.setCookie.indexOf("=") + 1).split(";")[0]!;
    return { session, token, clearOldCookie: clearExpressSessionCookie(name, old.cookie) };
  }

  /**
   * The one migration of the old id `sid`: requests that come while it runs, or within the
   * manager's `renewalGraceSeconds` after (sent before the browser had the new cookie), share it.
   */
  function migrationOf(sid: string, req: Request): Promise<Migration | null> {
    const known = migrations.get(sid);
    if (known !== undefined && known.until > now()) return known.pending;
    for (const [key, entry] of migrations) if (entry.until <= now()) migrations.delete(key);
    const entry = { pending: migrate(sid, req), until: Number.POSITIVE_INFINITY };
    migrations.set(sid, entry);
    entry.pending.then(
      (done) => {
        if (done === null) migrations.delete(sid);
        else entry.until = now() + renewalGraceMs;
      },
      () => migrations.delete(sid),
    );
    return entry.pending;
  }

  return (req, res, next) => {
    const value = readExpressSessionCookie(req.headers.cookie, name);
    const sid = value === null ? null : unsignExpressSessionCookie(value, secrets);
    if (sid === null) return next();
    hasSesameSession(manager, req)
      .then(async (signedIn) => {
        if (signedIn) return;
        const done = await migrationOf(sid, req);
        if (done !== null) signIn(req, res, [manager.cookieName, name], done);
      })
      .then(() => next(), next);
  };
}

/** Tells the manager's `onEvent` listener, as core does: a listener that throws is a warning. */
function emitMigrated<Data extends JsonData<Data>>(
  manager: SessionManager<Data>,
  handle: string,
  userId: string,
): void {
  const { onEvent, onWarning, now } = manager.options;
  try {
    onEvent?.({ type: "migrated", at: now(), handle, userId, from: "express-session" });
  } catch (error) {
    onWarning(`sesame: the onEvent listener threw: ${String(error)}`);
  }
}
