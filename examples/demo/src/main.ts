/**
 * Starts the demo: reads the environment, opens the session store, builds the app on the chosen
 * framework, listens, and shuts down cleanly on SIGINT/SIGTERM.
 *
 * @module
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SessionManager } from "@sesame/core";
import { type DemoConfig, type FrameworkName, readConfig } from "./config.js";
import { createExpressServer } from "./express.js";
import { createFastifyServer } from "./fastify.js";
import { createHonoServer } from "./hono.js";
import type { DemoData } from "./http.js";
import { createKoaServer } from "./koa.js";
import { LoginThrottle } from "./login-throttle.js";
import { createDemoApp, type DemoApp } from "./routes.js";
import { type OpenedStore, openStore } from "./stores.js";

/** How long a shutdown waits for requests in flight before closing their connections. */
const SHUTDOWN_GRACE_MS = 3_000;

const SERVERS: Record<
  FrameworkName,
  (manager: SessionManager<DemoData>, app: DemoApp) => Server | Promise<Server>
> = {
  express: createExpressServer,
  koa: createKoaServer,
  hono: createHonoServer,
  fastify: createFastifyServer,
};

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const opened = await openStore(config);
  const manager = new SessionManager<DemoData>({
    store: opened.store,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    // Slide the idle expiry at most once a minute, and often enough for short test timeouts.
    touchIntervalSeconds: Math.min(60, Math.floor(config.idleTimeoutSeconds / 4)),
    // A store that does not answer within a second gives 503 instead of a hanging request.
    storeTimeoutMs: 1_000,
  });
  const app = createDemoApp(
    manager,
    `${config.framework} · ${config.store}`,
    config.reauthWindowSeconds,
    { loginThrottle: new LoginThrottle(config.loginThrottle) },
  );
  const server = await SERVERS[config.framework](manager, app);
  await listen(server, config);
  console.log(
    `sesame demo listening on ${urlOf(server)} (framework: ${config.framework}, store: ${opened.description})`,
  );
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // Ctrl-C can arrive twice (from the terminal and relayed by tsx): shut down once.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void shutDown(signal, server, opened);
    });
  }
}

function listen(server: Server, config: DemoConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function urlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

async function shutDown(signal: string, server: Server, opened: OpenedStore): Promise<void> {
  console.log(`${signal}: shutting down`);
  const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearTimeout(force);
  await opened.close();
  console.log("stopped");
  // Everything is closed, so the process ends by itself; this only guards against a stray handle.
  setTimeout(() => process.exit(0), 1_000).unref();
}

main().catch((error: Error) => {
  console.error(`sesame demo failed to start: ${error.message}`);
  process.exit(1);
});
