/**
 * Fastify 5 benchmark server. `BENCH_VARIANT` picks one of: fastify-bare, fastify-bare-headers,
 * fastify-bare-kept, fastify-bare-attached, fastify-sesame, fastify-sesame-signed,
 * fastify-session.
 *
 * @module
 */
import type { RequestListener } from "node:http";
import { createRequire } from "node:module";
import fastifyCookie from "@fastify/cookie";
import { sessionPlugin } from "@sesame/fastify";
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import {
  type AttachedRecord,
  BENCH_SECRET,
  bareUserId,
  countCalls,
  findAttachedRecord,
  type HostedVariant,
  hostVariant,
  IDLE_TIMEOUT_SECONDS,
  INCUMBENT_COOKIE_NAME,
  keepLoginRecord,
  nextUserId,
  nextWriteValue,
  requireEnv,
  SESSION_COOKIE_LINE,
  type StoreCalls,
} from "./host.js";
import { benchManager, countedMemoryStore } from "./sesame-stores.js";

/** Registers a session library's plugins on the scope the routes are declared in. */
type Plugins = (app: FastifyInstance) => Promise<void>;

/** What a session library does for the three routes, however it spells it. */
interface SessionOps {
  login(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  userId(request: FastifyRequest): string | null | undefined;
  write(request: FastifyRequest, value: number): void;
}

/**
 * Fastify's own request handler for `app` (what its server would call), once its plugins are
 * ready; requests that come sooner wait for that.
 */
function listenerOf(app: FastifyInstance): RequestListener {
  let handle: RequestListener | null = null;
  const ready = app.ready().then(() => {
    handle = (req, res) => app.routing(req, res);
  });
  return (req, res) => {
    if (handle !== null) handle(req, res);
    else void ready.then(() => handle?.(req, res));
  };
}

/** The routes every variant serves, under `prefix` ("" or "/t"). */
function sessionApp(prefix: string, plugins: Plugins, ops: SessionOps): RequestListener {
  const app = Fastify();
  app.register(async (routes) => {
    await plugins(routes);
    routes.post(`${prefix}/login`, async (request, reply) => {
      await ops.login(request, reply);
      return { ok: true };
    });
    routes.get(`${prefix}/read`, async (request, reply) => {
      const user = ops.userId(request);
      return user == null ? reply.code(401).send({ error: "signed out" }) : { user };
    });
    routes.post(`${prefix}/write`, async (request, reply) => {
      if (ops.userId(request) == null) return reply.code(401).send({ error: "signed out" });
      ops.write(request, nextWriteValue());
      return { ok: true };
    });
  });
  return listenerOf(app);
}

/** No session library: the same routes over the parsed `Cookie` header and a fixed user. */
const bareOps: SessionOps = {
  login: async () => {},
  userId: (request) => bareUserId(request.headers.cookie),
  write: () => {},
};

/** The bare routes, with a login that writes a session's headers by hand. */
const headersOnlyOps: SessionOps = {
  ...bareOps,
  login: async (_request, reply) => {
    reply.header("set-cookie", SESSION_COOKIE_LINE);
    reply.header("cache-control", "no-store");
    reply.header("vary", "Cookie");
  },
};

/** The headers-only login that also keeps a session-sized record in memory. */
const keptOps: SessionOps = {
  ...bareOps,
  login: async (request, reply) => {
    await headersOnlyOps.login(request, reply);
    keepLoginRecord(nextUserId(request.url));
  },
};

function bareVariant(ops: SessionOps = bareOps): HostedVariant {
  const plugins: Plugins = async () => {};
  return {
    storeCalls: null,
    build: () => ({
      main: sessionApp("", plugins, ops),
      touch: sessionApp("/t", plugins, ops),
    }),
  };
}

type AttachedRequest = FastifyRequest & { attached: AttachedRecord | undefined | null };

/**
 * The bare app with one `onRequest` hook that finds the cookie's record and puts it on a
 * decorated request property (named apart from sesame's typed `request.session`).
 */
function bareAttachedVariant(): HostedVariant {
  const plugins: Plugins = async (app) => {
    app.decorateRequest("attached", null);
    app.addHook("onRequest", (request, _reply, done) => {
      (request as AttachedRequest).attached = findAttachedRecord(request.headers.cookie);
      done();
    });
  };
  const ops: SessionOps = {
    ...bareOps,
    userId: (request) => (request as AttachedRequest).attached?.userId,
  };
  return {
    storeCalls: null,
    build: () => ({
      main: sessionApp("", plugins, ops),
      touch: sessionApp("/t", plugins, ops),
    }),
  };
}

const sesameOps: SessionOps = {
  login: (request) => request.session.create(nextUserId(request.url)),
  userId: (request) => request.session.userId,
  write: (request, value) => request.session.set("n", value),
};

/** Sesame with its cookie signed (`secrets`, as the incumbents sign theirs) or unsigned. */
function sesameVariant(signed: boolean): HostedVariant {
  const calls: StoreCalls = {};
  const plugins = (touch: boolean): Plugins => {
    const manager = benchManager(countedMemoryStore(calls), { signed, touch });
    return async (app) => {
      await app.register(sessionPlugin, { manager });
    };
  };
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", plugins(false), sesameOps),
      touch: sessionApp("/t", plugins(true), sesameOps),
    }),
  };
}

