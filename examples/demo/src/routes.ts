/**
 * Every route of the demo, written once over the framework-neutral {@link DemoRequest}. The
 * Express, Koa, Hono and Fastify entry points only load the session and hand each request to
 * {@link handleRequest}, so the four behave the same by construction.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { getCookieValues, type SessionManager } from "@sesame/core";
import {
  type DemoData,
  type DemoRequest,
  type DemoResponse,
  type DemoSession,
  errorResponse,
  HttpError,
  html,
  isForm,
  isStoreFailure,
  json,
  noContent,
  readFields,
  seeOther,
  wantsHtml,
} from "./http.js";
import { LoginThrottle } from "./login-throttle.js";
import {
  CONTENT_SECURITY_POLICY,
  renderSignedIn,
  renderSignedOut,
  renderStoreUnavailable,
} from "./page.js";
import { findUser, type User, verifyCredentials } from "./users.js";

/** What the routes need to know about the running app. */
export interface DemoApp {
  /** Shown on the page, e.g. "express · sqlite". */
  runsOn: string;
  cookieName: string;
  /** The session cookie's attributes, as the page explains them. */
  cookieAttributes: readonly string[];
  /** Revoking sessions needs a sign-in at most this many seconds ago. */
  reauthWindowSeconds: number;
  /** Limits failed sign-ins per account and per client. */
  loginThrottle: LoginThrottle;
  /** Checks a username and password (scrypt); tests inject their own. */
  verifyCredentials: (username: string, password: string) => Promise<User | null>;
}

/** Options of {@link createDemoApp}. */
export type DemoAppOptions = Partial<Pick<DemoApp, "loginThrottle" | "verifyCredentials">>;

/**
 * The routes' view of the app, built from the session manager it runs. Without options it
 * limits sign-ins with a default {@link LoginThrottle} and checks the built-in users.
 *
 * @example
 * ```ts
 * const app = createDemoApp(manager, "express · sqlite", 900, {
 *   loginThrottle: new LoginThrottle({ maxFailuresPerAccount: 5 }),
 * });
 * ```
 */
export function createDemoApp(
  manager: SessionManager<DemoData>,
  runsOn: string,
  reauthWindowSeconds: number,
  options: DemoAppOptions = {},
): DemoApp {
  const cookie = manager.options.cookie;
  const attributes = ["HttpOnly"];
  if (cookie.secure) attributes.push("Secure");
  attributes.push(`SameSite=${cookie.sameSite}`, `Path=${cookie.path}`);
  attributes.push(
    cookie.domain === undefined ? "no Domain (this host only)" : `Domain=${cookie.domain}`,
  );
  attributes.push("no Expires (gone when the browser closes)");
  return {
    runsOn,
    cookieName: cookie.name,
    cookieAttributes: attributes,
    reauthWindowSeconds,
    loginThrottle: options.loginThrottle ?? new LoginThrottle(),
    verifyCredentials: options.verifyCredentials ?? verifyCredentials,
  };
}

type Params = Record<string, string>;
type Handler = (app: DemoApp, request: DemoRequest, params: Params) => Promise<DemoResponse>;

interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

/** The contract's routes, plus two form-friendly ones the page uses (they answer 303). */
export const ROUTES: readonly Route[] = [
  { method: "GET", pattern: "/", handler: showPage },
  { method: "POST", pattern: "/login", handler: login },
  { method: "POST", pattern: "/logout", handler: logout },
  { method: "POST", pattern: "/sessions/revoke-others", handler: revokeOthersFromPage },
  { method: "POST", pattern: "/sessions/:handle/revoke", handler: revokeFromPage },
  { method: "GET", pattern: "/api/me", handler: me },
  { method: "GET", pattern: "/api/sessions", handler: listSessions },
  { method: "DELETE", pattern: "/api/sessions/:handle", handler: revokeSession },
  { method: "POST", pattern: "/api/sessions/revoke-others", handler: revokeOthers },
  { method: "PUT", pattern: "/api/data/:key", handler: putData },
  { method: "GET", pattern: "/api/data", handler: getData },
];

/**
 * Routes one request and answers it; never throws. Unknown paths get 404, known paths with
 * another method 405 with `Allow`.
 */
