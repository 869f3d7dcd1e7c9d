/**
 * Express 5 benchmark server. `BENCH_VARIANT` picks one of: express-bare, express-bare-headers,
 * express-bare-kept, express-bare-attached, express-sesame, express-sesame-signed,
 * express-session, express-sesame-redis, express-session-redis.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { SessionManager, SessionStore } from "@sesame/core";
import { getSession, sessionMiddleware } from "@sesame/express";
import express, { type Express, type Request, type RequestHandler } from "express";
import { connectRedis, deleteKeysWithPrefix, redisUrl } from "../redis.js";
import {
  type AttachedRecord,
  BENCH_SECRET,
  type BenchData,
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
import { benchManager, countedMemoryStore, countedRedisStore } from "./sesame-stores.js";

/** What a session library does for the three routes, however it spells it. */
interface SessionOps {
  login(req: Request): Promise<void>;
  userId(req: Request): string | null | undefined;
  write(req: Request, value: number): void;
}

/** The routes every variant serves, under `prefix` ("" or "/t"). */
function sessionApp(
  prefix: string,
  middleware: readonly RequestHandler[],
  ops: SessionOps,
): Express {
  const app = express();
  for (const handler of middleware) app.use(handler);
  app.post(`${prefix}/login`, async (req, res) => {
    await ops.login(req);
    res.json({ ok: true });
  });
  app.get(`${prefix}/read`, (req, res) => {
    const user = ops.userId(req);
    if (user == null) res.status(401).json({ error: "signed out" });
    else res.json({ user });
  });
  app.post(`${prefix}/write`, (req, res) => {
    if (ops.userId(req) == null) {
      res.status(401).json({ error: "signed out" });
      return;
    }
    ops.write(req, nextWriteValue());
    res.json({ ok: true });
  });
  return app;
}

/** No session library: the same routes over the parsed `Cookie` header and a fixed user. */
const bareOps: SessionOps = {
  login: async () => {},
  userId: (req) => bareUserId(req.headers.cookie),
  write: () => {},
};

/** The bare routes, with a login that writes a session's headers by hand. */
const headersOnlyOps: SessionOps = {
  ...bareOps,
  login: async (req) => {
    const res = req.res!;
    res.append("Set-Cookie", SESSION_COOKIE_LINE);
    res.set("Cache-Control", "no-store");
    res.vary("Cookie");
  },
};

/** The headers-only login that also keeps a session-sized record in memory. */
const keptOps: SessionOps = {
  ...bareOps,
  login: async (req) => {
    await headersOnlyOps.login(req);
    keepLoginRecord(nextUserId(req.url));
  },
};

function bareVariant(ops: SessionOps = bareOps, middleware: RequestHandler[] = []): HostedVariant {
  return {
    storeCalls: null,
    build: () => ({
      main: sessionApp("", middleware, ops),
      touch: sessionApp("/t", middleware, ops),
    }),
  };
}

/** The request's `session` slot, as the `-bare-attached` app uses it. */
const attachedOf = (req: Request): { session?: AttachedRecord } =>
  req as unknown as { session?: AttachedRecord };

/** The bare app with one middleware that finds the cookie's record and puts it in `req.session`. */
function bareAttachedVariant(): HostedVariant {
  const attach: RequestHandler = (req, _res, next) => {
    attachedOf(req).session = findAttachedRecord(req.headers.cookie);
    next();
  };
  return bareVariant({ ...bareOps, userId: (req) => attachedOf(req).session?.userId }, [attach]);
}

function sesameApp(prefix: string, manager: SessionManager<BenchData>): Express {
  return sessionApp(prefix, [sessionMiddleware(manager)], {
    login: (req) => getSession(req, manager).create(nextUserId(req.url)),
    userId: (req) => getSession(req, manager).userId,
    write: (req, value) => getSession(req, manager).set("n", value),
  });
}

/** Sesame over `stores`, its cookie signed (`secrets`, as the incumbents sign theirs) or not. */
function sesameVariant(
  stores: (calls: StoreCalls, app: "m" | "t") => SessionStore,
  signed = false,
): HostedVariant {
  const calls: StoreCalls = {};
  const manager = (app: "m" | "t"): SessionManager<BenchData> =>
    benchManager(stores(calls, app), { signed, touch: app === "t" });
  return {
    storeCalls: calls,
    build: () => ({ main: sesameApp("", manager("m")), touch: sesameApp("/t", manager("t")) }),
  };
}

