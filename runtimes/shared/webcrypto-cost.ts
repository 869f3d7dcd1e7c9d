/**
 * What core's crypto costs per call, as core calls it on a request: SHA-256 of a cookie's
 * token (its store key, on every request that carries one) and HMAC-SHA-256 of `name=token`
 * (only with signed cookies), each over the 54 bytes of `__Host-sid=<43-character token>`.
 */
import type { Platform } from "../../packages/core/src/platform/types.ts";

/** Microseconds per call, in the fastest of several rounds. */
export interface CryptoCost {
  sha256Microseconds: number;
  hmacSha256Microseconds: number;
  /** Calls per round. */
  iterations: number;
  rounds: number;
}

const MESSAGE = `__Host-sid=${"A".repeat(43)}`;
const KEY = new TextEncoder().encode("k4Yq0v9GmB2pXw7sTn3LrE8hJd6UcZfA1oQiWyMbVtRg");
const ROUNDS = 7;

/** The fastest round's time per call: on a shared machine, the least disturbed one. */
async function microsecondsPerCall(call: () => unknown, iterations: number): Promise<number> {
  for (let index = 0; index < 1_000; index++) await call();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let index = 0; index < iterations; index++) await call();
    best = Math.min(best, ((performance.now() - started) * 1000) / iterations);
  }
  return best;
}

/** Times rounds of `iterations` sequential awaited calls of each, after 1,000 warm-up calls. */
export async function measureCryptoCost(
  platform: Platform,
  iterations = 5_000,
): Promise<CryptoCost> {
  return {
    sha256Microseconds: await microsecondsPerCall(() => platform.sha256Hex(MESSAGE), iterations),
    hmacSha256Microseconds: await microsecondsPerCall(
      () => platform.hmacSha256(KEY, MESSAGE),
      iterations,
    ),
    iterations,
    rounds: ROUNDS,
  };
}

/** One line of the timing table. */
export function formatCost(label: string, cost: CryptoCost): string {
  const sha = cost.sha256Microseconds.toFixed(2);
  const hmac = cost.hmacSha256Microseconds.toFixed(2);
  const runs = `best of ${cost.rounds} rounds of ${cost.iterations} calls`;
  return `${label}: SHA-256 ${sha} µs/call, HMAC-SHA-256 ${hmac} µs/call (${runs})`;
}
