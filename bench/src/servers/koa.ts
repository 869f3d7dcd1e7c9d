/**
 * Koa 3 benchmark server. `BENCH_VARIANT` picks one of: koa-bare, koa-bare-headers,
 * koa-bare-kept, koa-bare-attached, koa-sesame, koa-sesame-signed, koa-session.
 *
 * @module
 */
import type { RequestListener } from "node:http";
import { type SessionContext, sessionMiddleware } from "@sesame/koa";
import Koa, {
  type DefaultContext,
  type DefaultState,
  type Middleware,
  type ParameterizedContext,
} from "koa";
import createSession from "koa-session";
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
  JsonMapStore,
  keepLoginRecord,
  nextUserId,
  nextWriteValue,
  requireEnv,
  SESSION_COOKIE_LINE,
  type StoreCalls,
} from "./host.js";
import { benchManager, countedMemoryStore } from "./sesame-stores.js";

type KoaContext<C> = ParameterizedContext<DefaultState, C>;

/** What a session library does for the three routes, however it spells it. */
interface SessionOps<C> {
  login(ctx: KoaContext<C>): Promise<void>;
  userId(ctx: KoaContext<C>): string | null | undefined;
  write(ctx: KoaContext<C>, value: number): void;
}

/** The routes every variant serves, under `prefix` ("" or "/t"). */
function sessionApp<C>(
  prefix: string,
  middleware: (app: Koa<DefaultState, C>) => readonly Middleware<DefaultState, C>[],
  ops: SessionOps<C>,
): RequestListener {
  const app = new Koa<DefaultState, C>();
  app.keys = [BENCH_SECRET];
  for (const handler of middleware(app)) app.use(handler);
  const login = `POST ${prefix}/login`;
  const read = `GET ${prefix}/read`;
  const write = `POST ${prefix}/write`;
  app.use(async (ctx) => {
    const route = `${ctx.method} ${ctx.path}`;
    if (route === login) {
      await ops.login(ctx);
      ctx.body = { ok: true };
      return;
    }
    if (route !== read && route !== write) {
      ctx.status = 404;
      return;
    }
    const user = ops.userId(ctx);
    if (user == null) {
      ctx.status = 401;
      ctx.body = { error: "signed out" };
      return;
    }
    if (route === write) ops.write(ctx, nextWriteValue());
    ctx.body = route === write ? { ok: true } : { user };
  });
  return app.callback();
}

/** No session library: the same routes over the parsed `Cookie` header and a fixed user. */
const bareOps: SessionOps<DefaultContext> = {
  login: async () => {},
  userId: (ctx) => bareUserId(ctx.get("cookie")),
  write: () => {},
};

/** The bare routes, with a login that writes a session's headers by hand. */
const headersOnlyOps: SessionOps<DefaultContext> = {
  ...bareOps,
  login: async (ctx) => {
    ctx.append("Set-Cookie", SESSION_COOKIE_LINE);
    ctx.set("Cache-Control", "no-store");
    ctx.vary("Cookie");
  },
};

/** The headers-only login that also keeps a session-sized record in memory. */
const keptOps: SessionOps<DefaultContext> = {
  ...bareOps,
  login: async (ctx) => {
    await headersOnlyOps.login(ctx);
    keepLoginRecord(nextUserId(ctx.url));
  },
};

function bareVariant(ops: SessionOps<DefaultContext> = bareOps): HostedVariant {
  return {
    storeCalls: null,
    build: () => ({
      main: sessionApp("", () => [], ops),
      touch: sessionApp("/t", () => [], ops),
    }),
  };
}

type AttachedContext = DefaultContext & { session?: AttachedRecord };

/** The bare app with one middleware that finds the cookie's record and puts it in `ctx.session`. */
function bareAttachedVariant(): HostedVariant {
  const attach: Middleware<DefaultState, AttachedContext> = (ctx, next) => {
    ctx.session = findAttachedRecord(ctx.get("cookie"));
    return next();
  };
  const ops: SessionOps<AttachedContext> = {
    ...(bareOps as SessionOps<AttachedContext>),
    userId: (ctx) => ctx.session?.userId,
  };
  return {
    storeCalls: null,
    build: () => ({
      main: sessionApp("", () => [attach], ops),
      touch: sessionApp("/t", () => [attach], ops),
    }),
  };
}

const sesameOps: SessionOps<SessionContext<BenchData>> = {
  login: (ctx) => ctx.session.create(nextUserId(ctx.url)),
  userId: (ctx) => ctx.session.userId,
  write: (ctx, value) => ctx.session.set("n", value),
};

/** Sesame with its cookie signed (`secrets`, as the incumbents sign theirs) or unsigned. */
function sesameVariant(signed: boolean): HostedVariant {
  const calls: StoreCalls = {};
  const middleware =
    (touch: boolean) => (): Middleware<DefaultState, SessionContext<BenchData>>[] => [
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

/** What koa-session puts on the context (it ships no context typing). */
interface LegacyContext {
  session: { userId?: string; n?: number };
}

const koaSessionOps: SessionOps<LegacyContext> = {
  login: async (ctx) => {
    ctx.session.userId = nextUserId(ctx.url);
  },
  userId: (ctx) => ctx.session.userId,
  write: (ctx, value) => {
    ctx.session.n = value;
  },
};

/** koa-session's external store contract, over a Map of JSON texts. */
function koaStore(calls: StoreCalls): object {
  const entries = new JsonMapStore();
  const store = {
    get: async (key: string) => entries.get(key),
    set: async (key: string, session: unknown) => entries.set(key, session),
    destroy: async (key: string) => entries.delete(key),
  };
  return countCalls(store, ["get", "set", "destroy"], calls);
}

/** The touch app adds `rolling`: every response saves the session and re-sends the cookie. */
function koaSessionVariant(): HostedVariant {
  const calls: StoreCalls = {};
  const middleware =
    (rolling: boolean) =>
    (app: Koa<DefaultState, LegacyContext>): Middleware<DefaultState, LegacyContext>[] => [
      createSession(
        {
          key: INCUMBENT_COOKIE_NAME,
          store: koaStore(calls) as never,
          maxAge: IDLE_TIMEOUT_SECONDS * 1000,
          rolling,
          httpOnly: true,
          sameSite: "lax",
          signed: true,
        },
        app,
      ),
    ];
  return {
    storeCalls: calls,
    build: () => ({
      main: sessionApp("", middleware(false), koaSessionOps),
      touch: sessionApp("/t", middleware(true), koaSessionOps),
    }),
  };
}

function createVariant(id: string): HostedVariant {
  if (id === "koa-bare") return bareVariant();
  if (id === "koa-bare-headers") return bareVariant(headersOnlyOps);
  if (id === "koa-bare-kept") return bareVariant(keptOps);
  if (id === "koa-bare-attached") return bareAttachedVariant();
  if (id === "koa-sesame") return sesameVariant(false);
  if (id === "koa-sesame-signed") return sesameVariant(true);
  if (id === "koa-session") return koaSessionVariant();
  throw new Error(`Unknown Koa variant ${id}.`);
}

hostVariant(createVariant(requireEnv("BENCH_VARIANT")));
