/**
 * What every benchmark server shares: the HTTP server around the framework's request
 * listener, the control routes the orchestrator reads (`/__bench/stats`, `/__bench/reset`),
 * store call counting, and a Map-backed store for incumbents that take an external store.
 *
 * @module
 */
import { createServer, type RequestListener, type ServerResponse } from "node:http";
import { getCookieValues } from "@sesame/core";
import { BARE_COOKIE_VALUE, type ReadyMessage, type ServerStats } from "../protocol.js";

/** Store method calls by name. */
export type StoreCalls = Record<string, number>;

/** The request listeners of one variant, built with empty stores. */
export interface VariantApps {
  /** Handles every request except `/t/…` and `/__bench/…`. */
  main: RequestListener;
  /** Handles `/t/…`: the same routes, configured to touch the session on every read. */
  touch?: RequestListener;
}

/** A variant as one server process runs it. */
export interface HostedVariant {
  /** Store calls since start (shared by both apps and every rebuild), or `null` without a store. */
  storeCalls: StoreCalls | null;
  /** Redis commands sent since start, by client method, for the Redis variants. */
  redisCalls?: StoreCalls;
  /** Builds the apps with fresh, empty stores; called at start and on every reset. */
  build(): VariantApps;
  /** Empties storage outside the process (Redis keys) before a rebuild. */
  clearExternal?(): Promise<void>;
  /** Releases connections (Redis) before the process exits. */
  close?(): Promise<void>;
}

/** Session data every benchmark app keeps. */
export interface BenchData extends Record<string, unknown> {
  n?: number;
}

/** The cookie name the incumbents use (sesame keeps its default, `__Host-sid`). */
export const INCUMBENT_COOKIE_NAME = "sid";

/** A 48-byte random-looking secret for libraries that sign or encrypt the cookie. */
export const BENCH_SECRET = "6d1f0f3c9b2a47e8a1c5d4b3e2f1a0998877665544332211ffeeddccbbaa9f8e";

/** Idle timeout every variant is configured with, in seconds. */
export const IDLE_TIMEOUT_SECONDS = 30 * 60;

/** Absolute timeout, where a library has one, in seconds. */
export const ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60;

/** The user the bare apps answer on `/read` and `/write`: they keep no sessions. */
export const BARE_USER_ID = "bench-user";

/**
 * The bare apps' stand-in for a session library: core's parser reads sesame's cookie
 * (`__Host-sid`) from the `Cookie` header, then the answer is {@link BARE_USER_ID} regardless.
 */
export function bareUserId(cookieHeader: string | undefined): string {
  getCookieValues(cookieHeader, "__Host-sid");
  return BARE_USER_ID;
}

/** What the `-bare-attached` apps' middleware puts on the request: a session's user. */
export interface AttachedRecord {
  userId: string;
}

/** The one record the `-bare-attached` apps find, under the bare cookie's value. */
const attachedRecords = new Map<string, AttachedRecord>([
  [BARE_COOKIE_VALUE, { userId: BARE_USER_ID }],
]);

/**
 * What any session middleware does on a read before the route runs, and nothing else: parses
 * the session cookie out of the `Cookie` header and finds its record in a `Map`. The
 * `-bare-attached` apps put the answer on the request in their framework's own way, so the
 * report shows what one session middleware costs a framework by itself, whatever the library.
 */
export function findAttachedRecord(cookieHeader: string | undefined): AttachedRecord | undefined {
  const [value] = getCookieValues(cookieHeader, "__Host-sid");
  return value === undefined ? undefined : attachedRecords.get(value);
}

/**
 * The `Set-Cookie` line the `-bare-headers` apps send at login: sesame's signed cookie, same
 * name, attributes and length, with a fixed value.
 */
export const SESSION_COOKIE_LINE = `__Host-sid=${"A".repeat(43)}.${"B".repeat(43)}; Path=/; Secure; HttpOnly; SameSite=Lax`;

let users = 0;
/** The one user every login of the `storm` path signs in: many sessions of one user. */
export const STORM_USER_ID = "storm-user";

/**
 * The user a login signs in: a fresh one per login, so every created session belongs to its own
 * user, except on the `storm` path (`?storm` in the URL), where every login is the same user.
 */
export function nextUserId(url: string): string {
  if (url.includes("storm")) return STORM_USER_ID;
  users++;
  return `user-${users}`;
}

/** Most records the `-bare-kept` apps keep: MemoryStore's default `maxSessions`. */
const KEPT_RECORDS_LIMIT = 100_000;
const keptRecords = new Map<string, object>();
/**
 * The kept keys in the order they came, as a ring: the oldest is dropped by its slot, because
 * finding a Map's first key walks every deleted entry before it.
 */