// express-session and connect-redis are loaded without their type declarations: those add a
// global `Express.Request.session` that would clash with sesame's in this type-checked workspace.
const load = createRequire(import.meta.url);
interface LegacySession {
  userId?: string;
  n?: number;
  regenerate(callback: (error?: unknown) => void): void;
}
type ExpressSession = ((options: Record<string, unknown>) => RequestHandler) & {
  MemoryStore: new () => object;
};
type ConnectRedisStore = new (options: { client: unknown; prefix: string; ttl: number }) => object;
const expressSession = load("express-session") as ExpressSession;
const { RedisStore: ConnectRedis } = load("connect-redis") as { RedisStore: ConnectRedisStore };

const legacy = (req: Request): LegacySession =>
  (req as unknown as { session: LegacySession }).session;

const expressSessionOps: SessionOps = {
  login: (req) =>
    new Promise<void>((resolve, reject) => {
      const session = legacy(req);
      session.regenerate((error) => {
        if (error !== undefined && error !== null) return reject(error);
        legacy(req).userId = nextUserId(req.url);
        resolve();
      });
    }),
  userId: (req) => legacy(req).userId,
  write: (req, value) => {
    legacy(req).n = value;
  },
};

/** The touch app adds `rolling` (and a cookie Max-Age to roll); every read already calls store.touch. */
function expressSessionMiddleware(store: object, touch: boolean): RequestHandler {
  return expressSession({
    secret: BENCH_SECRET,
    name: INCUMBENT_COOKIE_NAME,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: touch,
    cookie: {
      httpOnly: true,
      sameSite: "lax",
      ...(touch ? { maxAge: IDLE_TIMEOUT_SECONDS * 1000 } : {}),
    },
  });
}

const LEGACY_STORE_METHODS = ["get", "set", "touch", "destroy"];

function expressSessionVariant(stores: (app: "m" | "t") => object): HostedVariant {
  const calls: StoreCalls = {};
  const counted = (app: "m" | "t"): object => countCalls(stores(app), LEGACY_STORE_METHODS, calls);
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", [expressSessionMiddleware(counted("m"), false)], expressSessionOps),
      touch: sessionApp("/t", [expressSessionMiddleware(counted("t"), true)], expressSessionOps),
    }),
  };
}

async function createVariant(id: string): Promise<HostedVariant> {
  if (id === "express-bare") return bareVariant();
  if (id === "express-bare-headers") return bareVariant(headersOnlyOps);
  if (id === "express-bare-kept") return bareVariant(keptOps);
  if (id === "express-bare-attached") return bareAttachedVariant();
  if (id === "express-sesame") return sesameVariant((calls) => countedMemoryStore(calls));
  if (id === "express-sesame-signed") {
    return sesameVariant((calls) => countedMemoryStore(calls), true);
  }
  if (id === "express-session")
    return expressSessionVariant(() => new expressSession.MemoryStore());
  const prefix = requireEnv("BENCH_REDIS_PREFIX");
  const client = await connectRedis(redisUrl());
  // Every call is one command on the wire: sesame's RedisStore sends the first three,
  // connect-redis the rest.
  const redisCalls: StoreCalls = {};
  countCalls(client, ["evalSha", "eval", "hGet", "get", "set", "expire", "del"], redisCalls);
  const redisParts = {
    redisCalls,
    clearExternal: async (): Promise<void> => {
      await deleteKeysWithPrefix(client, prefix);
    },
    close: async (): Promise<void> => {
      client.destroy();
    },
  };
  if (id === "express-sesame-redis") {
    const variant = sesameVariant(
      (calls, app) => countedRedisStore(client, `${prefix}${app}:`, calls),
      true,
    );
    return { ...variant, ...redisParts };
  }
  if (id === "express-session-redis") {
    const variant = expressSessionVariant(
      (app) => new ConnectRedis({ client, prefix: `${prefix}${app}:`, ttl: IDLE_TIMEOUT_SECONDS }),
    );
    return { ...variant, ...redisParts };
  }
  throw new Error(`Unknown Express variant ${id}.`);
}

hostVariant(await createVariant(requireEnv("BENCH_VARIANT")));
