/**
 * The writes a request makes to a stored session: save its changes, replace its token, destroy
 * it. Each is a compare-and-set loop on the store ({@link SessionStore.update}): on a conflict
 * it re-reads, follows the session if it moved to a new key (see `forwarding.ts`), and
 * re-applies this request's changes, so no write is lost and none brings back a session that
 * was destroyed, revoked or taken over meanwhile.
 *
 * @module
 */
import { SessionStoreError } from "./errors.js";
import { holdsSession, isHonoured, isPending, NOWHERE } from "./forwarding.js";
import { isExpired, isTouchDue, slidExpiry } from "./lifetimes.js";
import type { SessionData, SessionEngine } from "./session-engine.js";
import type { StoredSession } from "./store.js";

/** Marks a key the request removed, in {@link PendingChanges.patch}. */
export const REMOVED: unique symbol = Symbol("removed");

/** How often a conflicting write re-reads and retries before giving up. */
const MAX_ATTEMPTS = 32;

/** A stored session as one request holds it. */
export interface HeldSession {
  /** Store key. */
  id: string;
  /** Raw token; `null` when the request reached the session through an older token. */
  token: string | null;
  /** The record as stored at its `version`, with the request's changes applied. */
  record: StoredSession;
  /** The session data, with the request's changes applied. */
  data: SessionData;
}

/** What a request changed. */
export interface PendingChanges {
  /** Keys set to a value, or removed ({@link REMOVED}). */
  patch: ReadonlyMap<string, unknown>;
  /** Whether the idle expiry slides forward (a touch). */
  touch: boolean;
  /** How many changes the request had made when these were taken. */
  through: number;
}

/**
 * Where a write left the session: `saved` (perhaps under a new token, or on the successor of a
 * token renewed meanwhile); `gone` (destroyed or revoked: the cookie should be cleared); or
 * `superseded` (another request replaced the token for good: the request no longer has the
 * session, and leaves the cookie to the response that replaced it).
 */
export type WriteOutcome =
  | { status: "saved"; session: HeldSession }
  | { status: "gone" }
  | { status: "superseded" };

const GONE: WriteOutcome = { status: "gone" };
const SUPERSEDED: WriteOutcome = { status: "superseded" };

type Engine = SessionEngine<object>;

/** Writes the request's changes (changed keys, a touch), merging concurrent changes of others. */
export function saveChanges(
  engine: Engine,
  held: HeldSession,
  changes: PendingChanges,
): Promise<WriteOutcome> {
  return writeFrom(engine, held, changes, held.id, held.token, held.record);
}

/**
 * Moves the session to a new token, with the request's changes. The successor is created
 * pending, the old record is claimed into a forwarder (`renewal`: honoured for the grace
 * window) or a tombstone (`privilege`: the old token dies at once), then the successor goes
 * live. A renewal that loses the claim to another renewal follows it and saves its changes
 * there; a privilege rotation replaces the winner's token too.
 */
export async function replaceToken(
  engine: Engine,
  held: HeldSession,
  changes: PendingChanges,
  reason: "privilege" | "renewal",
): Promise<WriteOutcome> {
  let oldId = held.id;
  let base = held.record;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const now = engine.now();
    const successor = await createPending(engine, held, changes, base, reason, now);
    const forwarder: StoredSession = {
      ...base,
      successorId: successor.id,
      graceUntil: reason === "renewal" ? now + engine.options.renewalGraceMs : null,
      expiresAt: Math.min(now + engine.options.idleTimeoutMs, base.absoluteExpiresAt),
    };
    if (await engine.store.update(oldId, forwarder, base.version)) {
      const outcome = await activate(engine, successor);
      if (outcome.status === "saved") {
        const { handle, userId } = outcome.session.record;
        engine.emit({ type: "rotated", at: now, handle, userId, reason });
      }
      return outcome;
    }
    await engine.store.delete(successor.id);
    const found = await findHolder(engine, oldId);
    if (found.status !== "found") return found;
    if (found.id !== oldId && reason === "renewal") {
      return writeFrom(engine, held, changes, found.id, null, found.record);
    }
    oldId = found.id;
    base = found.record;
  }
  throw conflict();
}

/**
 * Destroys the session stored under `id`, and its successor if it moved meanwhile. A live record
 * is claimed before it is deleted, so no rotation can move it to a new key in between.
 */
export async function destroySession(engine: Engine, id: string): Promise<void> {
  let next = id;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const record = await engine.store.get(next);
    if (record === null) return;
    if (isExpired(record, engine.now())) {
      // Dead already, and update() refuses expired records: nothing to claim, only to drop.
      await engine.store.delete(next);
      return;
    }
    if (record.successorId === null) {
      const claim = { ...record, successorId: NOWHERE, graceUntil: null };
      if (!(await engine.store.update(next, claim, record.version))) continue;
      await engine.store.delete(next);
      return;
    }
    await engine.store.delete(next);
    if (isPending(next, record) || record.successorId === NOWHERE) return;
    next = record.successorId;
  }
  await engine.store.delete(next);
}

