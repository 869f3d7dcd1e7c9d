/**
 * The same small app on Express, Koa and Hono (`@hono/node-server`), each with its adapter's
 * `crossOriginProtection()` and `sessionMiddleware` mounted as their READMEs say, listening on
 * 127.0.0.1 with a free port: what the hostile-input and token-leak suites send requests to.
 *
 * Routes: `GET /public` (200, no session needed), `GET|POST /me` (200 with the user, 401
 * without a session), `POST /login` (signs `alice` in), `POST /rotate`, `POST /logout`,
 * `POST /throw` (sets data, then fails), anything else 404. Every error a route or the
 * middleware raises is recorded in {@link HostileApp.errors} and answered generically (503 for
 * a store failure, 500 otherwise; on Hono by the adapter's own `sessionErrorHandler`, which
 * logs unexpected errors), so a test can insist that none happened.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import {
  type Awaitable,
  MemoryStore,
  type RequestSession,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  SessionStoreError,
  type StoredSession,
  type StoredSessionEntry,
} from "@sesame/core";
import {
  crossOriginProtection as expressCrossOrigin,
  sessionMiddleware as expressSessions,
  getSession,
} from "@sesame/express";
import {
  crossOriginProtection as honoCrossOrigin,
  sessionMiddleware as honoSessions,
  type SessionEnv,
  sessionErrorHandler,
} from "@sesame/hono";
import {
  crossOriginProtection as koaCrossOrigin,
  sessionMiddleware as koaSessions,
  type SessionContext,
} from "@sesame/koa";
import express, { type NextFunction, type Request, type Response } from "express";
import { Hono } from "hono";
import Koa, { type DefaultState } from "koa";

/** The frameworks every hostile app runs on. */
export const HOSTILE_FRAMEWORKS = ["express", "koa", "hono"] as const;
export type HostileFramework = (typeof HOSTILE_FRAMEWORKS)[number];

/** One call a {@link RecordingStore} saw. */
export interface StoreCall {
  operation: keyof SessionStore;
  /** The store key or user id it was called with. */
  key: string;
}

/**
 * A real `MemoryStore` behind a wrapper that records every call and the key it was given.
 *
 * @example
 * ```ts
 * const store = new RecordingStore();
 * store.calls; // [{ operation: "get", key: "9f86…" }]
 * ```
 */
export class RecordingStore implements SessionStore {
  readonly inner: SessionStore;
  readonly calls: StoreCall[] = [];

  constructor(inner: SessionStore = new MemoryStore()) {
    this.inner = inner;
  }

  /** Forgets the calls recorded so far. */
  reset(): void {
    this.calls.length = 0;
  }

  get(id: string): Awaitable<StoredSession | null> {
    this.calls.push({ operation: "get", key: id });
    return this.inner.get(id);
  }

  create(id: string, record: StoredSession): Awaitable<void> {
    this.calls.push({ operation: "create", key: id });
    return this.inner.create(id, record);
  }

  update(id: string, record: StoredSession, expectedVersion: number): Awaitable<boolean> {
    this.calls.push({ operation: "update", key: id });
    return this.inner.update(id, record, expectedVersion);
  }

  delete(id: string): Awaitable<void> {
    this.calls.push({ operation: "delete", key: id });
    return this.inner.delete(id);
  }

  listByUser(userId: string): Awaitable<StoredSessionEntry[]> {
    this.calls.push({ operation: "listByUser", key: userId });
    return this.inner.listByUser(userId);
  }

  deleteByUser(userId: string, exceptId?: string): Awaitable<number> {
    this.calls.push({ operation: "deleteByUser", key: userId });
    return this.inner.deleteByUser(userId, exceptId);
  }
}

/** A running app. */
export interface HostileApp {
  framework: HostileFramework;
  /** `http://127.0.0.1:<port>` */
  url: string;
  manager: SessionManager;
  /** Every error a route or the session middleware raised, in order. */
  errors: unknown[];
  close(): Promise<void>;
}

/** How to build a {@link HostileApp}. */
export interface HostileAppOptions {
  /** The store; the manager guards it as usual. */
  store: SessionStore;
  /** Anything else for the `SessionManager` (secrets, onEvent, onWarning, storeTimeoutMs…). */
  manager?: Omit<SessionManagerOptions<Record<string, unknown>>, "store">;
  /** Node's `maxHeaderSize` for this server; Node's default (16 KiB) when absent. */
  maxHeaderSize?: number;
}

