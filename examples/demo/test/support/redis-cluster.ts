/**
 * A throwaway three-node Redis Cluster on loopback, made from the `redis-server` binary and
 * joined with `redis-cli --cluster create`. `stop()` kills exactly the processes it started.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCluster {
  ports: number[];
  stop(): Promise<void>;
}

/** Whether `redis-server` and `redis-cli` can be run; `null` when they can. */
export async function probeRedisBinaries(): Promise<string | null> {
  try {
    await run("redis-server", ["--version"]);
    await run("redis-cli", ["--version"]);
    return null;
  } catch (error) {
    return `redis-server or redis-cli is not installed (${(error as Error).message})`;
  }
}

export async function startRedisCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), "sesame-demo-cluster-"));
  const nodes: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(killNode));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) {
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"];
      args.push("--cluster-config-file", `nodes-${port}.conf`, "--dir", dir, "--save", "");
      args.push("--appendonly", "no");
      nodes.push(spawn("redis-server", args, { stdio: "ignore" }));
    }
    await Promise.all(ports.map((port) => waitFor(port, "PING", "PONG")));
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const options = ["--cluster-replicas", "0", "--cluster-yes"];
    await run("redis-cli", ["--cluster", "create", ...addresses, ...options], { timeout: 20_000 });
    await Promise.all(ports.map((port) => waitFor(port, "CLUSTER INFO", "cluster_state:ok")));
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitFor(port: number, command: string, expected: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const args = ["-p", String(port), ...command.split(" ")];
    const output = await run("redis-cli", args).then(
      (result) => result.stdout,
      () => "",
    );
    if (output.includes(expected)) return;
    if (Date.now() > deadline) throw new Error(`redis ${port}: no "${expected}" from ${command}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function killNode(node: ChildProcess): Promise<void> {
  if (node.exitCode !== null || node.signalCode !== null) return;
  const exited = new Promise((resolve) => node.once("exit", resolve));
  node.kill("SIGKILL");
  await exited;
}
