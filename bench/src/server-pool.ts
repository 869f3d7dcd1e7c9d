/**
 * Starts one server process per variant (pinned to the server core) and talks to them over
 * HTTP: control routes, logins, and cookies.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Variant } from "./config.js";
import { BENCH_DIR, startChild, stopChild, waitForMessage } from "./processes.js";
import type { ReadyMessage, ServerStats } from "./protocol.js";

/** The core servers run on; the load generator gets the other one. */
export const SERVER_CORE = 1;

/** A started server. */
export interface RunningServer {
  variant: Variant;
  child: ChildProcess;
  baseUrl: string;
}

function isReady(message: unknown): message is ReadyMessage {
  return (message as ReadyMessage | null)?.type === "ready";
}

/** `--cpu-prof` into `.profiles/` when `BENCH_PROFILE=1`. */
function profilingFlags(): string[] {
  if (process.env.BENCH_PROFILE !== "1") return [];
  return ["--cpu-prof", `--cpu-prof-dir=${join(BENCH_DIR, ".profiles")}`];
}

/**
 * How many servers start at once: they all boot on the one server core, so starting every one
 * together can leave the last without a turn before its deadline.
 */
const STARTING_AT_ONCE = 4;

/** Starts the servers of `variants`, a few at a time, and resolves once all of them listen. */
export async function startServers(
  variants: readonly Variant[],
  redisPrefix: string,
): Promise<Map<string, RunningServer>> {
  const nodeFlags = profilingFlags();
  const start = async (variant: Variant): Promise<RunningServer> => {
    const child = startChild({
      script: `src/servers/${variant.framework}.ts`,
      name: variant.id,
      core: SERVER_CORE,
      nodeFlags,
      env: { BENCH_VARIANT: variant.id, BENCH_REDIS_PREFIX: `${redisPrefix}${variant.id}:` },
    });
    const ready = await waitForMessage(child, isReady, 30_000);
    return { variant, child, baseUrl: `http://127.0.0.1:${ready.port}` };
  };
  const servers = new Map<string, RunningServer>();
  for (let first = 0; first < variants.length; first += STARTING_AT_ONCE) {
    const batch = variants.slice(first, first + STARTING_AT_ONCE);
    for (const server of await Promise.all(batch.map(start))) {
      servers.set(server.variant.id, server);
    }
  }
  return servers;
}

/** Stops the servers of {@link startServers}, each by its PID. */
export async function stopServers(servers: ReadonlyMap<string, RunningServer>): Promise<void> {
  await Promise.all([...servers.values()].map((server) => stopChild(server.child)));
}

/** Fetch with a time limit, so a stuck server fails the run instead of hanging it. */
export function fetchBounded(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
}

/** The server's CPU time, heap and store call counters. */
export async function readStats(server: RunningServer): Promise<ServerStats> {
  const response = await fetchBounded(`${server.baseUrl}/__bench/stats`);
  return (await response.json()) as ServerStats;
}

/** Empties the server's stores (and its Redis keys). */
export async function resetServer(server: RunningServer): Promise<void> {
  const response = await fetchBounded(`${server.baseUrl}/__bench/reset`);
  if (!response.ok) throw new Error(`${server.variant.id}: reset failed: ${await response.text()}`);
}

/** `name=value` of every cookie a response sets, joined as a `Cookie` header. */
export function cookieHeaderFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0]!)
    .join("; ");
}

/** Signs in through `POST {prefix}/login` and resolves the `Cookie` header to send next. */
export async function login(server: RunningServer, prefix: "" | "/t"): Promise<string> {
  const response = await fetchBounded(`${server.baseUrl}${prefix}/login`, { method: "POST" });
  await response.arrayBuffer();
  const cookie = cookieHeaderFrom(response);
  if (!response.ok || cookie === "") {
    throw new Error(`${server.variant.id}: login at ${prefix}/login gave ${response.status}`);
  }
  return cookie;
}

/** `count` fresh sessions, as `Cookie` headers. */
export async function loginMany(
  server: RunningServer,
  prefix: "" | "/t",
  count: number,
): Promise<string[]> {
  const cookies: string[] = [];
  for (let index = 0; index < count; index++) cookies.push(await login(server, prefix));
  return cookies;
}