/** The CAS loop of {@link saveChanges}, starting from `base` stored under `id`. */
async function writeFrom(
  engine: Engine,
  held: HeldSession,
  changes: PendingChanges,
  id: string,
  token: string | null,
  base: StoredSession,
): Promise<WriteOutcome> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const now = engine.now();
    const { text, data } = applyChanges(engine, held, changes, base);
    if (changes.patch.size === 0 && !(changes.touch && isTouchDue(engine.options, base, now))) {
      return { status: "saved", session: { id, token, record: base, data } };
    }
    const next: StoredSession = { ...base, data: text };
    if (changes.touch) {
      next.lastSeenAt = now;
      next.expiresAt = slidExpiry(engine.options, base, now);
    }
    if (await engine.store.update(id, next, base.version)) {
      const record = { ...next, version: base.version + 1 };
      return { status: "saved", session: { id, token, record, data } };
    }
    const found = await findHolder(engine, id);
    if (found.status !== "found") return found;
    if (found.id !== id) token = null;
    id = found.id;
    base = found.record;
  }
  throw conflict();
}

/** Creates the pending successor of `base`: a new token, the data with the request's changes. */
async function createPending(
  engine: Engine,
  held: HeldSession,
  changes: PendingChanges,
  base: StoredSession,
  reason: "privilege" | "renewal",
  now: number,
): Promise<HeldSession> {
  const { text, data } = applyChanges(engine, held, changes, base);
  const token = engine.newToken();
  const id = await engine.hash(token);
  const slides = changes.touch || reason === "renewal";
  const record: StoredSession = {
    ...base,
    data: text,
    version: 1,
    tokenIssuedAt: now,
    lastSeenAt: now,
    expiresAt: slides ? slidExpiry(engine.options, base, now) : base.expiresAt,
    successorId: id,
    graceUntil: null,
  };
  await engine.store.create(id, record);
  return { id, token, record, data };
}

/** Makes a pending successor live, keeping whatever requests on the old token wrote to it. */
async function activate(engine: Engine, pending: HeldSession): Promise<WriteOutcome> {
  let base = pending.record;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const live: StoredSession = { ...base, successorId: null };
    if (await engine.store.update(pending.id, live, base.version)) {
      const data = base === pending.record ? pending.data : parseData(engine, base);
      const record = { ...live, version: base.version + 1 };
      return { status: "saved", session: { id: pending.id, token: pending.token, record, data } };
    }
    const fresh = await engine.store.get(pending.id);
    if (fresh === null || isExpired(fresh, engine.now())) return GONE;
    if (!isPending(pending.id, fresh)) return SUPERSEDED;
    base = fresh;
  }
  throw conflict();
}

type Holder = { status: "found"; id: string; record: StoredSession } | WriteOutcome;

/**
 * Re-reads the session after a compare-and-set on `id` failed: the record itself if it still
 * holds the session, its successor if a renewal moved it within the grace window, or else
 * whether it is gone or superseded.
 */
async function findHolder(engine: Engine, id: string): Promise<Holder> {
  const record = await engine.store.get(id);
  if (record === null || isExpired(record, engine.now())) return GONE;
  if (holdsSession(id, record)) return { status: "found", id, record };
  if (!isHonoured(record, engine.now())) return SUPERSEDED;
  const successorId = record.successorId!;
  const successor = await engine.store.get(successorId);
  if (successor === null || isExpired(successor, engine.now())) return GONE;
  if (!holdsSession(successorId, successor)) return SUPERSEDED;
  return { status: "found", id: successorId, record: successor };
}

/** The data and its text after applying the request's changes on top of `base`. */
function applyChanges(
  engine: Engine,
  held: HeldSession,
  changes: PendingChanges,
  base: StoredSession,
): { text: string; data: SessionData } {
  if (base === held.record) return { text: held.record.data, data: held.data };
  const data = parseData(engine, base);
  if (changes.patch.size === 0) return { text: base.data, data };
  for (const [key, value] of changes.patch) {
    if (value === REMOVED) delete data[key];
    else data[key] = value;
  }
  return { text: engine.serializeData(data), data };
}

function parseData(engine: Engine, record: StoredSession): SessionData {
  return { ...(engine.options.serializer.deserialize(record.data) as SessionData) };
}

function conflict(): SessionStoreError {
  return new SessionStoreError(
    "store_unavailable",
    "The session kept changing under concurrent writes; giving up.",
  );
}
