/**
 * The HTTP targets as RESULTS.md checks them: each "of bare" target with its path's floor.
 */
import { describe, expect, it } from "vitest";
import type { PathId } from "../src/config.js";
import type { RunSample } from "../src/http-bench.js";
import { summarizeRuns } from "../src/summary.js";
import { checkTargets, type TargetCheck } from "../src/targets.js";

/** One round of one variant on one path: `rps` requests a second at `cpu` µs each. */
function sample(
  variantId: string,
  path: PathId,
  round: number,
  rps: number,
  cpu: number,
): RunSample {
  return {
    variantId,
    path,
    round,
    requestsPerSecond: rps,
    cpuMicrosPerRequest: cpu,
    serverCpuShare: 1,
    loadCpuShare: 0.5,
    latencyP50Ms: 1,
    latencyP99Ms: 2,
    non2xx: 0,
    errors: 0,
    redisCommands: null,
    redisRoundTrips: null,
  };
}

/** The same figures in two rounds, so the ratios are paired ones. */
function rounds(variantId: string, path: PathId, rps: number, cpu: number): RunSample[] {
  return [1, 2].map((round) => sample(variantId, path, round, rps, cpu));
}

function target(checks: readonly TargetCheck[], name: string): TargetCheck {
  const check = checks.find((candidate) => candidate.target === name);
  if (check === undefined) throw new Error(`no target ${name}`);
  return check;
}

const LOGIN = "hono create (memory) ≥ 0.7 of bare";

describe("the of-bare targets", () => {
  it("report the login floor beside the login target, flagged when it is itself below", () => {
    const runs = summarizeRuns([
      ...rounds("hono-bare", "create", 1000, 10),
      ...rounds("hono-bare-kept", "create", 500, 20),
      ...rounds("hono-sesame-signed", "create", 400, 25),
      ...rounds("hono-sessions", "create", 500, 20),
    ]);
    const checks = checkTargets(runs, [], null);
    const check = target(checks, LOGIN);
    expect(check.measured).toBe("0.40 (CPU 0.40); floor 0.50 (CPU 0.50), itself below the target");
    expect(check.met).toBe(false);
    expect(check.metOnSecondary).toBe(false);
    // A target against an incumbent has no floor.
    expect(target(checks, "hono create ≥ 1 × hono-sessions (MemoryStore)").measured).toBe(
      "0.80 (CPU 0.80)",
    );
  });

  it("do not flag a floor exactly at the target", () => {
    const runs = summarizeRuns([
      ...rounds("hono-bare", "create", 1000, 10),
      ...rounds("hono-bare-kept", "create", 700, 10 / 0.7),
      ...rounds("hono-sesame-signed", "create", 400, 25),
    ]);
    expect(target(checkTargets(runs, [], null), LOGIN).measured).toBe(
      "0.40 (CPU 0.40); floor 0.70 (CPU 0.70)",
    );
  });

  it("do not flag a floor that reaches the target on one measure", () => {
    const runs = summarizeRuns([
      ...rounds("hono-bare", "create", 1000, 10),
      ...rounds("hono-bare-kept", "create", 800, 16),
      ...rounds("hono-sesame-signed", "create", 750, 20),
    ]);
    const check = target(checkTargets(runs, [], null), LOGIN);
    expect(check.measured).toBe("0.75 (CPU 0.50); floor 0.80 (CPU 0.63)");
    expect(check.met).toBe(true);
    expect(check.metOnSecondary).toBe(false);
  });

  it("take the read floor from the middleware that finds a record, not the login floor", () => {
    const runs = summarizeRuns([
      ...rounds("koa-bare", "read", 1000, 10),
      ...rounds("koa-bare-attached", "read", 900, 11),
      ...rounds("koa-bare-kept", "read", 100, 100),
      ...rounds("koa-sesame-signed", "read", 850, 12.5),
    ]);
    const check = target(checkTargets(runs, [], null), "koa read (memory) ≥ 0.8 of bare");
    expect(check.measured).toBe("0.85 (CPU 0.80); floor 0.90 (CPU 0.91)");
    expect(check.met).toBe(true);
  });

  it("say nothing of a floor that did not run", () => {
    const runs = summarizeRuns([
      ...rounds("hono-bare", "create", 1000, 10),
      ...rounds("hono-sesame-signed", "create", 400, 25),
    ]);
    expect(target(checkTargets(runs, [], null), LOGIN).measured).toBe("0.40 (CPU 0.40)");
  });

  it("pair the floor with bare round by round", () => {
    // Paired: 0.6, 0.6 and 0.25 a round, median 0.6; the medians' ratio would be 300 / 800.
    const runs = summarizeRuns([
      sample("hono-bare", "create", 1, 1000, 10),
      sample("hono-bare", "create", 2, 500, 20),
      sample("hono-bare", "create", 3, 800, 12.5),
      sample("hono-bare-kept", "create", 1, 600, 16),
      sample("hono-bare-kept", "create", 2, 300, 32),
      sample("hono-bare-kept", "create", 3, 200, 50),
      sample("hono-sesame-signed", "create", 1, 400, 25),
      sample("hono-sesame-signed", "create", 2, 200, 50),
      sample("hono-sesame-signed", "create", 3, 320, 31.25),
    ]);
    expect(target(checkTargets(runs, [], null), LOGIN).measured).toBe(
      "0.40 (CPU 0.40); floor 0.60 (CPU 0.63), itself below the target",
    );
  });
});
