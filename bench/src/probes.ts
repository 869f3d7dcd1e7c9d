/**
 * Exact counts, one request at a time: store calls and Redis commands (counted where the server
 * sends them) per request for each kind of request, and the size of each variant's cookie.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { fetchBounded, login, type RunningServer, readStats, resetServer } from "./server-pool.js";

/** The request kinds probed. */
export type ProbeCase = "read" | "no cookie" | "malformed cookie" | "touch" | "create" | "write";

/** Store calls and Redis commands of one request kind on one variant. */
export interface ProbeResult {
  variantId: string;
  probe: ProbeCase;
  requests: number;
  /** Responses with status 2xx. */
  ok: number;
  /** Mean store calls per request, by method (only methods that were called). */
  storeCalls: Record<string, number> | null;
  /** Fewest and most store calls any single request made. */
  minStoreCalls: number | null;
  maxStoreCalls: number | null;
  /** Redis commands per request the client sent (one network round trip each), by method. */
  redisCalls: Record<string, number> | null;
  /** Fewest and most Redis commands any single request sent. */
  minRedisCalls: number | null;
  maxRedisCalls: number | null;
}

/** A session cookie as a variant sets it at login. */
export interface CookieSize {
  variantId: string;
  /** `name=value` of each cookie set, as sent back in `Cookie`. */
  cookies: { name: string; valueLength: number; setCookieLength: number }[];
}

/** Requests per probe. */
const PROBE_REQUESTS = 40;

/** Garbage under both cookie names (sesame's and the incumbents'). */
const MALFORMED_COOKIE = "__Host-sid=not-a-session-token; sid=not-a-session-token";

interface ProbeRequest {
  method: "GET" | "POST";
  path: string;
  cookie: string | null;
  /** Pause before each request, so a touch is due every time. */
  pauseMs: number;
}

async function probeRequest(server: RunningServer, probe: ProbeCase): Promise<ProbeRequest> {
  switch (probe) {
    case "read":
      return { method: "GET", path: "/read", cookie: await login(server, ""), pauseMs: 0 };
    case "no cookie":
      return { method: "GET", path: "/read", cookie: null, pauseMs: 0 };
    case "malformed cookie":
      return { method: "GET", path: "/read", cookie: MALFORMED_COOKIE, pauseMs: 0 };
    case "touch":
      return { method: "GET", path: "/t/read", cookie: await login(server, "/t"), pauseMs: 2 };
    case "create":
      return { method: "POST", path: "/login", cookie: null, pauseMs: 0 };
    case "write":
      return { method: "POST", path: "/write", cookie: await login(server, ""), pauseMs: 0 };
  }
}

function totalCalls(calls: Record<string, number> | null): number {
  return Object.values(calls ?? {}).reduce((sum, value) => sum + value, 0);
}

function difference(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) delta[name] = value - (before[name] ?? 0);
  return delta;
}

/** Fewest and most calls in one request, and the totals, of one kind of counter. */
interface CallTally {
  least: number;
  most: number;
  totals: Record<string, number>;
}

function tally(deltas: readonly Record<string, number>[]): CallTally {
  const totals: Record<string, number> = {};
  let least = Number.POSITIVE_INFINITY;
  let most = 0;
  for (const delta of deltas) {
    const calls = totalCalls(delta);
    least = Math.min(least, calls);
    most = Math.max(most, calls);
    for (const [name, value] of Object.entries(delta)) totals[name] = (totals[name] ?? 0) + value;
  }
  return { least, most, totals };
}

async function runProbe(server: RunningServer, probe: ProbeCase): Promise<ProbeResult> {
  await resetServer(server);
  const request = await probeRequest(server, probe);
  const headers: Record<string, string> = request.cookie === null ? {} : { cookie: request.cookie };
  let previous = await readStats(server);
  let ok = 0;
  const storeDeltas: Record<string, number>[] = [];
  const redisDeltas: Record<string, number>[] = [];
  for (let index = 0; index < PROBE_REQUESTS; index++) {
    if (request.pauseMs > 0) await sleep(request.pauseMs);
    const response = await fetchBounded(`${server.baseUrl}${request.path}`, {
      method: request.method,
      headers,
    });
    await response.arrayBuffer();
    if (response.ok) ok++;
    const stats = await readStats(server);
    storeDeltas.push(difference(previous.storeCalls ?? {}, stats.storeCalls ?? {}));
    redisDeltas.push(difference(previous.redisCalls ?? {}, stats.redisCalls ?? {}));
    previous = stats;
  }
  const store = previous.storeCalls === null ? null : tally(storeDeltas);
  const redis = previous.redisCalls === null ? null : tally(redisDeltas);
  return {
    variantId: server.variant.id,
    probe,
    requests: PROBE_REQUESTS,
    ok,
    storeCalls: store === null ? null : perRequest(store.totals),
    minStoreCalls: store?.least ?? null,
    maxStoreCalls: store?.most ?? null,
    redisCalls: redis === null ? null : perRequest(redis.totals),
    minRedisCalls: redis?.least ?? null,
    maxRedisCalls: redis?.most ?? null,
  };
}

function perRequest(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([, calls]) => calls > 0)
      .map(([name, calls]) => [name, calls / PROBE_REQUESTS]),
  );
}

/** The probe cases, in table order. */
export const PROBE_CASES: readonly ProbeCase[] = [
  "read",
  "no cookie",
  "malformed cookie",
  "touch",
  "create",
  "write",
];

/** Probes every session variant. */
export async function runProbes(
  servers: ReadonlyMap<string, RunningServer>,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const server of servers.values()) {
    if (server.variant.kind === "bare") continue;
    for (const probe of PROBE_CASES) results.push(await runProbe(server, probe));
    await resetServer(server);
  }
  return results;
}

/** The cookies each session variant sets at login. */
export async function measureCookies(
  servers: ReadonlyMap<string, RunningServer>,
): Promise<CookieSize[]> {
  const sizes: CookieSize[] = [];
  for (const server of servers.values()) {
    if (server.variant.kind === "bare") continue;
    const response = await fetchBounded(`${server.baseUrl}/login`, { method: "POST" });
    await response.arrayBuffer();
    const cookies = response.headers.getSetCookie().map((line) => {
      const pair = line.split(";")[0]!;
      const equals = pair.indexOf("=");
      return {
        name: pair.slice(0, equals),
        valueLength: pair.length - equals - 1,
        setCookieLength: line.length,
      };
    });
    sizes.push({ variantId: server.variant.id, cookies });
    await resetServer(server);
  }
  return sizes;
}
