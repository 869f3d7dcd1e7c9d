/**
 * Starts the demo as its own process, as `pnpm start` does (`node --import tsx
 * --conditions=source src/main.ts` in `examples/demo`), and stops it by its PID. Unlike the
 * demo's own test helper it exposes the PID and whether the process is still running, which
 * the fault suites check after every outage.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The demo package folder. */
export const DEMO_DIR = fileURLToPath(new URL("../../../examples/demo", import.meta.url));

/** The demo's `storeTimeoutMs` (see `examples/demo/src/main.ts`): one store call's limit. */
export const DEMO_STORE_TIMEOUT_MS = 1_000;

/** A running demo process. */
export interface LaunchedDemo {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Whether the process has not exited. */
  isRunning(): boolean;
  /** Sends SIGTERM to its PID (SIGKILL after 10 s) and resolves the exit code. */
  stop(): Promise<number | null>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Spawns the demo with `env` added to this process's environment (`PORT` 0 unless given: any
 * free port) and resolves once it prints the URL it listens on.
 */
export function launchDemo(env: Record<string, string>): Promise<LaunchedDemo> {
  const environment: NodeJS.ProcessEnv = { ...process.env, PORT: "0", ...env };
  delete environment.NODE_OPTIONS;
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "src/main.ts"], {
    cwd: DEMO_DIR,
    env: environment,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The demo did not start within ${START_TIMEOUT_MS} ms:\n${log}`));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`The demo exited with ${code} before listening:\n${log}`));
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match === null || child.pid === undefined) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      const port = Number(match[1]);
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        pid: child.pid,
        output: () => log,
        isRunning: () => isRunning(child),
        stop: () => stopChild(child),
      });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", onExit);
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (!isRunning(child)) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
