/**
 * The orchestrator's side of the load generator process.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { startChild, waitForMessage } from "./processes.js";
import type {
  LoadJob,
  LoadOutcome,
  LoadReplyMessage,
  LoadRequestMessage,
  ReadyMessage,
} from "./protocol.js";

/** The core the load generator runs on. */
export const LOAD_CORE = 0;

/** Runs autocannon jobs, one at a time, in a pinned child process. */
export class LoadGenerator {
  readonly #child: ChildProcess;
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts the process and waits until it listens for jobs. */
  static async start(): Promise<LoadGenerator> {
    const child = startChild({ script: "src/loadgen.ts", name: "loadgen", core: LOAD_CORE });
    await waitForMessage(
      child,
      (message): message is ReadyMessage => (message as ReadyMessage | null)?.type === "ready",
      30_000,
    );
    return new LoadGenerator(child);
  }

  /** Runs one job; rejects if it fails or takes 20 s longer than asked. */
  async run(job: LoadJob): Promise<LoadOutcome> {
    const id = this.#nextId++;
    const request: LoadRequestMessage = { type: "run", id, job };
    const reply = waitForMessage(
      this.#child,
      (message): message is LoadReplyMessage =>
        (message as LoadReplyMessage | null)?.id === id &&
        ["result", "error"].includes((message as LoadReplyMessage).type),
      job.durationSeconds * 1000 + 20_000,
    );
    this.#child.send(request);
    const answer = await reply;
    if (answer.type === "error") throw new Error(`Load run failed: ${answer.message}`);
    return answer.outcome;
  }
}
