import { Readable } from "node:stream";
import type { TrustProxy } from "@sesame/core";
import type { AdapterHarness, ConformanceResult } from "@sesame/core/testing";
import { listenOnLoopback } from "@sesame/core/testing";
import type Koa from "koa";
import type { Context } from "koa";
import { crossOriginProtection, sessionMiddleware } from "../src/index.js";

async function readJson(ctx: Context): Promise<unknown> {
  let text = "";
  for await (const chunk of ctx.req) text += String(chunk);
  try {
    return text === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(ctx: Context, result: ConformanceResult): void {
  for (const [name, value] of result.cookies ?? []) ctx.cookies.set(name, value);
  ctx.set({ ...result.headers });
  ctx.status = result.status;
  if (result.redirect !== undefined) ctx.redirect(result.redirect);
  else if (result.stream !== undefined) ctx.body = Readable.from(result.stream);
  else if (result.body !== undefined) ctx.body = result.body;
}

/** Koa's options for the conformance app's proxy trust: `app.proxy`, and `app.maxIpsCount` for `n` proxies. */
function proxyOptions(trustProxy: TrustProxy): { proxy: boolean; maxIpsCount: number } {
  if (typeof trustProxy === "boolean") return { proxy: trustProxy, maxIpsCount: 0 };
  return { proxy: trustProxy > 0, maxIpsCount: trustProxy };
}

/** The conformance app on a Koa module (3, or 2 through the `koa2` alias). */
export function koaHarness(KoaClass: typeof Koa): AdapterHarness {
  return {
    start({ manager, routes, trustProxy }) {
      const app = new KoaClass(proxyOptions(trustProxy));
      app.silent = true;
      const sessions = app.use(crossOriginProtection()).use(sessionMiddleware(manager));
      sessions.use(async (ctx) => {
        const route = routes.find(
          (entry) => entry.method === ctx.method && entry.path === ctx.path,
        );
        if (route === undefined) return;
        send(ctx, await route.handle(ctx.session, { body: await readJson(ctx) }));
      });
      return listenOnLoopback(app.callback());
    },
  };
}
