/**
 * Turns raw runs into medians and ratios.
 *
 * @module
 */
import { type PathId, VARIANTS, type Variant } from "./config.js";
import type { RunSample } from "./http-bench.js";
import type { CommandCounts } from "./redis.js";

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One variant on one path, over all rounds. */
export interface RunSummary {
  variant: Variant;
  path: PathId;
  rounds: number;
  rpsMedian: number;
  rpsMin: number;
  rpsMax: number;
  cpuMedian: number;
  serverCpuShare: number;
  loadCpuShareMax: number;
  failures: number;
  redisCommands: CommandCounts | null;
  redisRoundTrips: number | null;
  /** Req/s and CPU µs per request of each round, by round number, for paired ratios. */
  byRound: ReadonlyMap<number, { rps: number; cpu: number }>;
}

/** Medians per variant and path. */
export function summarizeRuns(samples: readonly RunSample[]): RunSummary[] {
  const groups = new Map<string, RunSample[]>();
  for (const sample of samples) {
    const key = `${sample.variantId} ${sample.path}`;
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  return [...groups.values()].map((group): RunSummary => {
    const first = group[0]!;
    const rps = group.map((sample) => sample.requestsPerSecond);
    return {
      variant: VARIANTS.find((variant) => variant.id === first.variantId)!,
      path: first.path,
      rounds: group.length,
      rpsMedian: median(rps),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      cpuMedian: median(group.map((sample) => sample.cpuMicrosPerRequest)),
      serverCpuShare: median(group.map((sample) => sample.serverCpuShare)),
      loadCpuShareMax: Math.max(...group.map((sample) => sample.loadCpuShare)),
      failures: group.reduce((sum, sample) => sum + sample.non2xx + sample.errors, 0),
      redisCommands: medianCommands(group),
      redisRoundTrips:
        first.redisRoundTrips === null
          ? null
          : median(group.map((sample) => sample.redisRoundTrips ?? Number.NaN)),
      byRound: new Map(
        group.map((sample) => [
          sample.round,
          { rps: sample.requestsPerSecond, cpu: sample.cpuMicrosPerRequest },
        ]),
      ),
    };
  });
}

function medianCommands(group: readonly RunSample[]): CommandCounts | null {
  const lists = group.map((sample) => sample.redisCommands).filter((counts) => counts !== null);
  if (lists.length === 0) return null;
  const names = new Set(lists.flatMap((counts) => Object.keys(counts)));
  return Object.fromEntries(
    [...names].map((name) => [name, median(lists.map((counts) => counts[name] ?? 0))]),
  );
}

/** Looks a summary up. */
export function findRun(
  runs: readonly RunSummary[],
  variantId: string,
  path: PathId,
): RunSummary | undefined {
  return runs.find((run) => run.variant.id === variantId && run.path === path);
}

/** Throughput and CPU ratios of a run against another on its path (bare, or the incumbent). */
export interface Ratios {
  /** `run` req/s ÷ `base` req/s. */
  throughput: number;
  /** `base` CPU per request ÷ `run` CPU per request: the throughput ratio if both were CPU-bound. */
  cpu: number;
}

/**
 * How `run` compares with `base`: the median over rounds of the ratio within each round (the two
 * ran a few runs apart in that round, so machine noise that shifts a whole round cancels), or the
 * ratio of medians when the two share no round.
 */
export function ratios(run: RunSummary, base: RunSummary): Ratios {
  const throughput: number[] = [];
  const cpu: number[] = [];
  for (const [round, sample] of run.byRound) {
    const other = base.byRound.get(round);
    if (other === undefined) continue;
    throughput.push(sample.rps / other.rps);
    cpu.push(other.cpu / sample.cpu);
  }
  if (throughput.length === 0) {
    return { throughput: run.rpsMedian / base.rpsMedian, cpu: base.cpuMedian / run.cpuMedian };
  }
  return { throughput: median(throughput), cpu: median(cpu) };
}