/** What a route answers, written by each framework with its own API. */
interface Answer {
  status: number;
  body: unknown;
}

const NOT_FOUND: Answer = { status: 404, body: { error: "not_found" } };
const UNAUTHENTICATED: Answer = { status: 401, body: { error: "unauthenticated" } };

/** The routes, once, over the framework-neutral session. */
async function route(method: string, path: string, session: RequestSession): Promise<Answer> {
  const signedIn = session.userId !== null;
  switch (`${method} ${path}`) {
    case "GET /public":
      return { status: 200, body: { public: true } };
    case "GET /me":
    case "POST /me":
      return signedIn ? { status: 200, body: { userId: session.userId } } : UNAUTHENTICATED;
    case "POST /login":
      await session.create("alice");
      return { status: 200, body: { userId: "alice" } };
    case "POST /rotate":
      if (!signedIn) return UNAUTHENTICATED;
      await session.rotate();
      return { status: 200, body: { rotated: true } };
    case "POST /logout":
      await session.destroy();
      return { status: 200, body: { signedOut: true } };
    case "POST /throw":
      session.set("late", true);
      throw new Error("The route failed after changing the session.");
    default:
      return NOT_FOUND;
  }
}

/** The generic answer to an error: nothing about it reaches the client. */
function errorAnswer(error: unknown): Answer {
  const fromStore =
    error instanceof SessionStoreError ||
    (error instanceof Error && error.cause instanceof SessionStoreError);
  return fromStore
    ? { status: 503, body: { error: "session_store_unavailable" } }
    : { status: 500, body: { error: "internal_error" } };
}

function expressListener(manager: SessionManager, errors: unknown[]): RequestListener {
  const app = express();
  app.disable("x-powered-by");
  app.use(expressCrossOrigin());
  app.use(expressSessions(manager));
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const answer = await route(req.method, req.path, getSession(req, manager));
      res.status(answer.status).json(answer.body);
    } catch (error) {
      next(error);
    }
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(error);
    const answer = errorAnswer(error);
    res.status(answer.status).json(answer.body);
  });
  return app;
}

function koaListener(manager: SessionManager, errors: unknown[]): RequestListener {
  const app = new Koa<DefaultState, SessionContext>();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      errors.push(error);
      for (const name of ctx.res.getHeaderNames()) ctx.remove(name);
      const answer = errorAnswer(error);
      ctx.status = answer.status;
      ctx.body = answer.body;
    }
  });
  app.use(koaCrossOrigin());
  app.use(koaSessions(manager));
  app.use(async (ctx) => {
    const answer = await route(ctx.method, ctx.path, ctx.session);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
  return app.callback();
}

function honoServer(manager: SessionManager, errors: unknown[], maxHeaderSize?: number): Server {
  const app = new Hono<SessionEnv>();
  app.use(honoCrossOrigin());
  app.use(honoSessions(manager));
  app.all("*", async (c) => {
    const answer = await route(c.req.method, c.req.path, c.get("session"));
    return c.json(answer.body, answer.status as 200);
  });
  app.onError((error, c) => {
    errors.push(error);
    return sessionErrorHandler(error, c);
  });
  const serverOptions = maxHeaderSize === undefined ? {} : { maxHeaderSize };
  return createAdaptorServer({ fetch: app.fetch, serverOptions }) as Server;
}

function buildServer(
  framework: HostileFramework,
  manager: SessionManager,
  errors: unknown[],
  maxHeaderSize: number | undefined,
): Server {
  if (framework === "hono") return honoServer(manager, errors, maxHeaderSize);
  const listener =
    framework === "express" ? expressListener(manager, errors) : koaListener(manager, errors);
  return createServer(maxHeaderSize === undefined ? {} : { maxHeaderSize }, listener);
}

/**
 * Builds the app on `framework` and listens on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const app = await startHostileApp("koa", { store: new RecordingStore() });
 * await sendRawRequest(app.url, { target: "/public" });
 * await app.close();
 * ```
 */
export async function startHostileApp(
  framework: HostileFramework,
  options: HostileAppOptions,
): Promise<HostileApp> {
  const errors: unknown[] = [];
  const manager = new SessionManager({ ...options.manager, store: options.store });
  const server = buildServer(framework, manager, errors, options.maxHeaderSize);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    framework,
    url: `http://127.0.0.1:${port}`,
    manager,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