export async function handleRequest(app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  try {
    const method = request.method === "HEAD" ? "GET" : request.method;
    const matches = ROUTES.flatMap((route) => {
      const params = matchPath(route.pattern, request.path);
      return params === null ? [] : [{ route, params }];
    });
    const found = matches.find(({ route }) => route.method === method);
    if (found !== undefined) return await found.route.handler(app, request, found.params);
    if (matches.length === 0) return json(404, { error: "not_found" });
    const allow = [...new Set(matches.map(({ route }) => route.method))].join(", ");
    const response = json(405, { error: "method_not_allowed" });
    response.headers.allow = allow.replace("GET", "GET, HEAD");
    return response;
  } catch (error) {
    return failureResponse(app, error, request.accept);
  }
}

/**
 * The answer to an error, including one the session middleware passed to the framework's
 * error path before any route ran (a store that is down gives 503 there). A browser asking
 * for a page gets a page; everything else gets JSON.
 */
export function failureResponse(
  app: DemoApp,
  error: unknown,
  accept: string | undefined,
): DemoResponse {
  if (isStoreFailure(error) && (accept ?? "").includes("text/html")) {
    return html(503, renderStoreUnavailable(app.runsOn), CONTENT_SECURITY_POLICY);
  }
  return errorResponse(error);
}

/** Params of `pattern` (`/a/:b`) in `path`, or `null` if it does not match. */
function matchPath(pattern: string, path: string): Params | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (let index = 0; index < want.length; index++) {
    const part = want[index]!;
    const value = got[index]!;
    if (part.startsWith(":")) {
      if (value === "") return null;
      try {
        params[part.slice(1)] = decodeURIComponent(value);
      } catch {
        return null;
      }
    } else if (part !== value) return null;
  }
  return params;
}

// ---- The page and its forms ------------------------------------------------------------------

async function showPage(app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  const user = signedInUser(request.session);
  const info = request.session.info;
  if (user === null || info === null) {
    return html(200, renderSignedOut({ runsOn: app.runsOn }), CONTENT_SECURITY_POLICY);
  }
  const sessions = await request.session.listSessions();
  const token = getCookieValues(request.cookie, app.cookieName)[0] ?? "";
  const page = renderSignedIn({
    user,
    runsOn: app.runsOn,
    cookie: {
      name: app.cookieName,
      maskedValue: `${token.slice(0, 4)}•••`,
      attributes: app.cookieAttributes,
    },
    record: {
      keyPrefix: storeKeyOf(token).slice(0, 12),
      userId: user.id,
      createdAt: info.createdAt,
      lastSeenAt: info.lastSeenAt,
      expiresAt: info.expiresAt,
      absoluteExpiresAt: info.absoluteExpiresAt,
      userAgent: sessions.find((session) => session.current)?.userAgent ?? null,
      data: JSON.stringify(request.session.data),
    },
    sessions,
    now: Date.now(),
  });
  return html(200, page, CONTENT_SECURITY_POLICY);
}

/** The store key of a cookie value: SHA-256 (hex) of the token, the part before any signature. */
function storeKeyOf(cookieValue: string): string {
  return createHash("sha256").update(cookieValue.split(".")[0]!).digest("hex");
}

async function revokeOthersFromPage(app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  requireRecentSignIn(app, request.session);
  await request.session.revokeOtherSessions();
  return seeOther("/");
}

async function revokeFromPage(
  app: DemoApp,
  request: DemoRequest,
  params: Params,
): Promise<DemoResponse> {
  requireRecentSignIn(app, request.session);
  await request.session.revokeSession(params.handle!);
  return seeOther("/");
}

// ---- Sign in and out ---------------------------------------------------------------------------

/**
 * Signs in. A try the throttle refuses gets 429 before the password is hashed (no scrypt work);
 * the answer is the same whether the account, the client or both used up their failures.
 */
