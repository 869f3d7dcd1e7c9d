/**
 * From a cookie value to the session it names: verify the signature, hash the token, read the
 * record, follow a renewed token's forwarder within its grace window, check expiry, and
 * deserialize and validate the data. Untrusted input never throws here: anything that does not
 * lead to a live session resolves `null` with a `rejected` (or `expired`) event. Cookie values
 * already verified and hashed are remembered ({@link KnownCookies}), so a returning visitor's
 * request costs neither the HMAC nor the SHA-256 again.
 *
 * @module
 */

import { type Awaitable, andThen, isPromiseLike, promiseOf } from "./awaitable.js";
import { splitFlash } from "./flash.js";
import { holdsSession, isHonoured, isPending, NOWHERE } from "./forwarding.js";
import { expiryReached, isExpired } from "./lifetimes.js";
import type { LoadedSession, SessionData, SessionEngine } from "./session-engine.js";
import type { StoredSession } from "./store.js";
import { hashToken, isWellFormedToken, verifySignedValue } from "./token.js";

/** A signed value whose parts have the right shape, so only its MAC was wrong. */
const SIGNED_SHAPE = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

type Engine = SessionEngine<object>;

/**
 * Finds the session a cookie value names, or `null` if none: at once when every step answers at
 * once (`node:crypto`, a synchronous store), as a promise otherwise.
 */
export function resolveSession(engine: Engine, value: string): Awaitable<LoadedSession | null> {
  const known = engine.knownCookies.get(value);
  if (known !== undefined) return findSession(engine, known, null);
  return andThen(identify(engine, value), (identified) =>
    identified === null ? null : findSession(engine, identified, value),
  );
}

/** The token a cookie value carries and its store key; `null` (and an event) if it carries none. */
function identify(engine: Engine, value: string): Awaitable<IdentifiedToken | null> {
  const { secrets, cookie } = engine.options;
  if (secrets.length === 0) {
    if (!isWellFormedToken(value)) return engine.reject("malformed");
    return andThen(hashToken(value), (id) => ({ token: value, id, resign: false }));
  }
  return andThen(verifySignedValue(secrets, cookie.name, value), (verified) => {
    if (verified === null)
      return engine.reject(SIGNED_SHAPE.test(value) ? "bad_signature" : "malformed");
    const { token, secretIndex } = verified;
    return andThen(hashToken(token), (id) => ({ token, id, resign: secretIndex > 0 }));
  });
}

/**
 * Reads the record a token's store key names and turns it into the loaded session. A cookie
 * value seen for the first time (`value`) is remembered once it led to a record, so values
 * made up by a client never take the place of real ones.
 */
function findSession(
  engine: Engine,
  known: IdentifiedToken,
  value: string | null,
): Awaitable<LoadedSession | null> {
  const record = engine.store.lookup(known.id);
  // Taken in at once from a synchronous store, with no closure made for it.
  if (!isPromiseLike(record)) return foundSession(engine, known, value, record);
  return record.then((found) => foundSession(engine, known, value, found));
}

/** {@link findSession}, once the store answered. */
function foundSession(
  engine: Engine,
  known: IdentifiedToken,
  value: string | null,
  record: StoredSession | null,
): Awaitable<LoadedSession | null> {
  if (record === null) return engine.reject("unknown_session");
  if (!isWellFormed(record)) return engine.reject("corrupt_record");
  if (value !== null) engine.knownCookies.set(value, known);
  if (record.successorId !== null) {
    // A forwarder past its own expiry names no session: its session lives on elsewhere, or not.
    if (isExpired(record, engine.now())) return engine.reject("unknown_session");
    return followForwarder(engine, record);
  }
  if (reportExpiry(engine, record)) return null;
  return withData(engine, known.id, known.token, record, known.resign);
}

/**
 * Emits `expired` (with the reason: idle or absolute) when the record has expired. Stores keep
 * returning expired records for a while precisely so that this can tell a session that ran out
 * from a cookie that never named one.
 */
function reportExpiry(engine: Engine, record: StoredSession): boolean {
  const now = engine.now();
  const reason = expiryReached(record, now);
  if (reason === null) return false;
  const { handle, userId } = record;
  engine.emit({ type: "expired", at: now, handle, userId, reason });
  return true;
}

