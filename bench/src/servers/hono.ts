/**
 * Hono (on @hono/node-server) benchmark server. `BENCH_VARIANT` picks one of: hono-bare,
 * hono-bare-headers, hono-bare-kept, hono-bare-attached, hono-sesame, hono-sesame-signed,
 * hono-sessions, hono-session.
 *
 * @module
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { type SessionEnv, useSession, useSessionStorage } from "@hono/session";
import { type SessionEnv as SesameEnv, sessionMiddleware } from "@sesame/hono";
import { type Context, type Env, Hono, type MiddlewareHandler } from "hono";
import { sessionMiddleware as honoSessions, MemoryStore, type Session } from "hono-sessions";
import {
  ABSOLUTE_TIMEOUT_SECONDS,
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
  JsonMapStore,
  keepLoginRecord,
  nextUserId,
  nextWriteValue,
  requireEnv,
  SESSION_COOKIE_LINE,
  type StoreCalls,
} from "./host.js";
import { benchManager, countedMemoryStore } from "./sesame-stores.js";

/** What a session library does for the three routes, however it spells it. */
interface SessionOps<E extends Env> {
  login(c: Context<E>): Promise<void> | void;
  userId(c: Context<E>): Promise<string | null | undefined> | string | null | undefined;
  write(c: Context<E>, value: number): Promise<void> | void;
}

/** The routes every variant serves, under `prefix` ("" or "/t"). */
function sessionApp<E extends Env>(
  prefix: string,
  middleware: readonly MiddlewareHandler<E>[],
  ops: SessionOps<E>,
): RequestListener {
  const app = new Hono<E>();
  for (const handler of middleware) app.use(handler);
  app.post(`${prefix}/login`, async (c) => {
    await ops.login(c);
    return c.json({ ok: true });
  });
  app.get(`${prefix}/read`, async (c) => {
    const user = await ops.userId(c);
    return user == null ? c.json({ error: "signed out" }, 401) : c.json({ user });
  });
  app.post(`${prefix}/write`, async (c) => {
    if ((await ops.userId(c)) == null) return c.json({ error: "signed out" }, 401);
    await ops.write(c, nextWriteValue());
    return c.json({ ok: true });
  });
  return getRequestListener(app.fetch);
}

/** No session library: the same routes over the parsed `Cookie` header and a fixed user. */
const bareOps: SessionOps<Env> = {
  login: () => {},
  userId: (c) => bareUserId(c.req.header("cookie")),
  write: () => {},
};

/** The bare routes, with a login that writes a session's headers by hand. */
const headersOnlyOps: SessionOps<Env> = {
  ...bareOps,
  login: (c) => {
    c.header("Set-Cookie", SESSION_COOKIE_LINE, { append: true });
    c.header("Cache-Control", "no-store");
    c.header("Vary", "Cookie", { append: true });
  },
};

/** The headers-only login that also keeps a session-sized record in memory. */
const keptOps: SessionOps<Env> = {
  ...bareOps,
  login: async (c) => {
    await headersOnlyOps.login(c);
    keepLoginRecord(nextUserId(c.req.url));
  },
};

function bareVariant(ops: SessionOps<Env> = bareOps): HostedVariant {
  return {
    storeCalls: null,
    build: () => ({ main: sessionApp("", [], ops), touch: sessionApp("/t", [], ops) }),
  };
}

type AttachedEnv = { Variables: { session: AttachedRecord | undefined } };

/** The bare app with one middleware that finds the cookie's record and sets it on the context. */
function bareAttachedVariant(): HostedVariant {
  const attach: MiddlewareHandler<AttachedEnv> = async (c, next) => {
    c.set("session", findAttachedRecord(c.req.header("cookie")));
    await next();
  };
  const ops: SessionOps<AttachedEnv> = {
    login: () => {},
    userId: (c) => c.get("session")?.userId,
    write: () => {},
  };
  return {
    storeCalls: null,
    build: () => ({ main: sessionApp("", [attach], ops), touch: sessionApp("/t", [attach], ops) }),
  };
}

