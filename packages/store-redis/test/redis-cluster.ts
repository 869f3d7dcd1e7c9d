/**
 * A throwaway three-primary Redis Cluster on loopback, made from the `redis-server` binary.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findFreePort, RedisServer, sendCommand } from "./redis-server.js";

const run = promisify(execFile);
const RELAXED_NODE_TIMEOUT = ["CONFIG", "SET", "cluster-node-timeout", "5000"];

/** A running cluster; `stop()` kills exactly its processes and removes its directory. */
export interface TestCluster {
  /** Ports of the primaries. */
  ports: number[];
  stop(): Promise<void>;
}

/** Starts `size` cluster-enabled nodes, joins them with `redis-cli --cluster create`, waits for `cluster_state:ok`. */
export async function startCluster(size = 3): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), "sesame-redis-cluster-"));
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill("SIGKILL")));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < size; index++) nodes.push(await startNode(dir));
    const ports = nodes.map((node) => node.port);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    const options = ["--cluster-replicas", "0", "--cluster-yes"];
    await run("redis-cli", ["--cluster", "create", ...addresses, ...options], { timeout: 20_000 });
    await Promise.all(ports.map((port) => waitForClusterOk(port, 10_000)));
    // Formed with a short node timeout (fast gossip, so `create` converges in about 1 s),
    // then relaxed so a busy machine does not make nodes mark each other as failing.
    await Promise.all(ports.map((port) => sendCommand(port, RELAXED_NODE_TIMEOUT)));
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startNode(dir: string): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const args = [
      ...["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`],
      ...["--cluster-node-timeout", "500"],
    ];
    try {
      return await RedisServer.start({ port, dir, args });
    } catch (error) {
      // Another process may have taken the port between the probe and the bind: try again.
      if (attempt >= 3) throw error;
    }
  }
}

async function waitForClusterOk(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await sendCommand(port, ["CLUSTER", "INFO"]).catch(() => "");
    if (info.includes("cluster_state:ok")) return;
    if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok: ${info}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
