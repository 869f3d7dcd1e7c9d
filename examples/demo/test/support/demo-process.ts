/**
 * Starts the demo as its own process, exactly as `pnpm start` does, and stops it by its PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The demo package folder. */
export const DEMO_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** A running demo process. */
export interface DemoProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Everything it printed so far. */
  output(): string;
  /** Whether the current process has not exited (a crash under load shows here). */
  isRunning(): boolean;
  /** Sends SIGTERM and waits for a clean exit; resolves the exit code. */
  stop(): Promise<number | null>;
  /** Stops it and starts it again on the same port with the same environment. */
  restart(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Spawns `node --import tsx --conditions=source src/main.ts` with `env` added to this process's
 * environment (`PORT` defaults to 0: any free port), and resolves once it prints its URL.
 */
export async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
  let log = "";
  let child = await spawnDemo({ PORT: "0", ...env }, (text) => {
    log += text;
  });
  const port = Number(new URL(child.url).port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => log,
    isRunning: () => child.process.exitCode === null && child.process.signalCode === null,
    stop: () => stopChild(child.process),
    restart: async () => {
      await stopChild(child.process);
      child = await spawnDemo({ ...env, PORT: String(port) }, (text) => {
        log += text;
      });
    },
  };
}

/** Runs the demo until it exits by itself (for start-up errors); resolves code and output. */
export async function runDemoToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = launch(env);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

function launch(env: Record<string, string>): ChildProcess {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete environment.NODE_OPTIONS;
  return spawn(process.execPath, ["--import", "tsx", "--conditions=source", "src/main.ts"], {
    cwd: DEMO_DIR,
    env: environment,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function spawnDemo(
  env: Record<string, string>,
  onOutput: (text: string) => void,
): Promise<{ process: ChildProcess; url: string }> {
  const child = launch(env);
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The demo did not start within ${START_TIMEOUT_MS} ms:\n${seen}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      seen += text;
      onOutput(text);
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1]! });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The demo exited with ${code} before listening:\n${seen}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