const sesameOps: SessionOps<SesameEnv<BenchData>> = {
  login: (c) => c.get("session").create(nextUserId(c.req.url)),
  userId: (c) => c.get("session").userId,
  write: (c, value) => c.get("session").set("n", value),
};

/** Sesame with its cookie signed (`secrets`, as the incumbents sign theirs) or unsigned. */
function sesameVariant(signed: boolean): HostedVariant {
  const calls: StoreCalls = {};
  const middleware = (touch: boolean): MiddlewareHandler<SesameEnv<BenchData>>[] => [
    sessionMiddleware(benchManager(countedMemoryStore(calls), { signed, touch })),
  ];
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", middleware(false), sesameOps),
      touch: sessionApp("/t", middleware(true), sesameOps),
    }),
  };
}

type LegacyData = { userId?: string; n?: number };
type HonoSessionsEnv = { Variables: { session: Session<LegacyData> } };

const honoSessionsOps: SessionOps<HonoSessionsEnv> = {
  login: (c) => c.get("session").set("userId", nextUserId(c.req.url)),
  userId: (c) => c.get("session").get("userId"),
  write: (c, value) => c.get("session").set("n", value),
};

/**
 * hono-sessions with its MemoryStore. Its default, `autoExtendExpiration`, already slides the
 * expiry, saves the session and re-sends the cookie on every request, so both apps are the same.
 */
function honoSessionsVariant(): HostedVariant {
  const calls: StoreCalls = {};
  const methods = ["getSessionById", "createSession", "persistSessionData", "deleteSession"];
  const middleware = (): MiddlewareHandler<HonoSessionsEnv>[] => [
    honoSessions({
      store: countCalls(new MemoryStore(), methods, calls),
      expireAfterSeconds: IDLE_TIMEOUT_SECONDS,
      sessionCookieName: INCUMBENT_COOKIE_NAME,
      cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true },
    }) as unknown as MiddlewareHandler<HonoSessionsEnv>,
  ];
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", middleware(), honoSessionsOps),
      touch: sessionApp("/t", middleware(), honoSessionsOps),
    }),
  };
}

type HonoSessionEnv = SessionEnv<LegacyData>;

const honoSessionOps: SessionOps<HonoSessionEnv> = {
  login: (c) => c.var.session.update({ userId: nextUserId(c.req.url) }),
  userId: async (c) => (await c.var.session.get())?.userId,
  write: (c, value) => c.var.session.update((data) => ({ ...data, n: value })),
};

/** @hono/session has no per-request touch; the touch app rewrites the record on every read. */
const honoSessionTouchOps: SessionOps<HonoSessionEnv> = {
  ...honoSessionOps,
  userId: async (c) => {
    await c.var.session.update((data) => data ?? {});
    return c.var.session.data?.userId;
  },
};

function honoSessionVariant(): HostedVariant {
  const calls: StoreCalls = {};
  const middleware = (): MiddlewareHandler<HonoSessionEnv>[] => [
    useSessionStorage<LegacyData, HonoSessionEnv>(
      countCalls(new JsonMapStore(), ["get", "set", "delete"], calls) as never,
    ),
    useSession<LegacyData>({
      secret: BENCH_SECRET,
      duration: { absolute: ABSOLUTE_TIMEOUT_SECONDS, inactivity: IDLE_TIMEOUT_SECONDS },
    }),
  ];
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", middleware(), honoSessionOps),
      touch: sessionApp("/t", middleware(), honoSessionTouchOps),
    }),
  };
}

function createVariant(id: string): HostedVariant {
  if (id === "hono-bare") return bareVariant();
  if (id === "hono-bare-headers") return bareVariant(headersOnlyOps);
  if (id === "hono-bare-kept") return bareVariant(keptOps);
  if (id === "hono-bare-attached") return bareAttachedVariant();
  if (id === "hono-sesame") return sesameVariant(false);
  if (id === "hono-sesame-signed") return sesameVariant(true);
  if (id === "hono-sessions") return honoSessionsVariant();
  if (id === "hono-session") return honoSessionVariant();
  throw new Error(`Unknown Hono variant ${id}.`);
}

hostVariant(createVariant(requireEnv("BENCH_VARIANT")));
