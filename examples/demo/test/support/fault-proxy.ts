/**
 * A TCP proxy in front of Redis or PostgreSQL that a test can cut: while cut, every open
 * connection is dropped and new ones are accepted but never answered (a hung store).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FaultProxy {
  port: number;
  /** Drops every connection; new ones hang until {@link restore}. */
  cut(): void;
  /** Forwards again (the hung connections are dropped, so clients reconnect). */
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (isCut) return;
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut: () => {
      isCut = true;
      dropAll();
    },
    restore: () => {
      isCut = false;
      dropAll();
    },
    close: async () => {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
