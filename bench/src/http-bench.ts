/**
 * The HTTP benchmark: round after round, start every server afresh, warm it up, then run the
 * schedule, each run measuring throughput, server CPU per request and (for Redis variants) Redis
 * commands.
 *
 * @module
 */
import {
  FRAMEWORKS,
  type LoadSettings,
  PATH_REQUESTS,
  PATHS,
  type PathId,
  VARIANTS,
} from "./config.js";
import type { LoadGenerator } from "./load-client.js";
import { BARE_COOKIE_VALUE } from "./protocol.js";
import {
  type BenchRedisClient,
  type CommandCounts,
  diffCommandCounts,
  readCommandCounts,
} from "./redis.js";
import {
  login,
  loginMany,
  type RunningServer,
  readStats,
  resetServer,
  stopServers,
} from "./server-pool.js";

/** One measured run. */
export interface RunSample {
  variantId: string;
  path: PathId;
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
  path: PathId;
}

/** A `Cookie` header shaped like sesame's unsigned one, for the bare server to parse. */
const BARE_COOKIE = `__Host-sid=${BARE_COOKIE_VALUE}`;

/**
 * Runs in the order of one round: per framework and path, the bare server then every session
 * variant (bare A B C, bare A B C …), so each path's ratios to bare pair runs of the same round.
 */
export function scheduleRound(
  servers: ReadonlyMap<string, RunningServer>,
  paths: readonly PathId[] = PATHS,
): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  for (const framework of FRAMEWORKS) {
    const variants = VARIANTS.filter((variant) => variant.framework === framework);
    for (const path of PATHS.filter((known) => paths.includes(known))) {
      for (const variant of variants) {
        const server = servers.get(variant.id);
        const runsPath = variant.paths === undefined || variant.paths.includes(path);
        if (server !== undefined && runsPath) runs.push({ server, path });
      }
    }
  }
  return runs;
}

/**
 * The `Cookie` headers the connections take turns sending: none, one session, or a pool of
 * sessions, as the path asks; the bare servers get {@link BARE_COOKIE} (the `-bare-attached` ones
 * keep one record under its value).
 */
async function cookiesFor(run: ScheduledRun, connections: number): Promise<string[]> {
  const { cookies } = PATH_REQUESTS[run.path];
  if (cookies === "none") return [];
  if (run.server.variant.kind === "bare") return [BARE_COOKIE];
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
  const request = PATH_REQUESTS[path];
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
  await resetServer(server);
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

/**
 * Measures `settings.rounds` rounds, each on server processes of its own (`startRound` starts
 * them, every one is stopped after the round): how fast one process runs the same code varies
 * by several tenths from one start to the next (where the JIT's choices and the heap's layout
 * fall), so each round's ratios come from fresh processes, and their median is over processes
 * as well as over time. Every run is warmed up on its fresh server before the round measures.
 */
export async function runHttpBench(
  startRound: () => Promise<ReadonlyMap<string, RunningServer>>,
  settings: LoadSettings,
  tools: { load: LoadGenerator; redis: BenchRedisClient | null },
  log: (line: string) => void,
  paths: readonly PathId[] = PATHS,
): Promise<RunSample[]> {
  const context = { ...tools, connections: settings.connections };
  const samples: RunSample[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const servers = await startRound();
    try {
      const schedule = scheduleRound(servers, paths);
      log(
        `round ${round}/${settings.rounds}: ${servers.size} fresh servers, ` +
          `warming up ${schedule.length} runs × ${settings.warmupSeconds} s`,
      );
      for (const run of schedule) await measure(run, settings.warmupSeconds, 0, context);
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
    } finally {
      await stopServers(servers);
    }
  }
  return samples;
}
