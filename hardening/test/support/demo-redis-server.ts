/**
 * A Redis server of the test's own, on a free loopback port, with an append-only file synced on
 * every write (`--appendonly yes --appendfsync always`) in a temporary folder, so what it
 * acknowledged survives a crash. The test can kill it by its PID and start it again on the same
 * port and folder: a real outage and restart, without touching the shared Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface OwnRedisServer {
  port: number;
  url: string;
  /** The running server's PID, or `null` while it is stopped. */
  pid(): number | null;
  /** Ends the server by its PID (`SIGKILL`: a crash, `SIGTERM`: a clean shutdown). */
  stop(signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts it again on the same port and folder, and resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Starts a private `redis-server` and resolves once it answers PING. */
export async function startOwnRedis(): Promise<OwnRedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "sesame-hardening-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
  args.push("--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no");
  let child: ChildProcess | null = null;
  let log = "";

  const start = async (): Promise<void> => {
    const spawned = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    spawned.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    spawned.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child = spawned;
    await waitForPing(port, spawned, () => log);
  };
  const stop = async (signal: "SIGKILL" | "SIGTERM"): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill(signal);
    await exited;
  };
  try {
    await start();
  } catch (error) {
    await stop("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => (child as ChildProcess | null)?.pid ?? null,
    stop,
    start,
    dispose: async () => {
      await stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early:\n${log()}`);
    const client = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      retryStrategy: () => null,
    });
    client.on("error", () => {});
    const answered = await client
      .connect()
      .then(() => client.ping())
      .then(
        (reply) => reply === "PONG",
        () => false,
      );
    client.disconnect();
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A free loopback port (closed again at once; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
