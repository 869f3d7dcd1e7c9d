/**
 * Messages between the orchestrator and its child processes (servers, load generator, micro
 * benchmarks), the JSON the servers' control routes answer, and the values both sides must
 * agree on (the bare servers' cookie).
 *
 * @module
 */

/**
 * The session cookie value the bare servers get (the unsigned sesame cookie's length); the
 * `-bare-attached` ones keep their one record under it.
 */
export const BARE_COOKIE_VALUE = "A".repeat(43);

/** Sent by a server once it listens. */
export interface ReadyMessage {
  type: "ready";
  port: number;
}

/** `GET /__bench/stats`: the server's own counters. */
export interface ServerStats {
  /** User + system CPU time of the whole server process, in microseconds. */
  cpuMicros: number;
  heapUsedBytes: number;
  /** Store method calls since start, by method name (`null` when the variant has no store). */
  storeCalls: Record<string, number> | null;
  /** Redis commands the client sent since start, by client method (`null` without Redis). */
  redisCalls: Record<string, number> | null;
}

/** One autocannon run, executed by the load generator process. */
export interface LoadJob {
  url: string;
  method: "GET" | "POST";
  /** `Cookie` header values; connection `i` sends `cookies[i % length]` on every request. */
  cookies: readonly string[];
  connections: number;
  durationSeconds: number;
}

/** What a load run measured. */
export interface LoadOutcome {
  /** Completed requests. */
  requests: number;
  /** Wall time of the run, in seconds. */
  seconds: number;
  non2xx: number;
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU time the load generator itself used, in microseconds (shows whether it saturated). */
  loadCpuMicros: number;
}

/** Parent → load generator. */
export interface LoadRequestMessage {
  type: "run";
  id: number;
  job: LoadJob;
}

/** Load generator → parent. */
export type LoadReplyMessage =
  | { type: "result"; id: number; outcome: LoadOutcome }
  | { type: "error"; id: number; message: string };

/** A micro-benchmark child's single reply. */
export interface MicroReplyMessage<T> {
  type: "micro";
  result: T;
}