async function login(app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  const fields = await readFields(request);
  const username = typeof fields.username === "string" ? fields.username : "";
  const password = typeof fields.password === "string" ? fields.password : "";
  const attempt = app.loginThrottle.beginAttempt(username, request.clientIp);
  if (!attempt.allowed) {
    const minutes = Math.ceil(attempt.retryAfterSeconds / 60);
    const response = refuseSignIn(app, request, username, {
      status: 429,
      code: "too_many_attempts",
      message: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    });
    response.headers["retry-after"] = String(attempt.retryAfterSeconds);
    return response;
  }
  const user = await app.verifyCredentials(username, password);
  if (user === null) {
    return refuseSignIn(app, request, username, {
      status: 401,
      code: "invalid_credentials",
      message: "Wrong username or password.",
    });
  }
  app.loginThrottle.recordSuccess(username, request.clientIp);
  // A brand-new session: whatever session the request carried is destroyed first (no fixation).
  await request.session.create(user.id);
  return isForm(request) ? seeOther("/") : json(200, { user });
}

/** A refused sign-in: the sign-in page with `message` for a browser's form post, else JSON. */
function refuseSignIn(
  app: DemoApp,
  request: DemoRequest,
  username: string,
  { status, code, message }: { status: number; code: string; message: string },
): DemoResponse {
  if (isForm(request) && wantsHtml(request)) {
    const page = renderSignedOut({ runsOn: app.runsOn, error: message, username });
    return html(status, page, CONTENT_SECURITY_POLICY);
  }
  return json(status, { error: code });
}

async function logout(_app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  await request.session.destroy();
  return isForm(request) ? seeOther("/") : noContent();
}

// ---- The JSON API ------------------------------------------------------------------------------

async function me(_app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  const user = requireUser(request.session);
  const info = request.session.info!;
  return json(200, {
    user,
    session: {
      createdAt: iso(info.createdAt),
      expiresAt: iso(info.expiresAt),
      absoluteExpiresAt: iso(info.absoluteExpiresAt),
    },
  });
}

async function listSessions(_app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  requireUser(request.session);
  const sessions = await request.session.listSessions();
  return json(200, {
    sessions: sessions.map((session) => ({
      handle: session.handle,
      createdAt: iso(session.createdAt),
      lastSeenAt: iso(session.lastSeenAt),
      userAgent: session.userAgent,
      current: session.current,
    })),
  });
}

async function revokeSession(
  app: DemoApp,
  request: DemoRequest,
  params: Params,
): Promise<DemoResponse> {
  requireRecentSignIn(app, request.session);
  const revoked = await request.session.revokeSession(params.handle!);
  return revoked ? noContent() : json(404, { error: "not_found" });
}

async function revokeOthers(app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  requireRecentSignIn(app, request.session);
  return json(200, { revoked: await request.session.revokeOtherSessions() });
}

/** Session data keys: short, and plain enough to show anywhere. */
const DATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

async function putData(_app: DemoApp, request: DemoRequest, params: Params): Promise<DemoResponse> {
  requireUser(request.session);
  const key = params.key!;
  if (!DATA_KEY.test(key)) throw new HttpError(400, "invalid_key");
  if (isForm(request)) throw new HttpError(415, "unsupported_media_type");
  const fields = await readFields(request);
  if (!Object.hasOwn(fields, "value")) throw new HttpError(400, "invalid_body");
  request.session.set(key, fields.value);
  return json(200, { data: request.session.data });
}

async function getData(_app: DemoApp, request: DemoRequest): Promise<DemoResponse> {
  requireUser(request.session);
  return json(200, { data: request.session.data });
}

// ---- Helpers ----------------------------------------------------------------------------------

/** The signed-in user, or `null`. */
function signedInUser(session: DemoSession): User | null {
  const userId = session.userId;
  return userId === null ? null : findUser(userId);
}

/** The signed-in user; throws `HttpError` 401 `unauthenticated` without one. */
function requireUser(session: DemoSession): User {
  const user = signedInUser(session);
  if (user === null) throw new HttpError(401, "unauthenticated");
  return user;
}

/** Revoking sessions is sensitive: it needs a sign-in within the re-authentication window. */
function requireRecentSignIn(app: DemoApp, session: DemoSession): User {
  const user = requireUser(session);
  if (!session.isAuthRecent(app.reauthWindowSeconds)) throw new HttpError(401, "reauth_required");
  return user;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