// @fastify/session is loaded without its type declarations: those add a `FastifyRequest.session`
// that would clash with sesame's in this type-checked workspace.
const load = createRequire(import.meta.url);
interface LegacySession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): Promise<void>;
}
type FastifySession = FastifyPluginAsync<Record<string, unknown>> & {
  MemoryStore: new () => object;
};
const fastifySession = load("@fastify/session") as FastifySession;

const legacy = (request: FastifyRequest): LegacySession =>
  (request as unknown as { session: LegacySession }).session;

const fastifySessionOps: SessionOps = {
  login: async (request) => {
    await legacy(request).regenerate();
    legacy(request).set("userId", nextUserId(request.url));
  },
  userId: (request) => legacy(request).get("userId") as string | undefined,
  write: (request, value) => legacy(request).set("n", value),
};

/**
 * @fastify/session with its MemoryStore, on @fastify/cookie. The main app turns `rolling` off (its
 * default re-saves the session and re-sends the cookie on every request, as express-session's
 * `resave`); the touch app keeps it on, with a cookie Max-Age to roll.
 */
function fastifySessionVariant(): HostedVariant {
  const calls: StoreCalls = {};
  const plugins = (touch: boolean): Plugins => {
    const store = countCalls(new fastifySession.MemoryStore(), ["get", "set", "destroy"], calls);
    return async (app) => {
      await app.register(fastifyCookie);
      await app.register(fastifySession, {
        secret: BENCH_SECRET,
        cookieName: INCUMBENT_COOKIE_NAME,
        store,
        saveUninitialized: false,
        rolling: touch,
        cookie: {
          secure: false,
          httpOnly: true,
          sameSite: "lax",
          ...(touch ? { maxAge: IDLE_TIMEOUT_SECONDS * 1000 } : {}),
        },
      });
    };
  };
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", plugins(false), fastifySessionOps),
      touch: sessionApp("/t", plugins(true), fastifySessionOps),
    }),
  };
}

function createVariant(id: string): HostedVariant {
  if (id === "fastify-bare") return bareVariant();
  if (id === "fastify-bare-headers") return bareVariant(headersOnlyOps);
  if (id === "fastify-bare-attached") return bareAttachedVariant();
  if (id === "fastify-bare-kept") return bareVariant(keptOps);
  if (id === "fastify-sesame") return sesameVariant(false);
  if (id === "fastify-sesame-signed") return sesameVariant(true);
  if (id === "fastify-session") return fastifySessionVariant();
  throw new Error(`Unknown Fastify variant ${id}.`);
}

hostVariant(createVariant(requireEnv("BENCH_VARIANT")));