const keptKeys: (string | undefined)[] = new Array(KEPT_RECORDS_LIMIT);
let nextKeptSlot = 0;

let keptCount = 0;

/**
 * What any session store in process memory does at a login, and nothing else: keeps one record
 * the shape and size of a sesame session under a new key, dropping the oldest once
 * {@link KEPT_RECORDS_LIMIT} are kept. The `-bare-kept` apps call it after writing the session
 * headers, so the report shows what keeping sessions in memory costs by itself. Keys and
 * handles are counters padded to the lengths of a hashed token and a handle, not random bytes:
 * drawing from the CSPRNG is a cost of its own, not of keeping.
 */
export function keepLoginRecord(userId: string): void {
  const now = Date.now();
  const oldest = keptKeys[nextKeptSlot];
  if (oldest !== undefined) keptRecords.delete(oldest);
  keptCount++;
  const key = String(keptCount).padStart(64, "0");
  keptKeys[nextKeptSlot] = key;
  nextKeptSlot = (nextKeptSlot + 1) % KEPT_RECORDS_LIMIT;
  keptRecords.set(key, {
    userId,
    handle: String(keptCount).padStart(22, "h"),
    data: "{}",
    version: 0,
    createdAt: now,
    tokenIssuedAt: now,
    lastSeenAt: now,
    authTime: now,
    expiresAt: now + IDLE_TIMEOUT_SECONDS * 1000,
    absoluteExpiresAt: now + ABSOLUTE_TIMEOUT_SECONDS * 1000,
    userAgent: null,
    ip: null,
    persistent: false,
    successorId: null,
    graceUntil: null,
  });
}

let writes = 0;
/** A new value per write, so libraries that skip unchanged data still write. */
export function nextWriteValue(): number {
  writes++;
  return writes;
}

/** Reads a required environment variable. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set.`);
  return value;
}

/**
 * Replaces `methods` on `target` with wrappers that add to `calls`. The wrappers
 * call the original with the same `this`, so class instances with private fields still work.
 */
export function countCalls<T extends object>(
  target: T,
  methods: readonly string[],
  calls: StoreCalls,
): T {
  const object = target as Record<string, unknown>;
  for (const name of methods) {
    const original = object[name];
    if (typeof original !== "function") throw new TypeError(`No method ${name} to count.`);
    calls[name] ??= 0;
    object[name] = function counted(this: unknown, ...args: unknown[]): unknown {
      calls[name] = (calls[name] ?? 0) + 1;
      return (original as (...args: unknown[]) => unknown).apply(this, args);
    };
  }
  return target;
}

/**
 * Sessions as JSON text in a Map: the external store for koa-session and the storage for
 * @hono/session. It serializes like a real external store (Redis, a database) would.
 */
export class JsonMapStore {
  readonly #entries = new Map<string, string>();

  get(key: string): Record<string, unknown> | null {
    const text = this.#entries.get(key);
    return text === undefined ? null : (JSON.parse(text) as Record<string, unknown>);
  }

  set(key: string, value: unknown): void {
    this.#entries.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": text.length });
  res.end(text);
}

function stats(variant: HostedVariant): ServerStats {
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    heapUsedBytes: process.memoryUsage().heapUsed,
    storeCalls: variant.storeCalls === null ? null : { ...variant.storeCalls },
    redisCalls: variant.redisCalls === undefined ? null : { ...variant.redisCalls },
  };
}

/**
 * Serves `variant` on an ephemeral loopback port and reports the port to the orchestrator.
 * The process exits on SIGTERM or when the orchestrator disconnects.
 */
export function hostVariant(variant: HostedVariant): void {
  let apps = variant.build();
  const reset = async (): Promise<void> => {
    await variant.clearExternal?.();
    apps = variant.build();
  };
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/__bench/stats") return sendJson(res, 200, stats(variant));
    if (url === "/__bench/reset") {
      reset().then(
        () => sendJson(res, 200, { ok: true }),
        (error: unknown) => sendJson(res, 500, { error: String(error) }),
      );
      return;
    }
    const listener = apps.touch !== undefined && url.startsWith("/t/") ? apps.touch : apps.main;
    listener(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("No TCP address.");
    const ready: ReadyMessage = { type: "ready", port: address.port };
    process.send?.(ready);
  });
  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
    const exit = (): never => process.exit(0);
    (variant.close?.() ?? Promise.resolve()).then(exit, exit);
  };
  process.once("SIGTERM", shutdown);
  process.once("disconnect", shutdown);
}
