/**
 * The product's targets, checked against what was measured.
 *
 * @module
 */
import { FRAMEWORKS, type Framework, type PathId, VARIANTS } from "./config.js";
import type { MicroResults } from "./micro.js";
import type { ProbeCase, ProbeResult } from "./probes.js";
import { findRun, type Ratios, type RunSummary, ratios } from "./summary.js";
import { walkTarget } from "./walks.js";

/**
 * One target, checked on a primary and (where there is one) a secondary measure: for HTTP the
 * req/s ratio and the CPU ratio; for micro-benchmarks the median and the mean.
 */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  metOnSecondary: boolean | null;
}

const READ_TARGET: Readonly<Record<Framework, number>> = {
  express: 0.85,
  koa: 0.8,
  hono: 0.8,
  fastify: 0.8,
};

const formatRatios = (value: Ratios): string =>
  `${value.throughput.toFixed(2)} (CPU ${value.cpu.toFixed(2)})`;

/**
 * What the path's floor variant (`floorId`) measured against bare in the same rounds, and
 * whether it already falls short of `least` on both measures: then the target is out of reach
 * here. Empty when the floor did not run.
 */
function floorNote(
  runs: readonly RunSummary[],
  floorId: string,
  path: PathId,
  bare: RunSummary,
  least: number,
): string {
  const floor = findRun(runs, floorId, path);
  if (floor === undefined) return "";
  const value = ratios(floor, bare);
  const below = value.throughput < least && value.cpu < least;
  return `; floor ${formatRatios(value)}${below ? ", itself below the target" : ""}`;
}

function httpTargets(runs: readonly RunSummary[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const framework of FRAMEWORKS) {
    // Like with like: the incumbents sign their cookies, so the targets use signed sesame.
    const sesameId = `${framework}-sesame-signed`;
    // Each with its floor: the bare variant doing the least a library keeping sessions on the
    // server must on that path (a read: find a record and put it on the request; a login: send
    // the session's headers and keep a record), whose ratio to bare is the most sesame's can be
    // expected to reach, beyond noise.
    const targets: [PathId, number, string][] = [
      ["read", READ_TARGET[framework], `${framework}-bare-attached`],
      ["create", 0.7, `${framework}-bare-kept`],
    ];
    for (const [path, least, floorId] of targets) {
      const run = findRun(runs, sesameId, path);
      const bare = findRun(runs, `${framework}-bare`, path);
      if (bare === undefined || run === undefined) continue;
      const value = ratios(run, bare);
      checks.push({
        target: `${framework} ${path} (memory) ≥ ${least} of bare`,
        measured: formatRatios(value) + floorNote(runs, floorId, path, bare, least),
        met: value.throughput >= least,
        metOnSecondary: value.cpu >= least,
      });
    }
    for (const incumbent of VARIANTS.filter((variant) => variant.comparedWith === sesameId)) {
      for (const [path, least] of [
        ["read", 1.6],
        ["create", 1],
      ] as const) {
        const run = findRun(runs, sesameId, path);
        const other = findRun(runs, incumbent.id, path);
        if (run === undefined || other === undefined) continue;
        const value = ratios(run, other);
        checks.push({
          target: `${framework} ${path} ≥ ${least} × ${incumbent.label}`,
          measured: formatRatios(value),
          met: value.throughput >= least,
          metOnSecondary: value.cpu >= least,
        });
      }
    }
  }
  return checks;
}

function probeTargets(probes: readonly ProbeResult[]): TargetCheck[] {
  const limits: [ProbeCase, string, (calls: number) => boolean][] = [
    ["read", "exactly 1", (calls) => calls === 1],
    ["no cookie", "0", (calls) => calls === 0],
    ["malformed cookie", "0", (calls) => calls === 0],
    ["touch", "≤ 2", (calls) => calls <= 2],
  ];
  const checks: TargetCheck[] = [];
  for (const [probe, wanted, accept] of limits) {
    const results = probes.filter(
      (result) => result.probe === probe && result.variantId.includes("sesame"),
    );
    for (const redis of [false, true]) {
      const parts = results
        .filter((result) => (result.redisCalls !== null) === redis)
        .map((result) => ({
          id: result.variantId,
          least: (redis ? result.minRedisCalls : result.minStoreCalls) ?? 0,
          most: (redis ? result.maxRedisCalls : result.maxStoreCalls) ?? 0,
        }));
      if (parts.length === 0) continue;
      checks.push({
        target: `${redis ? "Redis round trips" : "store calls"} per ${probe} request: ${wanted}`,
        measured: parts
          .map((part) =>
            part.least === part.most
              ? `${part.id} ${part.most}`
              : `${part.id} ${part.least}–${part.most}`,
          )
          .join(", "),
        met: parts.every((part) => accept(part.most) && accept(part.least)),
        metOnSecondary: null,
      });
    }
  }
  return checks;
}

function microTargets(micro: MicroResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const validate = micro.core.operations.find((timing) => timing.name.startsWith("validate"));
  if (validate !== undefined) {
    checks.push({
      target: "core validate (memory store) ≤ 4 µs/op",
      measured: `median ${(validate.p50Ns / 1000).toFixed(2)} µs, mean ${(validate.avgNs / 1000).toFixed(2)} µs`,
      met: validate.p50Ns <= 4000,
      metOnSecondary: validate.avgNs <= 4000,
    });
  }
  const smallest = micro.stores[0];
  const largest = micro.stores[micro.stores.length - 1];
  if (smallest !== undefined && largest !== undefined) {
    for (const name of ["get", "update (touch: new expiry)", "validate through the manager"]) {
      const from = smallest.timings.find((timing) => timing.name === name);
      const to = largest.timings.find((timing) => timing.name === name);
      if (from === undefined || to === undefined) continue;
      const median = to.p50Ns / from.p50Ns;
      const mean = to.avgNs / from.avgNs;
      checks.push({
        target: `memory store ${name}: ${smallest.sessions} → ${largest.sessions} sessions within 1.5×`,
        measured: `median ${median.toFixed(2)}× (${(from.p50Ns / 1000).toFixed(2)} → ${(to.p50Ns / 1000).toFixed(2)} µs), mean ${mean.toFixed(2)}×`,
        met: median <= 1.5,
        metOnSecondary: mean <= 1.5,
      });
    }
  }
  for (const store of micro.stores) {
    checks.push({
      target: `heap per small session ≤ 400 B (${store.sessions} sessions)`,
      measured: `${Math.round(store.heapBytesPerSession)} B`,
      met: store.heapBytesPerSession <= 400,
      metOnSecondary: null,
    });
  }
  checks.push(walkTarget(micro.walks));
  return checks;
}

/** Every target, checked against what was measured. */
export function checkTargets(
  runs: readonly RunSummary[],
  probes: readonly ProbeResult[],
  micro: MicroResults | null,
): TargetCheck[] {
  return [
    ...httpTargets(runs),
    ...probeTargets(probes),
    ...(micro === null ? [] : microTargets(micro)),
  ];
}
