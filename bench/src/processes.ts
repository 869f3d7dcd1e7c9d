/**
 * Child processes: started pinned to a core with `taskset` when it is available, tracked by
 * PID, and always stopped by PID (on success, on error and on SIGINT/SIGTERM).
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The bench package's directory: children run from here, so the loader and tsx resolve. */
export const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * Node flags that let a child run TypeScript, with workspace packages resolved to their sources
 * and compiled as the published build is (see loader/hooks.mjs).
 */
const TYPESCRIPT_FLAGS = ["--conditions=source", "--import", "./loader/register.mjs"];

const running = new Map<number, ChildProcess>();
let pinning: boolean | undefined;

/** Whether children can be pinned: `taskset` works and there are at least two cores. */
export function canPin(): boolean {
  if (pinning === undefined) {
    pinning = availableParallelism() >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  }
  return pinning;
}

/** How to start one child. */
export interface ChildOptions {
  /** Script path relative to the bench directory. */
  script: string;
  /** Name used to prefix the child's output. */
  name: string;
  /** Core to pin the child to (ignored when pinning is unavailable). */
  core: number;
  env?: Record<string, string>;
  /** Extra Node flags, for example `--expose-gc`. */
  nodeFlags?: readonly string[];
}

/** Starts a Node child that runs a TypeScript file, with an IPC channel. */
export function startChild(options: ChildOptions): ChildProcess {
  const nodeArgs = [...TYPESCRIPT_FLAGS, ...(options.nodeFlags ?? []), options.script];
  const [command, args] = canPin()
    ? ["taskset", ["-c", String(options.core), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command as string, args as string[], {
    cwd: BENCH_DIR,
    env: { ...process.env, NODE_ENV: "production", ...options.env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  if (child.pid === undefined) throw new Error(`Could not start ${options.name}.`);
  const pid = child.pid;
  running.set(pid, child);
  child.once("exit", () => running.delete(pid));
  prefixLines(child, options.name);
  return child;
}

/** Copies the child's output to ours, prefixed with its name, each distinct line once. */
function prefixLines(child: ChildProcess, name: string): void {
  const seen = new Set<string>();
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      if (seen.has(line)) return;
      seen.add(line);
      process.stderr.write(`  [${name}] ${line}\n`);
    });
  }
}

/** Resolves the first IPC message that `accept` recognises, or rejects after `timeoutMs`. */
export function waitForMessage<T>(
  child: ChildProcess,
  accept: (message: unknown) => message is T,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`No reply from child ${child.pid} within ${timeoutMs} ms.`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!accept(message)) return;
      finish();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      finish();
      reject(new Error(`Child ${child.pid} exited (code ${code}) before replying.`));
    };
    const finish = (): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Stops one child by PID: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signal(pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (running.has(pid)) signal(pid, "SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Stops every child this process started. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running.values()].map((child) => stopChild(child)));
}

/** PIDs of the children still running. */
export function runningPids(): number[] {
  return [...running.keys()];
}

/**
 * Makes sure children die with us: `cleanup` runs once on SIGINT, SIGTERM, an uncaught error,
 * or when `deadlineMs` passes; then the process exits non-zero.
 */
export function installCleanup(cleanup: () => Promise<void>, deadlineMs: number): void {
  let exiting = false;
  const abort = (reason: string, code: number): void => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\nbench: ${reason}; stopping children ${runningPids().join(" ")}\n`);
    const hardStop = setTimeout(() => {
      for (const pid of runningPids()) signal(pid, "SIGKILL");
      process.exit(code);
    }, 5_000);
    hardStop.unref();
    const exit = (): never => process.exit(code);
    cleanup().then(exit, exit);
  };
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  process.on("uncaughtException", (error) => abort(`uncaught ${error.stack ?? error}`, 1));
  process.on("unhandledRejection", (error) => abort(`unhandled rejection ${String(error)}`, 1));
  setTimeout(() => abort(`deadline of ${deadlineMs / 1000} s passed`, 1), deadlineMs).unref();
}
