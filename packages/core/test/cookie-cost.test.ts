import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { MemoryStore, SessionManager } from "../src/index.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/**
 * `Cookie` headers about `bytes` long ending in a session-looking value: many short pairs, or
 * many `;` with no `=` between them (each piece then has none to find before the last).
 */
const pathologicalHeaders = {
  "short pairs": (bytes: number) =>
    `${"a=b; ".repeat(Math.floor(bytes / 5))}__Host-sid=${"A".repeat(43)}`,
  "separators without a pair": (bytes: number) =>
    `${";".repeat(bytes)}__Host-sid=${"A".repeat(43)}`,
};

/** Median milliseconds one load of a request with `header` takes. */
async function medianLoadMs(
  manager: SessionManager,
  header: string,
  runs: number,
): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await manager.load(header, { secure: true });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

describe("pathological Cookie headers", () => {
  it.each(Object.entries(pathologicalHeaders))(
    "of %s cost time linear in their size, far under 50 ms, and leave the heap where it was",
    async (_, pathologicalHeader) => {
      const manager = new SessionManager({ store: new MemoryStore() });
      const small = pathologicalHeader(1024);
      const large = pathologicalHeader(64 * 1024);
      await medianLoadMs(manager, large, 50);
      const smallMs = await medianLoadMs(manager, small, 200);
      const largeMs = await medianLoadMs(manager, large, 200);
      expect(largeMs).toBeLessThan(50);
      // 64 times the bytes may cost at most ~4 × 64 times the time: linear, never quadratic.
      expect(largeMs / Math.max(smallMs, 0.001)).toBeLessThan(256);

      collectGarbage();
      const baseline = process.memoryUsage().heapUsed;
      for (let run = 0; run < 10_000; run++) {
        await manager.load(large, { secure: true });
      }
      collectGarbage();
      expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(2 * 1024 * 1024);
    },
  );
});
