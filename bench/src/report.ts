/**
 * Writes the results as Markdown: machine and versions, HTTP tables, targets, store calls,
 * Redis commands, cookie sizes and micro-benchmarks.
 *
 * @module
 */
import { FRAMEWORKS, PATHS, VARIANTS } from "./config.js";
import type { Environment } from "./environment.js";
import { fixed, int, table } from "./markdown.js";
import type { MicroResults } from "./micro.js";
import type { CookieSize, ProbeResult } from "./probes.js";
import { cookieSection, microSection, probeSection, redisSection } from "./report-details.js";
import { findRun, type RunSummary, ratios } from "./summary.js";
import type { TargetCheck } from "./targets.js";
import { renderWalks } from "./walks.js";

/** Everything one `pnpm bench` produced. */
export interface BenchResults {
  environment: Environment;
  runs: RunSummary[];
  targets: TargetCheck[];
  probes: ProbeResult[];
  cookies: CookieSize[];
  micro: MicroResults | null;
}

function environmentSection(env: Environment): string {
  const versions = Object.entries(env.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    `- Date: ${env.date}`,
    `- Command: \`${env.command}\``,
    `- Machine: ${env.cpuModel}, ${env.cores} cores (nproc), ${env.memoryGb} GB RAM; load average at start ${env.loadAverageStart}, at end ${env.loadAverageEnd ?? "–"}`,
    `- Pinning: ${env.pinned ? "servers and micro-benchmarks on CPU 1 (`taskset -c 1`), autocannon on CPU 0 (`taskset -c 0`)" : "none (taskset unavailable or fewer than 2 cores); numbers are noisier"}`,
    `- Node ${env.node}; Redis ${env.redisVersion ?? "not reachable (Redis variants skipped)"}`,
    `- Packages: ${versions}`,
    `- Load: ${env.settings.connections} connections, ${env.settings.durationSeconds} s per run after a ${env.settings.warmupSeconds} s warm-up, ${env.settings.rounds} interleaved rounds, each on freshly started server processes warmed up for it; medians over rounds`,
  ].join("\n");
}

function runCells(run: RunSummary | undefined, bare: RunSummary | undefined): string[] {
  if (run === undefined) return ["–", "–", "–", "–"];
  const toBare = bare === undefined ? undefined : ratios(run, bare);
  return [
    `${int(run.rpsMedian)} (${int(run.rpsMin)}–${int(run.rpsMax)})`,
    toBare === undefined ? "–" : fixed(toBare.throughput),
    fixed(run.cpuMedian, 1),
    toBare === undefined ? "–" : fixed(toBare.cpu),
  ];
}

function httpSection(runs: readonly RunSummary[]): string {
  const parts: string[] = [];
  for (const framework of FRAMEWORKS) {
    const rows: string[][] = [];
    for (const path of PATHS) {
      const bare = findRun(runs, `${framework}-bare`, path);
      for (const variant of VARIANTS.filter((candidate) => candidate.framework === framework)) {
        const run = findRun(runs, variant.id, path);
        if (run === undefined) continue;
        const sesame =
          variant.comparedWith === undefined
            ? undefined
            : findRun(runs, variant.comparedWith, path);
        const versus = sesame === undefined ? undefined : ratios(sesame, run);
        rows.push([
          path,
          variant.label,
          ...runCells(run, bare),
          versus === undefined ? "" : fixed(versus.throughput),
          versus === undefined ? "" : fixed(versus.cpu),
        ]);
      }
    }
    parts.push(
      `### ${framework}\n\n${table(
        [
          "path",
          "variant",
          "req/s median (min–max)",
          "÷ bare",
          "CPU µs/req",
          "÷ bare (CPU)",
          "sesame ÷ this",
          "sesame ÷ this (CPU)",
        ],
        rows,
      )}`,
    );
  }
  return parts.join("\n\n");
}

function targetSection(targets: readonly TargetCheck[]): string {
  const mark = (value: boolean | null): string => (value === null ? "" : value ? "met" : "MISSED");
  const intro =
    "HTTP targets are checked on the req/s ratio (primary) and the CPU-per-request ratio (secondary); " +
    "micro-benchmark targets on the median (primary) and the mean (secondary), since other tenants of a " +
    'shared machine inflate means. Beside each "of bare" target, "floor" is the bare app doing the least a ' +
    "library keeping sessions on the server must on that path (a read: one middleware that finds a record; a " +
    "login: the session's headers and one record kept), paired with bare in the same rounds: sesame is not " +
    "expected to measure above it beyond noise, so a floor below the target on both measures puts that target " +
    "out of reach on this machine.";
  return `${intro}\n\n${table(
    ["target", "measured", "primary", "secondary"],
    targets.map((check) => [
      check.target,
      check.measured,
      mark(check.met),
      mark(check.metOnSecondary),
    ]),
  )}`;
}

function notesSection(runs: readonly RunSummary[]): string {
  const notes: string[] = [];
  for (const run of runs) {
    if (run.failures > 0) {
      notes.push(`- ${run.variant.id} ${run.path}: ${run.failures} non-2xx responses or errors.`);
    }
    if (run.loadCpuShareMax > 0.9) {
      notes.push(
        `- ${run.variant.id} ${run.path}: the load generator used ${fixed(run.loadCpuShareMax * 100, 0)}% of its core; this run may be load-generator bound (the CPU ratio is the fairer number).`,
      );
    }
  }
  return notes.length === 0
    ? "- No failed requests; the load generator never saturated its core."
    : notes.join("\n");
}

/** The whole RESULTS.md. */
export function renderResults(results: BenchResults): string {
  const sections = [
    "# Benchmark results",
    "Written by `pnpm bench` (see README.md for what each variant is and how to read the numbers).",
    `## Machine and versions\n\n${environmentSection(results.environment)}`,
    `## Targets\n\n${targetSection(results.targets)}`,
    `## HTTP throughput and server CPU per request\n\n"÷ bare" is the variant's req/s over the bare server's on the same path (the same routes and answers, no session library), the median of the per-round ratios; "(CPU)" is the bare server's CPU per request over the variant's, the fairer ratio on a shared, noisy machine. "sesame ÷ this" compares sesame with that incumbent on the same path (above 1: sesame is faster).\n\n${httpSection(results.runs)}`,
    `## Notes on the runs\n\n${notesSection(results.runs)}`,
    `## Store calls per request (memory stores)\n\nFewest–most store calls in one request (bold), then the mean per method, over single requests sent one at a time.\n\n${probeSection(results.probes)}`,
    `## Redis commands per request\n\n${redisSection(results.probes, results.runs)}`,
    `## Cookie sizes\n\n${cookieSection(results.cookies)}`,
  ];
  if (results.micro !== null) {
    sections.push(`## Micro-benchmarks\n\n${microSection(results.micro)}`);
    sections.push(
      `## One request's walk\n\nThe files of sesame, and the functions in them, that one request runs through on a listening server (V8's precise coverage around the request, after a warm-up; \`pnpm walk\` prints the same). The first read of a cookie verifies its MAC and hashes its token; a later read finds both already known.\n\n${renderWalks(results.micro.walks)}`,
    );
  }
  return `${sections.join("\n\n")}\n`;
}
