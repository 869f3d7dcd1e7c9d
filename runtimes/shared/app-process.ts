/**
 * Runs a README app as its own process, the way its page says to start it, and finds its URL in
 * the first line it prints that has one (`Listening on http://127.0.0.1:PORT/`).
 */
import { spawn } from "node:child_process";
import type { RunningApp } from "./readme-app-tests.ts";

const START_TIMEOUT_MS = 20_000;

/** Starts `command args` in `cwd` with `PORT=0` and resolves once it prints its URL. */
export function startAppProcess(command: string, args: string[], cwd: string): Promise<RunningApp> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null) child.kill();
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`${command} ${args.join(" ")} printed no URL:\n${output}`));
    }, START_TIMEOUT_MS);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({ url, close });
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}
