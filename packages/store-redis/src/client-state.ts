/**
 * Notices, on first use, a Redis client that was never connected (or was already closed):
 * without this, every request would be a 503 whose reason, node-redis's "The client is
 * closed", hides in the error's `cause`.
 *
 * @module
 */
import { SessionStoreError } from "@sesame/core";
import type { RedisCommands } from "./clients.js";

/** The connection state both clients expose: node-redis `isOpen`, ioredis `status`. */
interface ClientState {
  isOpen?: unknown;
  status?: unknown;
}

/**
 * Why `client` cannot take commands, as a sentence that says how to fix it, or `null`. A
 * node-redis client or cluster is closed until `connect()` is called (`isOpen` is `false`);
 * an ioredis one connects by itself, even with `lazyConnect`, unless it has ended (`quit()`,
 * `disconnect()`, or a `retryStrategy` that gave up).
 *
 * @example
 * ```ts
 * describeClosedClient(createClient()); // "RedisStore: the node-redis client is not connected; …"
 * ```
 */
export function describeClosedClient(client: unknown): string | null {
  const { isOpen, status } = (client ?? {}) as ClientState;
  if (isOpen === false) {
    return (
      "RedisStore: the node-redis client is not connected; connect the client first " +
      "(await client.connect()) before serving requests, and keep it open while serving them."
    );
  }
  if (status === "end") {
    return (
      'RedisStore: the ioredis client is closed (status "end"): quit() or disconnect() was ' +
      "called, or its retryStrategy gave up. Connect the client first and keep it open while " +
      "serving requests."
    );
  }
  return null;
}

/**
 * `commands`, each of which first checks that `client` is connected, until one call finds it
 * so; from then on they pass straight through. A closed client fails the call with a
 * `SessionStoreError` of code `store_misconfigured` whose message says how to fix it.
 *
 * @example
 * ```ts
 * const commands = checkConnectedOnFirstUse(client, toRedisCommands(client));
 * ```
 */
export function checkConnectedOnFirstUse(client: unknown, commands: RedisCommands): RedisCommands {
  let connected = false;
  const checked: Record<string, unknown> = {};
  for (const [name, command] of Object.entries(commands)) {
    if (typeof command !== "function") continue;
    checked[name] = (...args: unknown[]): unknown => {
      if (!connected) {
        const problem = describeClosedClient(client);
        // Thrown, not returned: `scanKeys` returns an iterable, and every caller is an async method.
        if (problem !== null) throw new SessionStoreError("store_misconfigured", problem);
        connected = true;
      }
      return Reflect.apply(command, commands, args);
    };
  }
  return checked as unknown as RedisCommands;
}
