import type { TrustProxy } from "../forwarded.js";
import type { RequestSession } from "../request-session.js";
import type { SessionManager } from "../session-manager.js";
import type { ConformanceServer } from "./http-client.js";

/**
 * What a route gets besides the session.
 *
 * @example
 * ```ts
 * const input: ConformanceInput = { body: await readJson(request) };
 * ```
 */
export interface ConformanceInput {
  /** The request body parsed as JSON, or `undefined` (no body, or not JSON). */
  body: unknown;
}

/**
 * What a route answers; the harness writes it with its framework's own API.
 *
 * @example
 * ```ts
 * const result: ConformanceResult = { status: 303, redirect: "/me", cookies: [["theme", "dark"]] };
 * ```
 */
export interface ConformanceResult {
  status: number;
  /** A JSON body; absent means an empty body. */
  body?: unknown;
  /** Answer with the framework's redirect helper, to this location, with `status`. */
  redirect?: string;
  /** Stream these chunks with the framework's streaming API instead of a JSON body. */
  stream?: readonly string[] | AsyncIterable<string>;
  /** Cookies unrelated to the session, set through the framework's own cookie API. */
  cookies?: readonly (readonly [name: string, value: string])[];
  /** Response headers, set through the framework's own API. */
  headers?: Readonly<Record<string, string>>;
  /**
   * The route returns this very result on every request. A harness whose framework has reply
   * objects (a Hono `Response`) builds one for it once and sends that object again each time,
   * as an app's cached reply; the others write it as usual.
   */
  reused?: true;
}

/**
 * One route of the conformance app: a plain function of the session and the input.
 *
 * @example
 * ```ts
 * for (const route of routes) {
 *   app.on(route.method, route.path, async (c) => send(c, await route.handle(c.get("session"), { body })));
 * }
 * ```
 */
export interface ConformanceRoute {
  method: "GET" | "POST" | "PUT";
  /** A literal path (no parameters), such as `/login`. */
  path: string;
  handle(session: RequestSession, input: ConformanceInput): Promise<ConformanceResult>;
}

/**
 * Everything a harness needs to build the app under test.
 *
 * @example
 * ```ts
 * const harness: AdapterHarness = {
 *   start: ({ manager, routes, trustProxy }: ConformanceApp) => listenOnLoopback(buildApp(manager, routes, trustProxy)),
 * };
 * ```
 */
export interface ConformanceApp {
  /** The manager to give the adapter's `sessionMiddleware`. */
  manager: SessionManager;
  /** The routes to mount, after `crossOriginProtection()` and `sessionMiddleware(manager)`. */
  routes: readonly ConformanceRoute[];
  /**
   * Which `X-Forwarded-*` entries to trust, through the framework's own proxy setting:
   *
   * - `false`: none;
   * - `true`: those of the loopback peer, the one proxy in front of the app (Express and Fastify
   *   `"loopback"`, Koa `app.proxy = true`, the Hono adapter's `trustProxy: true`);
   * - a number `n`: those of `n` proxies in front of the app, the loopback peer the nearest
   *   (Express `app.set("trust proxy", n)`, Koa `app.proxy = true` with `app.maxIpsCount = n`,
   *   the Hono adapter's `trustProxy: n`, Fastify's `trustProxy` as a function trusting the
   *   loopback peer and the `n - 1` hops beyond it).
   */
  trustProxy: TrustProxy;
}

/**
 * Maps the conformance app onto one framework. `start` must:
 *
 * 1. honour {@link ConformanceApp.trustProxy} through the framework's proxy setting;
 * 2. mount the adapter's `crossOriginProtection()`, then its `sessionMiddleware(manager)`;
 * 3. mount every route: call `handle` with the request's session and JSON body, then write the
 *    {@link ConformanceResult} with the framework's API (cookie helper, redirect helper,
 *    streaming body, JSON body, or an empty body);
 * 4. let thrown errors take the framework's error path, answering a `SessionStoreError` with
 *    503 and a body that repeats no error detail, and anything else with 500;
 * 5. listen on 127.0.0.1 with a free port (for example with `listenOnLoopback`).
 *
 * @example
 * ```ts
 * const harness: AdapterHarness = {
 *   async start({ manager, routes, trustProxy }) {
 *     const app = new Koa({
 *       proxy: trustProxy !== false && trustProxy !== 0,
 *       maxIpsCount: typeof trustProxy === "number" ? trustProxy : 0,
 *     });
 *     // … crossOriginProtection(), sessionMiddleware(manager), the routes …
 *     return listenOnLoopback(app.callback());
 *   },
 * };
 * ```
 */
