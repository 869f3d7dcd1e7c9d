/**
 * The machine, versions and settings a run happened with, for RESULTS.md.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { LoadSettings } from "./config.js";
import { BENCH_DIR, canPin } from "./processes.js";
import type { BenchRedisClient } from "./redis.js";

/** What RESULTS.md says about where and how the numbers were taken. */
export interface Environment {
  date: string;
  command: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  loadAverageStart: string;
  loadAverageEnd: string | null;
  pinned: boolean;
  node: string;
  redisVersion: string | null;
  packages: Record<string, string>;
  settings: LoadSettings;
}

/** Packages whose versions the results depend on. */
const PACKAGES = [
  "@sesame/core",
  "@sesame/express",
  "@sesame/koa",
  "@sesame/hono",
  "@sesame/fastify",
  "@sesame/redis",
  "express",
  "express-session",
  "connect-redis",
  "koa",
  "koa-session",
  "hono",
  "@hono/node-server",
  "hono-sessions",
  "@hono/session",
  "fastify",
  "@fastify/session",
  "@fastify/cookie",
  "redis",
  "autocannon",
  "mitata",
];

function cpuModel(): string {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

function packageVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      const file = join(BENCH_DIR, "node_modules", name, "package.json");
      versions[name] = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      versions[name] = "not installed";
    }
  }
  return versions;
}

/** `pnpm bench`, with any `BENCH_*` overrides in front. */
function commandLine(): string {
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith("BENCH_"))
    .map(([name, value]) => `${name}=${value}`);
  return [...overrides, "pnpm bench"].join(" ");
}

/** The current load average, as "1m 5m 15m". */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

async function redisVersion(redis: BenchRedisClient | null): Promise<string | null> {
  if (redis === null) return null;
  const info = await redis.info("server");
  return /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? "unknown";
}

/** Describes this machine and run. */
export async function describeEnvironment(
  settings: LoadSettings,
  redis: BenchRedisClient | null,
): Promise<Environment> {
  return {
    date: new Date().toISOString(),
    command: commandLine(),
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverageStart: loadAverage(),
    loadAverageEnd: null,
    pinned: canPin(),
    node: process.version,
    redisVersion: await redisVersion(redis),
    packages: packageVersions(),
    settings,
  };
}
