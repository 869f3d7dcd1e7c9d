/**
 * Runs the micro-benchmarks, each in its own child process pinned to the server core: the
 * core operations once, then the memory store at each size in a fresh process (so heap
 * measurements start clean), then the walk of one request on each framework.
 *
 * @module
 */
import type { CoreMicroResult } from "./micro/core.js";
import type { StoreScaleResult } from "./micro/store-scale.js";
import { startChild, stopChild, waitForMessage } from "./processes.js";
import type { MicroReplyMessage } from "./protocol.js";
import { SERVER_CORE } from "./server-pool.js";
import type { RequestWalk } from "./walks.js";

/** Store sizes measured, smallest first. */
export const STORE_SIZES = [10_000, 100_000, 1_000_000] as const;

/** Everything the micro-benchmarks measured. */
export interface MicroResults {
  core: CoreMicroResult;
  stores: StoreScaleResult[];
  walks: RequestWalk[];
}

async function runChild<T>(
  script: string,
  name: string,
  env: Record<string, string>,
  nodeFlags: readonly string[],
): Promise<T> {
  const child = startChild({ script, name, core: SERVER_CORE, env, nodeFlags });
  try {
    const reply = await waitForMessage(
      child,
      (message): message is MicroReplyMessage<T> =>
        (message as MicroReplyMessage<T> | null)?.type === "micro",
      180_000,
    );
    return reply.result;
  } finally {
    await stopChild(child);
  }
}

/** Runs every micro-benchmark. */
export async function runMicro(log: (line: string) => void): Promise<MicroResults> {
  log("micro: core create / validate / rotate");
  const core = await runChild<CoreMicroResult>("src/micro/core.ts", "micro-core", {}, []);
  const stores: StoreScaleResult[] = [];
  for (const sessions of STORE_SIZES) {
    log(`micro: memory store with ${sessions} sessions`);
    stores.push(
      await runChild<StoreScaleResult>(
        "src/micro/store-scale.ts",
        `micro-store-${sessions}`,
        { BENCH_SESSIONS: String(sessions) },
        ["--expose-gc", "--max-old-space-size=4096"],
      ),
    );
  }
  log("walk: the files one request runs through");
  const walks = await runChild<RequestWalk[]>("src/micro/walk.ts", "walk", {}, []);
  return { core, stores, walks };
}