export interface AdapterHarness {
  start(app: ConformanceApp): Promise<ConformanceServer>;
  /**
   * Which `X-Forwarded-Proto` entry the adapter reads behind `n` trusted proxies:
   * `"outermost"` (the default), the `n`-th from the right, the one it reads of
   * `X-Forwarded-For`; or `"nearest"`, the rightmost whatever `n`, for an adapter that takes the
   * scheme from its framework (Fastify's `request.protocol`). An entry left of every trusted
   * proxy's, which the client wrote, never counts either way.
   */
  forwardedProtoEntry?: "outermost" | "nearest";
}

/**
 * The chunks `POST /login-stream` streams.
 *
 * @example
 * ```ts
 * expect(reply.body).toBe(STREAM_CHUNKS.join(""));
 * ```
 */
export const STREAM_CHUNKS: readonly string[] = Array.from(
  { length: 8 },
  (_, index) => `chunk ${index}\n`,
);

/**
 * The answer of every conformance route that needs a signed-in user and has none.
 *
 * @example
 * ```ts
 * if (session.userId === null) return UNAUTHENTICATED; // 401 {"error":"unauthenticated"}
 * ```
 */
export const UNAUTHENTICATED: ConformanceResult = {
  status: 401,
  body: { error: "unauthenticated" },
};

/**
 * A gate routes can wait at, so a test can hold requests open while it sends others.
 *
 * @example
 * ```ts
 * const latch = new Latch();
 * const pending = fetch(`${url}/slow-write`, { method: "POST" }); // waits in the route
 * await latch.untilWaiting(1);
 * latch.release();
 * ```
 */
export class Latch {
  #waiting = 0;
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  #watchers: { count: number; resolve: () => void }[] = [];

  /** Resolves once {@link release} is called. */
  async wait(): Promise<void> {
    this.#waiting += 1;
    for (const watcher of this.#watchers.filter((entry) => entry.count <= this.#waiting)) {
      watcher.resolve();
    }
    await this.#released;
  }

  /** Lets every waiting (and future) caller through. */
  release(): void {
    this.#release();
  }

  /** Resolves once `count` callers are waiting. */
  untilWaiting(count: number): Promise<void> {
    if (this.#waiting >= count) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ count, resolve }));
  }
}

/**
 * An error the conformance app throws on every request to `POST /shared-error`: one object for
 * the app's lifetime, like a module-level `NOT_FOUND`. Shaped as http-errors and Koa expect
 * (`status`, `expose`, `headers`); harnesses answer it through the framework's error path with
 * its status and headers. An adapter must never write a session's headers onto it.
 *
 * @example
 * ```ts
 * const notFound = new SharedError();
 * throw notFound; // Koa answers 404 "Not found" with `X-Shared-Reply: error`
 * ```
 */
export class SharedError extends Error {
  status = 404;
  expose = true;
  headers: Record<string, string> = { "X-Shared-Reply": "error" };

