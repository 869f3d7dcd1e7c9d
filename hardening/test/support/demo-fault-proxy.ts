/**
 * A TCP proxy between the demo and Redis or PostgreSQL whose behaviour a test switches while
 * traffic flows:
 *
 * - `pass`: forwards both ways (anything held back is released first, in order);
 * - `hang`: accepts connections and reads what is sent, but forwards nothing either way, like
 *   a store that stopped answering. Held bytes are released, in order, on the next `pass`, so
 *   the store then answers late (a connection accepted meanwhile reaches the store only then);
 * - `refuse`: resets every open connection and every new one (a store that is gone);
 * - `slow`: forwards each chunk `latencyMs` late, in both directions, keeping the order.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export type FaultMode =
  | { kind: "pass" }
  | { kind: "hang" }
  | { kind: "refuse" }
  | { kind: "slow"; latencyMs: number };

export interface FaultProxy {
  port: number;
  /** Switches every open and future connection to `mode`. */
  set(mode: FaultMode): void;
  /** How many client connections were accepted so far. */
  accepted(): number;
  /** Resets every connection and stops listening. */
  close(): Promise<void>;
}

/** One direction of one connection: the bytes not forwarded yet, each with its release time. */
interface Lane {
  target: Socket | null;
  held: { chunk: Buffer; dueAt: number }[];
  timer: NodeJS.Timeout | null;
}

interface Link {
  client: Socket;
  upstream: Socket | null;
  toUpstream: Lane;
  toClient: Lane;
}

/** Starts a proxy on a free loopback port in front of `target`, in `pass` mode. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const links = new Set<Link>();
  let mode: FaultMode = { kind: "pass" };
  let accepted = 0;

  const drain = (lane: Lane): void => {
    if (lane.timer !== null) clearTimeout(lane.timer);
    lane.timer = null;
    if (mode.kind === "hang" || mode.kind === "refuse" || lane.target === null) return;
    const time = performance.now();
    while (lane.held.length > 0 && (mode.kind === "pass" || lane.held[0]!.dueAt <= time + 1)) {
      lane.target.write(lane.held.shift()!.chunk);
    }
    if (lane.held.length > 0) {
      const wait = Math.max(0, lane.held[0]!.dueAt - time);
      lane.timer = setTimeout(() => drain(lane), wait);
    }
  };
  const forward = (lane: Lane, chunk: Buffer): void => {
    const delay = mode.kind === "slow" ? mode.latencyMs : 0;
    lane.held.push({ chunk, dueAt: performance.now() + delay });
    if (mode.kind === "pass" || lane.timer === null) drain(lane);
  };
  const drop = (link: Link): void => {
    links.delete(link);
    for (const lane of [link.toUpstream, link.toClient]) {
      if (lane.timer !== null) clearTimeout(lane.timer);
      lane.held.length = 0;
    }
    link.client.destroy();
    link.upstream?.destroy();
  };
  const reset = (socket: Socket | null): void => {
    if (socket !== null && !socket.destroyed) socket.resetAndDestroy();
  };
  const connectUpstream = (link: Link): void => {
    const upstream = createConnection(target);
    link.upstream = upstream;
    link.toUpstream.target = upstream;
    upstream.on("data", (chunk: Buffer) => forward(link.toClient, chunk));
    upstream.on("error", () => drop(link));
    upstream.once("close", () => drop(link));
    upstream.once("connect", () => drain(link.toUpstream));
  };

  const server: Server = createServer((client) => {
    accepted++;
    if (mode.kind === "refuse") {
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    const link: Link = {
      client,
      upstream: null,
      toUpstream: { target: null, held: [], timer: null },
      toClient: { target: client, held: [], timer: null },
    };
    links.add(link);
    client.on("data", (chunk: Buffer) => forward(link.toUpstream, chunk));
    client.on("error", () => drop(link));
    client.once("close", () => drop(link));
    if (mode.kind !== "hang") connectUpstream(link);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: (server.address() as { port: number }).port,
    set(next) {
      mode = next;
      for (const link of [...links]) {
        if (mode.kind === "refuse") {
          reset(link.client);
          reset(link.upstream);
          drop(link);
          continue;
        }
        if (mode.kind !== "hang" && link.upstream === null) connectUpstream(link);
        for (const lane of [link.toUpstream, link.toClient]) {
          if (mode.kind === "slow") {
            const dueAt = performance.now() + mode.latencyMs;
            for (const entry of lane.held) entry.dueAt = Math.max(entry.dueAt, dueAt);
          }
          drain(lane);
        }
      }
    },
    accepted: () => accepted,
    close: async () => {
      for (const link of [...links]) drop(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
