import {
  attachedSession,
  attachSession,
  isSessionStoreError,
  type JsonData,
  type RequestContext,
  type RequestSession,
  type SessionData,
  type SessionManager,
} from "@sesame/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";
import { writeSessionHeaders } from "./reply-headers.js";

/**
 * Augment it to type `request.session` app-wide: `declare module "@sesame/fastify" { interface
 * SessionTypes { data: MyData } }`. Without it the data is `Record<string, unknown>`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging.
export interface SessionTypes {}

/** The session data `request.session` is typed with (see {@link SessionTypes}). */
export type FastifySessionData = SessionTypes extends { data: infer D extends object }
  ? D
  : SessionData;

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session, from `@sesame/fastify`'s `sessionPlugin`. */
    session: RequestSession<FastifySessionData>;
  }
}

/** Options of {@link sessionPlugin}. */
export interface SessionPluginOptions<Data extends JsonData<Data> = FastifySessionData> {
  /** The manager that owns every session rule (cookie, store, timeouts). */
  manager: SessionManager<Data>;
}

/**
 * The JSON body of the 503 for a failing or hanging session store.
 *
 * @example
 * ```ts
 * expect(reply.json()).toEqual(STORE_UNAVAILABLE_BODY); // {"error":"session_store_unavailable"}
 * ```
 */
export const STORE_UNAVAILABLE_BODY = { error: "session_store_unavailable" } as const;

/** The request as core needs it, read through Fastify's own `trustProxy` setting. */
function requestContext(request: FastifyRequest): RequestContext {
  return {
    secure: request.protocol.toLowerCase() === "https",
    host: request.host || undefined,
    userAgent: request.headers["user-agent"],
    ip: request.ip,
  };
}

/** Puts the loaded session on the request. */
function attach(request: FastifyRequest, manager: object, session: RequestSession<object>): void {
  attachSession(request, manager, session);
  request.session = session as RequestSession<FastifySessionData>;
}

/** A Fastify hook's `done`. */
type Continue = (error?: Error | null, value?: unknown) => void;

/**
 * Goes on with Fastify's hook chain from a promise callback, with `next()`'s value, as Fastify
 * does for an async hook: whatever `next()` or the rest of the reply throws (a body already
 * used, a header Node refuses) becomes the reply's error instead of an unhandled rejection.
 */
function continueFrom(done: Continue, next: () => unknown = () => undefined): void {
  let value: unknown;
  try {
    value = next();
  } catch (error) {
    done(error as Error);
    return;
  }
  try {
    done(null, value);
  } catch (error) {
    done(error as Error);
  }
}

/** Answers a store failure with 503 before the app's error handlers; throws anything else on to them. */
function answerStoreFailure(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  if (!isSessionStoreError(error)) throw error;
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(503).send(STORE_UNAVAILABLE_BODY);
}

const storeFailed = new WeakSet<FastifyRequest>();

async function plugin<Data extends JsonData<Data>>(
  fastify: FastifyInstance,
  { manager }: SessionPluginOptions<Data>,
): Promise<void> {
  fastify.decorateRequest("session", null as unknown as RequestSession<FastifySessionData>);
  fastify.addHook("onRoute", (route) => {
    route.errorHandler ??= answerStoreFailure;
  });
  // Callback hooks: a session that loads at once (a synchronous store) costs no promise.
  fastify.addHook("onRequest", (request, reply, done) => {
    const loaded = manager.load(request.headers.cookie, () => requestContext(request));
    if (!(loaded instanceof Promise)) {
      attach(request, manager, loaded);
      done();
      return;
    }
    loaded.then(
      (session) => {
        attach(request, manager, session);
        continueFrom(done as Continue);
      },
      (error: Error) => {
        // No route means no route-level handler (a not-found handler has none): answer here.
        if (!request.is404 || !isSessionStoreError(error)) return done(error);
        storeFailed.add(request);
        reply.code(503).send(STORE_UNAVAILABLE_BODY);
      },
    );
  });
  fastify.addHook("onError", async (request, _reply, error) => {
    if (isSessionStoreError(error)) storeFailed.add(request);
  });
  // The one place this adapter writes: commit once (a second `onSend`, for an error reply,
  // finds nothing left to commit) and put the session's headers on this reply.
  fastify.addHook("onSend", (request, reply, payload, done) => {
    // The session this plugin loaded, even if the app replaced `request.session`.
    const session = attachedSession(request, manager);
    if (session === undefined) return done(null, payload);
    if (!session.needsCommit || storeFailed.has(request)) {
      // Later changes (a stream still being written) throw instead of being lost.
      session.close();
      return done(null, payload);
    }
    session.commit().then(
      (written) =>
        continueFrom(done, () =>
          written ? writeSessionHeaders(reply, payload, written) : payload,
        ),
      (error: Error) => done(error),
    );
  });
}

/**
 * The Fastify 5 plugin: loads the request's session into `request.session` (an `onRequest`
 * hook) and commits it once in `onSend`, before the headers go out, whatever the route sent (a
 * JSON body, a redirect, a stream, a `Response`, an error reply). `Secure` detection, host and
 * client IP follow Fastify's `trustProxy`. A failing or hanging store answers 503
 * `{"error":"session_store_unavailable"}`. Registered with `fastify-plugin`, so it covers every
 * route registered after it.
 *
 * @example
 * ```ts
 * const manager = new SessionManager({ store: new MemoryStore() });
 * const app = Fastify();
 * await app.register(crossOriginProtection);
 * await app.register(sessionPlugin, { manager });
 * app.post("/login", async (request) => {
 *   await request.session.create("user-42");
 *   return { ok: true };
 * });
 * ```
 */
export const sessionPlugin = fastifyPlugin(plugin, { fastify: "5.x", name: "@sesame/fastify" });

/**
 * The request's session, typed by the manager's data: the typed way to reach what
 * `sessionPlugin` put in `request.session` without augmenting {@link SessionTypes}. Throws if
 * the plugin did not load a session from this manager for this request.
 *
 * @example
 * ```ts
 * app.post("/theme", async (request) => {
 *   getSession(request, manager).set("theme", "dark"); // RequestSession<{ theme?: string }>
 *   return { ok: true };
 * });
 * ```
 */
export function getSession<Data extends JsonData<Data>>(
  request: FastifyRequest,
  manager: SessionManager<Data>,
): RequestSession<Data> {
  const session = attachedSession(request, manager);
  if (session === undefined) {
    throw new Error(
      "getSession: this request has no session from this manager; register sessionPlugin with { manager } before the route.",
    );
  }
  return session as unknown as RequestSession<Data>;
}
