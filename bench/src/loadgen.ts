/**
 * The load generator: a long-lived child process (pinned to its own core) that runs one
 * autocannon job per message, so the orchestrator never competes with the server for CPU.
 *
 * @module
 */
import autocannon from "autocannon";
import type { LoadJob, LoadOutcome, LoadReplyMessage, LoadRequestMessage } from "./protocol.js";

async function runJob(job: LoadJob): Promise<LoadOutcome> {
  const before = process.cpuUsage();
  let next = 0;
  const result = await autocannon({
    url: job.url,
    method: job.method,
    connections: job.connections,
    duration: job.durationSeconds,
    timeout: 10,
    setupClient: (client) => {
      const cookie = job.cookies[next++ % Math.max(1, job.cookies.length)];
      if (cookie !== undefined) client.setHeaders({ cookie });
    },
  });
  const cpu = process.cpuUsage(before);
  return {
    requests: result.requests.total,
    seconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    loadCpuMicros: cpu.user + cpu.system,
  };
}

function reply(message: LoadReplyMessage): void {
  process.send?.(message);
}

process.on("message", (message: LoadRequestMessage) => {
  if (message.type !== "run") return;
  runJob(message.job).then(
    (outcome) => reply({ type: "result", id: message.id, outcome }),
    (error: unknown) => reply({ type: "error", id: message.id, message: String(error) }),
  );
});

// The orchestrator owns this process: when it goes away, so do we.
process.on("disconnect", () => process.exit(0));

process.send?.({ type: "ready", port: 0 });
