/**
 * The HTTP benchmark: warm every server up, then run the schedule round after round, each run
 * measuring throughput, server CPU per request and (for Redis variants) Redis commands.
 *
 * @module
 */
import {
  BARE_PATH,
  FRAMEWORKS,
  type LoadSettings,
  PATH_REQUESTS,
  PATHS,
  type PathId,
  VARIANTS,
  type Variant,
} from "./config.js";
import type { LoadGenerator } from "./load-client.js";
import {
  type BenchRedisClient,
  type CommandCounts,
  diffCommandCounts,
  readCommandCounts,
} from "./redis.js";
import { login, loginMany, type RunningServer, readStats, resetServer } from "./server-pool.js";

/** A path, or the bare route. */
export type RunPath = PathId | "bare";

/** One measured run. */
export interface RunSample {
  variantId: string;
  path: RunPath;
  round: number;
  requestsPerSecond: number;
  /** Server CPU time (user + system) per completed request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** Server CPU time over wall time: about 1 when the server was the bottleneck. */
  serverCpuShare: number;
  /** Load generator CPU time over wall time: near 1 means the load generator limited the run. */
  loadCpuShare: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  /** Redis commands per request from `INFO commandstats`, by command (Redis variants only). */
  redisCommands: CommandCounts | null;
  /** Redis commands per request the server's client sent (Redis variants only). */
  redisRoundTrips: number | null;
}

interface ScheduledRun {
  server: RunningServer;
  path: RunPath;
}

/** A `Cookie` header shaped like sesame's, for the bare route to parse. */
const BARE_COOKIE = `__Host-sid=${"A".repeat(43)}`;

/**
 * Runs in the order of one round: per framework the bare route, every path × variant, and the
 * bare route again (two bare samples per round, so the ceiling is as well measured as the rest).
 */
export function scheduleRound(servers: ReadonlyMap<string, RunningServer>): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  const serverOf = (variant: Variant): RunningServer | undefined => servers.get(variant.id);
  for (const framework of FRAMEWORKS) {
    const variants = VARIANTS.filter((variant) => variant.framework === framework);
    const bare = variants
      .filter((candidate) => candidate.kind === "bare")
      .map(serverOf)
      .filter((server) => server !== undefined)
      .map((server): ScheduledRun => ({ server, path: "bare" }));
    runs.push(...bare);
    for (const path of PATHS) {
      for (const variant of variants.filter((candidate) => candidate.kind !== "bare")) {
        const server = serverOf(variant);
        if (server !== undefined) runs.push({ server, path });
      }
    }
    runs.push(...bare);
  }
  return runs;
}

async function cookiesFor(run: ScheduledRun, connections: number): Promise<string[]> {
  if (run.path === "bare") return [BARE_COOKIE];
  const { cookies } = PATH_REQUESTS[run.path];
  if (cookies === "none") return [];
  if (cookies === "one") return [await login(run.server, "")];
  return loginMany(run.server, run.path === "touch" ? "/t" : "", connections);
}

/** Measures one run. */
async function measure(
  run: ScheduledRun,
  seconds: number,
  round: number,
  tools: { load: LoadGenerator; redis: BenchRedisClient | null; connections: number },
): Promise<RunSample> {
  const { server, path } = run;
  const request =
    path === "bare" ? { method: "GET" as const, path: BARE_PATH } : PATH_REQUESTS[path];
  const cookies = await cookiesFor(run, tools.connections);
  const redis = server.variant.store === "redis" ? tools.redis : null;
  const before = await readStats(server);
  const redisBefore = redis === null ? null : await readCommandCounts(redis);
  const outcome = await tools.load.run({
    url: `${server.baseUrl}${request.path}`,
    method: request.method,
    cookies,
    connections: tools.connections,
    durationSeconds: seconds,
  });
  const after = await readStats(server);
  const redisAfter = redis === null ? null : await readCommandCounts(redis);
  if (path !== "bare") await resetServer(server);
  const requests = Math.max(1, outcome.requests);
  const cpuMicros = after.cpuMicros - before.cpuMicros;
  const sent = (stats: typeof before): number =>
    Object.values(stats.redisCalls ?? {}).reduce((sum, calls) => sum + calls, 0);
  return {
    variantId: server.variant.id,
    path,
    round,
    requestsPerSecond: outcome.requests / outcome.seconds,
    cpuMicrosPerRequest: cpuMicros / requests,
    serverCpuShare: cpuMicros / (outcome.seconds * 1e6),
    loadCpuShare: outcome.loadCpuMicros / (outcome.seconds * 1e6),
    latencyP50Ms: outcome.latencyP50Ms,
    latencyP99Ms: outcome.latencyP99Ms,
    non2xx: outcome.non2xx,
    errors: outcome.errors,
    redisCommands:
      redisBefore === null || redisAfter === null
        ? null
        : perRequest(diffCommandCounts(redisBefore, redisAfter), requests),
    redisRoundTrips: after.redisCalls === null ? null : (sent(after) - sent(before)) / requests,
  };
}

function perRequest(counts: CommandCounts, requests: number): CommandCounts {
  const result: CommandCounts = {};
  for (const [name, calls] of Object.entries(counts)) {
    if (name !== "info") result[name] = calls / requests;
  }
  return result;
}

/** Warms every run up once, then measures `settings.rounds` rounds. */
export async function runHttpBench(
  servers: ReadonlyMap<string, RunningServer>,
  settings: LoadSettings,
  tools: { load: LoadGenerator; redis: BenchRedisClient | null },
  log: (line: string) => void,
): Promise<RunSample[]> {
  const schedule = scheduleRound(servers);
  const context = { ...tools, connections: settings.connections };
  const warmups = [...new Set(schedule)];
  log(`warming up ${warmups.length} runs × ${settings.warmupSeconds} s`);
  for (const run of warmups) await measure(run, settings.warmupSeconds, 0, context);
  const samples: RunSample[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const run of schedule) {
      const sample = await measure(run, settings.durationSeconds, round, context);
      samples.push(sample);
      log(
        `round ${round}/${settings.rounds} ${run.server.variant.id} ${run.path}: ` +
          `${Math.round(sample.requestsPerSecond)} req/s, ` +
          `${sample.cpuMicrosPerRequest.toFixed(1)} µs CPU/req` +
          (sample.non2xx + sample.errors > 0
            ? ` (${sample.non2xx} non-2xx, ${sample.errors} errors)`
            : ""),
      );
    }
  }
  return samples;
}
