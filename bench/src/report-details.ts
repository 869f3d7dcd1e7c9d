/**
 * The detail sections of RESULTS.md: store calls, Redis commands, cookie sizes and
 * micro-benchmarks.
 *
 * @module
 */
import { PATHS, VARIANTS } from "./config.js";
import { fixed, int, table, us } from "./markdown.js";
import type { MicroResults } from "./micro.js";
import { type CookieSize, PROBE_CASES, type ProbeResult } from "./probes.js";
import type { CommandCounts } from "./redis.js";
import { findRun, type RunSummary } from "./summary.js";

function describeCalls(calls: Record<string, number> | null): string {
  if (calls === null) return "–";
  const entries = Object.entries(calls);
  if (entries.length === 0) return "0";
  return entries.map(([name, value]) => `${name} ${fixed(value)}`).join(", ");
}

/** Store calls per request kind, memory-store variants side by side. */
export function probeSection(probes: readonly ProbeResult[]): string {
  const variantIds = [...new Set(probes.map((probe) => probe.variantId))].filter(
    (id) => !id.endsWith("-redis"),
  );
  const rows = PROBE_CASES.map((probe) => [
    probe,
    ...variantIds.map((id) => {
      const result = probes.find((entry) => entry.variantId === id && entry.probe === probe);
      if (result === undefined) return "–";
      const range =
        result.minStoreCalls === result.maxStoreCalls
          ? `${result.maxStoreCalls}`
          : `${result.minStoreCalls}–${result.maxStoreCalls}`;
      return `**${range}** (${describeCalls(result.storeCalls)})`;
    }),
  ]);
  return table(["request", ...variantIds], rows);
}

function describeCommands(
  commands: CommandCounts | null,
  clientCommands: readonly string[],
): string {
  if (commands === null) return "–";
  const entries = Object.entries(commands);
  if (entries.length === 0) return "0";
  return entries
    .map(
      ([name, value]) =>
        `${clientCommands.includes(name) ? name.toUpperCase() : name} ${fixed(value)}`,
    )
    .join(", ");
}

/** Redis commands per request, one at a time and under load. */
export function redisSection(probes: readonly ProbeResult[], runs: readonly RunSummary[]): string {
  const variants = VARIANTS.filter((variant) => variant.store === "redis");
  const single = PROBE_CASES.map((probe) => [
    probe,
    ...variants.map((variant) => {
      const result = probes.find(
        (entry) => entry.variantId === variant.id && entry.probe === probe,
      );
      if (result === undefined || result.redisCalls === null) return "–";
      const range =
        result.minRedisCalls === result.maxRedisCalls
          ? `${result.maxRedisCalls}`
          : `${result.minRedisCalls}–${result.maxRedisCalls}`;
      return `**${range}** (${describeCalls(result.redisCalls)})`;
    }),
  ]);
  const loaded = PATHS.map((path) => [
    path,
    ...variants.map((variant) => {
      const run = findRun(runs, variant.id, path);
      if (run === undefined || run.redisCommands === null) return "–";
      return `**${fixed(run.redisRoundTrips ?? Number.NaN)}** (${describeCommands(run.redisCommands, variant.redisClientCommands ?? [])})`;
    }),
  ]);
  const header = ["request", ...variants.map((variant) => variant.label)];
  return [
    "One request at a time: commands the server's Redis client sent per request (fewest–most in bold; each is one network round trip), by client method.",
    table(header, single),
    "Under load (the HTTP runs): commands sent per completed request, counted in the server (bold; a little above the exact count, as requests still in flight when a run stops are not counted as completed), then `INFO commandstats` per request: UPPER CASE for commands clients send, lower case for commands run inside Lua scripts. Redis is shared with the test suite, so its commands can show up here as small fractions.",
    table(header, loaded),
  ].join("\n\n");
}

function labelOf(variantId: string): string {
  const variant = VARIANTS.find((candidate) => candidate.id === variantId);
  return variant === undefined ? variantId : `${variant.framework} ${variant.label}`;
}

/** The cookies each variant sets at login. */
export function cookieSection(cookies: readonly CookieSize[]): string {
  return table(
    ["variant", "cookies set at login", "value length", "Set-Cookie length"],
    cookies.map((entry) => [
      labelOf(entry.variantId),
      entry.cookies.map((cookie) => cookie.name).join(", "),
      entry.cookies.map((cookie) => String(cookie.valueLength)).join(" + "),
      entry.cookies.map((cookie) => String(cookie.setCookieLength)).join(" + "),
    ]),
  );
}

/** Core and memory-store micro-benchmarks. */
export function microSection(micro: MicroResults): string {
  const timingRows = (timings: MicroResults["core"]["operations"]): string[][] =>
    timings.map((timing) => [timing.name, us(timing.avgNs), us(timing.p50Ns), us(timing.p99Ns)]);
  const header = ["operation", "µs/op mean", "median", "p99"];
  const storeRows = micro.stores.map((store) => {
    const timing = (name: string): string => {
      const found = store.timings.find((entry) => entry.name === name);
      return found === undefined ? "–" : `${us(found.p50Ns)} (${us(found.avgNs)})`;
    };
    const sweep = (index: number): string => {
      const found = store.sweeps[index];
      return found === undefined
        ? "–"
        : `${fixed(found.totalMs, 1)} ms / ${int(found.removed)} (${int(found.nsPerRemoved)} ns each)`;
    };
    return [
      int(store.sessions),
      int(store.heapBytesPerSession),
      timing("get"),
      timing("update (touch: new expiry)"),
      timing("validate through the manager"),
      `${fixed(store.timings.find((entry) => entry.name.startsWith("sweep"))?.avgNs ?? Number.NaN, 0)} ns`,
      sweep(0),
      sweep(1),
    ];
  });
  return [
    "Core operations with the memory store, driven through `manager.load(cookieHeader, context)` and `commit()` as an adapter does:",
    table(header, timingRows(micro.core.operations)),
    "What a validation is made of, each measured alone:",
    table(header, timingRows(micro.core.parts)),
    "The memory store at scale: one session per user, created through the manager, one millisecond apart; get and update on 10 000 sessions spread over the store; times are median (mean) µs per operation. The first sweep removes the oldest tenth before anything was touched; the last one runs after the update benchmark, so it also discards the expiry-queue entries those updates left behind.",
    table(
      [
        "sessions",
        "heap B/session",
        "get µs",
        "update µs",
        "validate µs",
        "sweep, none due",
        "sweep, oldest 10% due",
        "sweep, rest due",
      ],
      storeRows,
    ),
  ].join("\n\n");
}
