/**
 * `pnpm bench`: starts the servers and the load generator, measures cookies, store calls and
 * HTTP throughput, runs the micro-benchmarks, and writes RESULTS.md. Every child process is
 * stopped by PID at the end, on error and on Ctrl-C; the benchmark's Redis keys are deleted.
 *
 * Environment: BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS (load settings),
 * BENCH_FRAMEWORKS (e.g. "express,hono"), BENCH_PATHS (e.g. "read,create"), BENCH_SKIP_MICRO=1,
 * BENCH_SKIP_HTTP=1, BENCH_REDIS_URL, BENCH_OUTPUT (default RESULTS.md).
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { chosenFromEnv, FRAMEWORKS, loadSettingsFromEnv, PATHS, VARIANTS } from "./config.js";
import { describeEnvironment, loadAverage } from "./environment.js";
import { runHttpBench } from "./http-bench.js";
import { LoadGenerator } from "./load-client.js";
import { type MicroResults, runMicro } from "./micro.js";
import { measureCookies, runProbes } from "./probes.js";
import { BENCH_DIR, canPin, installCleanup, stopAllChildren } from "./processes.js";
import { type BenchRedisClient, connectRedis, deleteKeysWithPrefix, redisUrl } from "./redis.js";
import { renderResults } from "./report.js";
import { type RunningServer, startServers, stopServers } from "./server-pool.js";
import { summarizeRuns } from "./summary.js";
import { checkTargets } from "./targets.js";

const began = Date.now();
const log = (line: string): void => {
  const seconds = Math.round((Date.now() - began) / 1000);
  process.stderr.write(`[${String(seconds).padStart(3)} s] ${line}\n`);
};
const settings = loadSettingsFromEnv(process.env);
const frameworks = chosenFromEnv("BENCH_FRAMEWORKS", process.env.BENCH_FRAMEWORKS, FRAMEWORKS);
const paths = chosenFromEnv("BENCH_PATHS", process.env.BENCH_PATHS, PATHS);
const redisPrefix = `sesame-bench-${process.pid}-`;
let redis: BenchRedisClient | null = null;

async function cleanUp(): Promise<void> {
  await stopAllChildren();
  if (redis === null) return;
  const client = redis;
  redis = null;
  const deleted = await deleteKeysWithPrefix(client, redisPrefix).catch(() => 0);
  if (deleted > 0) log(`deleted ${deleted} leftover Redis keys under ${redisPrefix}`);
  client.destroy();
}

installCleanup(cleanUp, 60 * 60 * 1000);
if (!canPin()) log("taskset unavailable (or fewer than 2 cores): running without CPU pinning");
redis = await connectRedis(redisUrl()).catch((error: unknown) => {
  log(`Redis not reachable (${String(error)}): skipping the Redis variants`);
  return null;
});
const environment = await describeEnvironment(settings, redis);
const variants = VARIANTS.filter(
  (variant) =>
    (variant.store !== "redis" || redis !== null) &&
    frameworks.includes(variant.framework) &&
    (variant.paths ?? PATHS).some((path) => paths.includes(path)),
);

let micro: MicroResults | null = null;
const load = await LoadGenerator.start();
/** Starts one server per variant: for the probes, then afresh for every round. */
const startRound = (): Promise<ReadonlyMap<string, RunningServer>> => {
  log(`starting ${variants.length} servers`);
  return startServers(variants, redisPrefix);
};
const servers = await startRound();
const cookies = await measureCookies(servers);
const probes = await runProbes(servers);
await stopServers(servers);
const samples =
  process.env.BENCH_SKIP_HTTP === "1"
    ? []
    : await runHttpBench(startRound, settings, { load, redis }, log, paths);
await stopAllChildren();
if (process.env.BENCH_SKIP_MICRO !== "1") micro = await runMicro(log);
environment.loadAverageEnd = loadAverage();

const runs = summarizeRuns(samples);
const targets = checkTargets(runs, probes, micro);
const markdown = renderResults({ environment, runs, targets, probes, cookies, micro });
const output = resolve(BENCH_DIR, process.env.BENCH_OUTPUT ?? "RESULTS.md");
writeFileSync(output, markdown);
await cleanUp();
process.stdout.write(markdown);
log(`wrote ${output} in ${Math.round((Date.now() - began) / 1000)} s`);
process.exit(0);