  constructor() {
    super("Not found");
    this.name = "SharedError";
  }
}

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

function text(body: unknown, name: string, fallback: string): string {
  const value = field(body, name);
  return typeof value === "string" && value.length > 0 ? value : fallback;
}

/** Signs in the `userId` the body names, if it names one. */
async function signInIfAsked(session: RequestSession, body: unknown): Promise<void> {
  const userId = field(body, "userId");
  if (typeof userId === "string") await session.create(userId);
}

function route(
  method: ConformanceRoute["method"],
  path: string,
  handle: ConformanceRoute["handle"],
): ConformanceRoute {
  return { method, path, handle };
}

/**
 * The route table of the conformance app. `latch` holds `POST /slow-write` open;
 * `POST /shared-error` throws `sharedError` on every request; `POST /login-ip` signs in and
 * answers `{"ip": …}`, the client IP the new session recorded (`null` when the session was not
 * stored, as over plain HTTP to another host).
 *
 * @example
 * ```ts
 * const routes = createConformanceRoutes(new Latch(), new SharedError());
 * routes.map((entry) => `${entry.method} ${entry.path}`);
 * ```
 */
export function createConformanceRoutes(
  latch: Latch,
  sharedError: SharedError,
): ConformanceRoute[] {
  const sharedReply: ConformanceResult = {
    status: 404,
    headers: { "X-Shared-Reply": "reply" },
    reused: true,
  };
  return [
    route("GET", "/public", async () => ({ status: 200, body: { public: true } })),
    route("POST", "/login", async (session, { body }) => {
      const userId = text(body, "userId", "alice");
      await session.create(userId);
      return { status: 200, body: { userId } };
    }),
    // Signs in on a response whose own `Vary` the body names.
    route("POST", "/login-varying", async (session, { body }) => {
      await session.create("alice");
      return { status: 200, body: { ok: true }, headers: { Vary: text(body, "vary", "") } };
    }),
    // Changes the session (and signs bob in, if asked), then lists sessions: a store failure
    // there fails the route.
    route("POST", "/set-then-list", async (session, { body }) => {
      session.set("theme", "dark");
      if (text(body, "signIn", "") === "bob") await session.create("bob", { carryOver: ["theme"] });
      const sessions = await session.listSessions();
      return { status: 200, body: { sessions: sessions.length } };
    }),
    route("POST", "/login-ip", async (session) => {
      await session.create("alice");
      await session.save();
      const [entry] = await session.listSessions();
      return { status: 200, body: { ip: entry?.ip ?? null } };
    }),
    route("GET", "/me", async (session) =>
      session.userId === null
        ? UNAUTHENTICATED
        : { status: 200, body: { userId: session.userId, data: session.data } },
    ),
    route("PUT", "/data", async (session, { body }) => {
      if (session.userId === null) return UNAUTHENTICATED;
      session.set(text(body, "key", "value"), field(body, "value"));
      return { status: 200, body: { data: session.data } };
    }),
    route("POST", "/logout", async (session) => {
      await session.destroy();
      return { status: 204 };
    }),
    // The route answers without awaiting the sign-in or sign-out (nor seeing it fail).
    route("POST", "/switch-unawaited", async (session, { body }) => {
      const userId = text(body, "userId", "");
      const left = userId === "" ? session.destroy() : session.create(userId);
      left.catch(() => undefined);
      return { status: 200, body: { userId: userId === "" ? null : userId } };
    }),
    route("POST", "/rotate", async (session) => {
      if (session.userId === null) return UNAUTHENTICATED;
      await session.rotate();
      return { status: 200, body: { rotated: true } };
    }),
    route("POST", "/slow-write", async (session, { body }) => {
      if (session.userId === null) return UNAUTHENTICATED;
      await latch.wait();
      session.set(text(body, "key", "value"), field(body, "value"));
      return { status: 200, body: { data: session.data } };
    }),
    route("POST", "/three-cookies", async (session) => {
      if (session.userId === null) return UNAUTHENTICATED;
      await session.rotate();
      const cookies = [
        ["theme", "dark"],
        ["lang", "en"],
        ["seen", "1"],
      ] as const;
      return { status: 200, body: { rotated: true }, cookies };
    }),
    route("POST", "/login-redirect", async (session) => {
      await session.create("alice");
      return { status: 303, redirect: "/me" };
    }),
    // Changes the session once its body is streaming, and says whether the change was refused.
    route("POST", "/stream-then-set", async (session) => {
      if (session.userId === null) return UNAUTHENTICATED;
      return { status: 200, stream: changeWhileStreaming(session) };
    }),
    route("POST", "/login-stream", async (session) => {
      await session.create("alice");
      return { status: 200, stream: STREAM_CHUNKS };
    }),
    route("POST", "/set-then-throw", async (session, { body }) => {
      session.set(text(body, "key", "value"), field(body, "value"));
      throw new Error("The route failed after changing the session.");
    }),
    route("POST", "/logout-then-throw", async (session) => {
      await session.destroy();
      throw new Error("The route failed after signing out.");
    }),
    route("POST", "/shared-error", async (session, { body }) => {
      await signInIfAsked(session, body);
      throw sharedError;
    }),
    route("POST", "/shared-reply", async (session, { body }) => {
      await signInIfAsked(session, body);
      return sharedReply;
    }),
  ];
}

/**
 * A body whose first chunk goes out before the session changes: the change can no longer reach
 * the response, so it must throw ("refused") rather than be lost ("accepted").
 */
async function* changeWhileStreaming(session: RequestSession): AsyncGenerator<string> {
  yield "streaming|";
  await new Promise((resolve) => setTimeout(resolve, 20));
  let answer = "refused";
  try {
    session.set("late", true);
    answer = "accepted";
  } catch {}
  // A save after the refusal must find nothing of the refused change to write.
  await session.save();
  yield answer;
}
