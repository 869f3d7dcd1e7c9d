/**
 * Which files and functions of sesame one request runs through, on each framework (`pnpm walk`
 * prints it as Markdown; `pnpm bench` runs it as a child and reports it).
 * Every app listens on loopback and is driven by `fetch`; V8's precise coverage (call counts)
 * is taken, after a warm-up, around the first read of a new session's signed cookie (which
 * verifies the MAC and hashes the token), a later read of it (which finds both already known),
 * and one login; every function of `packages/` that ran is listed by file.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { MemoryStore, SessionManager } from "@sesame/core";
import { sessionMiddleware as expressSession, getSession } from "@sesame/express";
import { sessionPlugin } from "@sesame/fastify";
import { sessionMiddleware as honoSession, type SessionEnv } from "@sesame/hono";
import { sessionMiddleware as koaSession, type SessionContext } from "@sesame/koa";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa, { type DefaultState } from "koa";
import type { Framework } from "../config.js";
import { type RequestWalk, renderWalks, WALKED_REQUESTS } from "../walks.js";
import { replyAndExit } from "./shared.js";

/** A signed manager on a fresh memory store, as an application would build it. */
function newManager(): SessionManager {
  return new SessionManager({
    store: new MemoryStore(),
    secrets: [randomBytes(48).toString("base64")],
  });
}

/** `POST /login` signs `user` in; `GET /read` answers the signed-in user. */
async function listen(framework: Framework, manager: SessionManager): Promise<Server> {
  if (framework === "hono") {
    const app = new Hono<SessionEnv>();
    app.use(honoSession(manager));
    app.post("/login", async (c) => {
      await c.get("session").create("user");
      return c.json({ ok: true });
    });
    app.get("/read", (c) => c.json({ user: c.get("session").userId }));
    return started(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server);
  }
  return started(createServer(await listenerFor(framework, manager)).listen(0, "127.0.0.1"));
}

async function listenerFor(
  framework: Exclude<Framework, "hono">,
  manager: SessionManager,
): Promise<RequestListener> {
  if (framework === "express") {
    const app = express();
    app.use(expressSession(manager));
    app.post("/login", async (req, res) => {
      await getSession(req, manager).create("user");
      res.json({ ok: true });
    });
    app.get("/read", (req, res) => {
      res.json({ user: getSession(req, manager).userId });
    });
    return app;
  }
  if (framework === "koa") {
    const app = new Koa<DefaultState, SessionContext>();
    app.use(koaSession(manager));
    app.use(async (ctx) => {
      if (ctx.method === "POST") await ctx.session.create("user");
      ctx.body = { user: ctx.session.userId };
    });
    return app.callback();
  }
  const app = Fastify();
  await app.register(sessionPlugin, { manager });
  app.post("/login", async (request) => {
    await request.session.create("user");
    return { ok: true };
  });
  app.get("/read", async (request) => ({ user: request.session.userId }));
  await app.ready();
  return (req, res) => app.routing(req, res);
}

async function started(server: Server): Promise<Server> {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  return server;
}

interface CoverageFunction {
  functionName: string;
  ranges: { count: number }[];
}

async function filesRunBy(
  inspector: Session,
  request: () => Promise<unknown>,
): Promise<RequestWalk["files"]> {
  await inspector.post("Profiler.takePreciseCoverage");
  await request();
  const { result } = await inspector.post("Profiler.takePreciseCoverage");
  const files: RequestWalk["files"] = [];
  for (const script of result) {
    const file = /\/packages\/(.*)$/.exec(script.url)?.[1];
    if (file === undefined) continue;
    const functions = (script.functions as CoverageFunction[])
      .filter((fn) => (fn.ranges[0]?.count ?? 0) > 0)
      .map((fn) => `${fn.functionName || "(anonymous)"}×${fn.ranges[0]!.count}`);
    if (functions.length > 0) files.push({ file, functions });
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

/** The walk of each of {@link WALKED_REQUESTS} on `framework`. */
async function walksOn(framework: Framework, inspector: Session): Promise<RequestWalk[]> {
  const server = await listen(framework, newManager());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = async (): Promise<string> => {
    const response = await fetch(`${base}/login`, { method: "POST" });
    await response.text();
    return response.headers.get("set-cookie")!.split(";")[0]!;
  };
  const read = async (cookie: string): Promise<string> =>
    (await fetch(`${base}/read`, { headers: { cookie } })).text();
  const cookie = await login();
  for (let warm = 0; warm < 20; warm++) await read(await login());
  const walks: RequestWalk[] = [];
  for (const request of WALKED_REQUESTS) {
    const run = request === "signed login" ? login : () => read(cookie);
    walks.push({ framework, request, files: await filesRunBy(inspector, run) });
  }
  server.close();
  server.closeAllConnections();
  return walks;
}

const inspector = new Session();
inspector.connect();
await inspector.post("Profiler.enable");
await inspector.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
const walks: RequestWalk[] = [];
for (const framework of ["express", "koa", "hono", "fastify"] as const) {
  walks.push(...(await walksOn(framework, inspector)));
}
if (process.send === undefined) {
  process.stdout.write(`# One request's walk through sesame\n\n${renderWalks(walks)}`);
  process.exit(0);
}
replyAndExit(walks);