/** A renewed token leads to its successor (live, or still pending) during its grace window. */
async function followForwarder(
  engine: Engine,
  record: StoredSession,
): Promise<LoadedSession | null> {
  const successorId = record.successorId!;
  if (successorId === NOWHERE) return engine.reject("unknown_session");
  const successor = await engine.store.get(successorId);
  if (!isHonoured(record, engine.now())) {
    // A successor never made live (its renewal failed part-way) never had its token sent: the
    // old token coming back is no reuse of a replaced one, and no alarm.
    if (successor !== null && isPending(successorId, successor))
      return engine.reject("unknown_session");
    return engine.reject("renewed_token_reused", record);
  }
  if (successor === null || !holdsSession(successorId, successor))
    return engine.reject("unknown_session");
  if (!isWellFormed(successor)) return engine.reject("corrupt_record");
  if (reportExpiry(engine, successor)) return null;
  return withData(engine, successorId, null, successor, false);
}

/**
 * Whether a record read back has the fields every decision rests on: a store that leaves out
 * null fields or hands times back as text gives a corrupt record, not a session taken for a
 * forwarder or one that never expires.
 */
function isWellFormed(record: StoredSession): boolean {
  return (
    typeof record.data === "string" &&
    Number.isFinite(record.expiresAt) &&
    Number.isFinite(record.absoluteExpiresAt) &&
    (record.successorId === null || typeof record.successorId === "string")
  );
}

/** The loaded session with its data, or `null` when the data is corrupt or fails the schema. */
function withData(
  engine: Engine,
  id: string,
  token: string | null,
  record: StoredSession,
  resign: boolean,
): Awaitable<LoadedSession | null> {
  let data: unknown;
  try {
    data = engine.options.serializer.deserialize(record.data);
  } catch {
    return engine.reject("corrupt_record", record);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return engine.reject("corrupt_record", record);
  const schema = engine.options.schema;
  if (schema === undefined) return { id, token, record, data: data as SessionData, resign };
  // The schema describes the application's data; flash values are kept apart from it.
  const { data: own, flash } = splitFlash(data as SessionData);
  // A validator that throws counts as one that refused the data.
  return promiseOf(() => schema["~standard"].validate(own)).then(
    (result) => {
      if (result.issues !== undefined) return engine.reject("invalid_data", record);
      return { id, token, record, data: { ...(result.value as SessionData), ...flash }, resign };
    },
    () => engine.reject("invalid_data", record),
  );
}

/** What a cookie value comes to once verified: its token, the token's store key, and whether to re-sign. */
export interface IdentifiedToken {
  token: string;
  /** The store key: SHA-256 of the token, hex. */
  id: string;
  /** Signed with a secret other than the first: the response re-signs it. */
  resign: boolean;
}

/** Entries per generation; two generations are kept, so at most twice this many. */
export const KNOWN_COOKIES_PER_GENERATION = 2048;

/**
 * A bounded memo of pure functions of the cookie value (signature check and hash): entries
 * are only added for values that verified and named a stored record, keyed by the whole value,
 * so a forged, changed or made-up value always misses, is checked in full, and never takes the
 * place of a real one. It says nothing about the session itself: every
 * request still reads the store, so a destroyed or expired session is gone at once. Two
 * generations of maps: when the newer fills, the older is dropped and values still in use move
 * up as they are seen, which keeps memory bounded (about 300 bytes an entry) without any
 * per-hit bookkeeping.
 */
export class KnownCookies {
  readonly #limit: number;
  #current = new Map<string, IdentifiedToken>();
  #previous = new Map<string, IdentifiedToken>();

  constructor(limit = KNOWN_COOKIES_PER_GENERATION) {
    this.#limit = limit;
  }

  get(value: string): IdentifiedToken | undefined {
    const entry = this.#current.get(value);
    if (entry !== undefined) return entry;
    const older = this.#previous.get(value);
    if (older !== undefined) this.set(value, older);
    return older;
  }

  set(value: string, entry: IdentifiedToken): void {
    if (this.#current.size >= this.#limit) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(value, entry);
  }

  /** How many values are held, both generations counted. */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
