/**
 * Helpers shared by the micro-benchmark children: driving a SessionManager the way an
 * adapter does, summarising mitata's statistics, and replying to the orchestrator.
 *
 * @module
 */
import type { RequestContext, RequestSession, SessionManager } from "@sesame/core";
import type { MicroReplyMessage } from "../protocol.js";

/** A loopback plain-HTTP request, where sesame writes its `Secure` cookie anyway. */
export const LOOPBACK: RequestContext = { secure: false, host: "127.0.0.1" };

/** Timing of one micro-benchmark, in nanoseconds per operation. */
export interface Timing {
  name: string;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  samples: number;
}

/** mitata's statistics, reduced to what the report shows. */
export function toTiming(
  name: string,
  stats: { avg: number; p50: number; p99: number; samples: number[] },
): Timing {
  return {
    name,
    avgNs: stats.avg,
    p50Ns: stats.p50,
    p99Ns: stats.p99,
    samples: stats.samples.length,
  };
}

/** Requests of one manager, carrying a session cookie as an adapter passes the header. */
export interface Jar {
  /** The cookie's `name=` prefix. */
  prefix: string;
  /** Loads the session for a request carrying `token` (or no cookie). */
  load(token: string | null): RequestSession | Promise<RequestSession>;
}

/** A jar for `manager`. */
export function createJar(manager: SessionManager): Jar {
  const prefix = `${manager.cookieName}=`;
  return {
    prefix,
    load: (token) => manager.load(token === null ? undefined : `${prefix}${token}`, LOOPBACK),
  };
}

/** Signs a new user in and resolves the session token. */
export async function signIn(jar: Jar, userId: string): Promise<string> {
  const session = await jar.load(null);
  await session.create(userId);
  const line = (await session.commit())?.setCookie ?? "";
  return line.slice(jar.prefix.length, line.indexOf(";"));
}

/** Sends the result to the orchestrator and exits. */
export function replyAndExit<T>(result: T): void {
  const message: MicroReplyMessage<T> = { type: "micro", result };
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(0);
  }
  process.send(message, () => process.exit(0));
}
