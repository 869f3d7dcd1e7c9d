/**
 * How a record points at the record that replaced it. A session moves to a new store key when
 * its token is replaced, in three steps: its successor is created *pending*, the old record is
 * claimed (compare-and-set) into a *forwarder* to it, and only then is the successor made live.
 * Whoever loses the claim never makes a second live record, so one handle names at most one
 * live record at any time.
 *
 * By `successorId` (see {@link StoredSession}) a record is:
 *
 * - `null`: **live**, the session itself;
 * - its own key: a **pending** successor, not live yet, reachable only through its forwarder;
 * - another key: a **forwarder** left by a renewal (honoured by requests on the old token until
 *   `graceUntil`), or a **tombstone** left by a privilege rotation (`graceUntil` is `null`:
 *   never honoured). Both stay until they expire, so a request that read the old record before
 *   the move can still find, and destroy, its successor;
 * - {@link NOWHERE}: a record being destroyed.
 *
 * @module
 */
import type { StoredSession } from "./store.js";

/** The `successorId` of a record that is being destroyed: it forwards nowhere. */
export const NOWHERE = "";

/** Whether the record under `id` is a successor that is not live yet. */
export function isPending(id: string, record: StoredSession): boolean {
  return record.successorId === id;
}

/** Whether the record is the session itself, live (not pending, forwarding or destroyed). */
export function isLive(record: StoredSession): boolean {
  return record.successorId === null;
}

/** Whether the record under `id` holds the session: live, or pending. */
export function holdsSession(id: string, record: StoredSession): boolean {
  return isLive(record) || isPending(id, record);
}

/** Whether requests on a forwarder's (old) token are still led to its successor at `now`. */
export function isHonoured(forwarder: StoredSession, now: number): boolean {
  return forwarder.graceUntil !== null && now < forwarder.graceUntil;
}
