/**
 * One request's session as it stands, what its commit owes, and the store writes that bring the
 * store in line with it, run in the order the request made its calls. `RequestSession` is the
 * application's side of it; the store operations themselves live in `session-writes.ts`.
 *
 * @module
 */
import { type Awaitable, andThen, isPromiseLike } from "./awaitable.js";
import {
  isSessionStoreError,
  NoSessionError,
  SessionLimitError,
  type SessionStoreError,
} from "./errors.js";
import { isRenewalDue } from "./lifetimes.js";
import { PendingCommit } from "./pending-commit.js";
import type { RequestContext } from "./request-context.js";
import type { SessionHeaders } from "./session-cookie.js";
import type { LoadedSession, SessionData, SessionEngine } from "./session-engine.js";
import {
  destroySession,
  type HeldSession,
  type PendingChanges,
  REMOVED,
  replaceToken,
  saveChanges,
  type WriteOutcome,
} from "./session-writes.js";
import type { StoredSession } from "./store.js";
import { enforceSessionLimit } from "./user-sessions.js";

/** The request's session as it stands. */
export interface Current {
  /** Store key; `null` until a new session is saved. */
  id: string | null;
  /** Raw token; `null` for a session reached through a renewed token's grace window. */
  token: string | null;
  record: StoredSession;
  data: SessionData;
}

/** What {@link SessionState.replace} starts the new session with. */
export interface Replacement {
  /** Keys of the current session's data to carry into the new one. */
  carryOver: readonly string[];
  /** Data of the new session, over the carried keys. */
  data: SessionData;
  persistent: boolean;
}

/**
 * A request's session and its writes. Every store write or destroy goes through
 * {@link afterSettled} and {@link track}, so calls the request makes while one is under way go
 * on, in the order they were made, once it settles.
 */
export class SessionState<Data extends object> {
  readonly engine: SessionEngine<Data>;
  /** The store failure that left this request without a session; it refuses every write. */
  readonly degraded: SessionStoreError | null;
  current: Current | null;
  #context: RequestContext | (() => RequestContext);
  /** What the commit owes; made on the first change, so a read that changes nothing makes none. */
  #owed: PendingCommit | null = null;
  /** Whether the request carried the session's cookie, naming a session or not. */
  readonly #carriedCookie: boolean;
  /** Whether that cookie named no session (expired, unknown, tampered, duplicated). */
  readonly #staleCookie: boolean;
  /** The store write or destroy still under way, which a later one of this request waits for. */
  #inFlight: Promise<void> | null = null;
  /** The first store failure a call of this request met, if any. */
  storeFailure: SessionStoreError | null = null;
  /** Set by {@link close}: the response went out with nothing to commit. */
  #closed = false;
  /** Asked by {@link usable} whether the response went out (see {@link closeOnceResponded}). */
  #responded: (() => boolean) | null = null;
  #onCommitNeeded: (() => void) | null = null;

  constructor(
    engine: SessionEngine<Data>,
    context: RequestContext | (() => RequestContext),
    loaded: LoadedSession | null,
    degraded: SessionStoreError | null,
    carriedCookie: boolean,
    touchDue: boolean,
  ) {
    this.engine = engine;
    this.#context = context;
    this.degraded = degraded;
    this.#carriedCookie = carriedCookie;
    this.#staleCookie = carriedCookie && loaded === null;
    this.current =
      loaded === null
        ? null
        : { id: loaded.id, token: loaded.token, record: loaded.record, data: loaded.data };
    if (loaded === null) return;
    if (touchDue) this.pending.touch = true;
    if (loaded.resign || (touchDue && loaded.record.persistent)) this.pending.cookie = "set";
  }

  /** What the commit owes, made when first asked for. */
  get pending(): PendingCommit {
    this.#owed ??= new PendingCommit(this.#carriedCookie);
    return this.#owed;
  }

  /**
   * Whether the commit has anything to do; see `RequestSession.needsCommit`. A store write or
   * destroy still under way counts: what the response carries is known only once it is done.
   */
  get needsCommit(): boolean {
    const owed = this.#owed;
    if (this.degraded !== null || this.#closed || owed?.committed) return false;
    if (owed?.hasWork || this.#inFlight !== null) return true;
    const current = this.current;
    const engine = this.engine;
    return current !== null && isRenewalDue(engine.options, current, engine.now());
  }

  /** Calls `listener` once, as soon as {@link needsCommit} is `true` (at once if it already is). */
  onCommitNeeded(listener: () => void): void {
    if (this.needsCommit) listener();
    else this.listenForCommit(listener);
  }

  /** Calls `listener` once, on the first change that leaves the commit with something to do. */
  listenForCommit(listener: () => void): void {
    this.#onCommitNeeded = listener;
  }

  /** Tells the adapter, once, that the response now carries a commit. */
  changed(): void {
    const listener = this.#onCommitNeeded;
    if (listener === null || !this.needsCommit) return;
    this.#onCommitNeeded = null;
    listener();
  }

  /**
   * Throws when the request can no longer change its session: degraded, or committed. A change
   * the response must carry (`reachesResponse`: data, a sign-in, a new token) also throws once
   * the response is on its way without it; a destroy still ends the session in the store.
   */
  usable(action: string, reachesResponse = true): void {
    if (this.degraded !== null) throw this.degraded;
    if (this.#owed?.committed || (reachesResponse && this.#isClosed()))
      throw new Error(`${action} after the response was committed has no effect.`);
  }

  /** Whether the response went out without a commit (see {@link close}). */
  get closed(): boolean {
    return this.#isClosed();
  }

  #isClosed(): boolean {
    if (!this.#closed && this.#responded?.() === true) this.#closed = true;
    return this.#closed;
  }

  /**
   * For an adapter that cannot tell the session when its response goes out (Express, which
   * wraps nothing on a request that changes nothing): `responded` says whether it has.
   */
  closeOnceResponded(responded: () => boolean): void {
    this.#responded = responded;
  }

  /** Keeps the first store failure a call of this request met (see `RequestSession.storeFailure`). */
  noteFailure(error: unknown): void {
    if (this.storeFailure === null && isSessionStoreError(error)) this.storeFailure = error;
  }

  /** The response went out without a commit: from now on, changes throw instead of being lost. */
  close(): void {
    this.#closed = true;
  }

  /** The current session; throws {@link NoSessionError} without one. */
  require(action: string): Current {
    if (this.current === null) throw new NoSessionError(action);
    return this.current;
  }

  /** The signed-in user; throws {@link NoSessionError} without one. */
  requireUser(action: string): string {
    const userId = this.current?.record.userId;
    if (userId == null) throw new NoSessionError(action);
    return userId;
  }

  /** Sets (or, with {@link REMOVED}, removes) one data key, already checked, saved at commit. */
  change(key: string, value: unknown): void {
    this.usable("Changing session data");
    // Serialized first: a value that cannot be kept throws before a session is started.
    const data = patched(this.current?.data ?? {}, [[key, value]]);
    const text = this.engine.serializeData(data);
    const current = this.current ?? this.#startNew(null, false, null);
    current.record = { ...current.record, data: text };
    current.data = data;
    this.pending.change(key, value);
    this.changed();
  }

  /** Sets (or removes) the keys of `patch` in `current`'s data and record. */
  #apply(current: Current, patch: Iterable<readonly [string, unknown]>): void {
    const next = patched(current.data, patch);
    current.record = { ...current.record, data: this.engine.serializeData(next) };
    current.data = next;
  }

  /**
   * Destroys the current session and signs `userId` in with a new one, keeping the data
   * `replacement` names. Data that cannot be kept throws before anything changes.
   */
  replace(userId: string, replacement: Replacement): Awaitable<void> {
    const carried: SessionData = {};
    for (const key of replacement.carryOver) {
      if (this.current !== null && Object.hasOwn(this.current.data, key))
        carried[key] = this.current.data[key];
    }
    const data: SessionData = { ...carried, ...replacement.data };
    const text = this.engine.serializeData(data);
    return andThen(this.dropCurrent(), () =>
      this.#signIn(userId, replacement.persistent, data, text),
    );
  }

  /**
   * Starts the new session of {@link replace}, once the one it replaces is gone. A commit made
   * after the call waits for this, so it needs no check that the response is still open.
   */
  #signIn(userId: string, persistent: boolean, data: SessionData, text: string): void {
    const current = this.#startNew(userId, persistent, this.engine.now());
    current.record.data = text;
    current.data = data;
    this.changed();
  }

  /** Replaces the token, keeping the data, once nothing else of this request is under way. */
  rotate(): Awaitable<void> {
    return this.afterSettled(() => {
      const current = this.require("Rotating a session");
      if (this.pending.isNew) return;
      const changes = this.pending.changes;
      const held = this.#held(current);
      return this.track(
        this.#settleWith(replaceToken(this.engine, held, changes, "privilege"), changes),
      );
    });
  }

  /**
   * The store write pending for this request, if any: none (at once) when nothing changed, and
   * at once too when the store answers at once.
   */
  write(): Awaitable<void> {
    // After a failed one too: this call's own changes still want writing.
    return this.afterSettled(() => this.track(this.startWrite()));
  }

  /** Starts the store write {@link write} stands for. */
  startWrite(): Awaitable<void> {
    const current = this.current;
    if (current === null || this.degraded !== null) return;
    const engine = this.engine;
    const pending = this.pending;
    if (pending.isNew) {
      if (engine.cookie.canWrite(this.#requestContext())) return this.#insert(current);
      return;
    }
    const changes = pending.changes;
    if (isRenewalDue(engine.options, current, engine.now())) {
      return this.#settleWith(
        replaceToken(engine, this.#held(current), changes, "renewal"),
        changes,
      );
    }
    if (changes.patch.size === 0 && !changes.touch) return;
    return this.#settleWith(saveChanges(engine, this.#held(current), changes), changes);
  }

  /** What the response carries once the store write is done: the cookie line and its headers. */
  headers(): Awaitable<SessionHeaders | null> {
    const line = this.#cookieLine();
    if (line === null || !this.engine.cookie.canWrite(this.#requestContext())) return null;
    return andThen(line, (setCookie) => ({ setCookie, cacheControl: "no-store", vary: "Cookie" }));
  }

  /** The session cookie's line this response carries, if any. */
  #cookieLine(): string | Promise<string> | null {
    const current = this.current;
    const cookie = this.pending.cookie;
    if (cookie === "set" && current !== null && current.token !== null) {
      return this.engine.cookie.lineFor(current.token, current.record, this.engine.now());
    }
    return cookie === "clear" ? this.engine.cookie.clearing : null;
  }

  /** The request's context, asked of the adapter the first time it is needed. */
  #requestContext(): RequestContext {
    const context = this.#context;
    if (typeof context !== "function") return context;
    const resolved = context();
    this.#context = resolved;
    return resolved;
  }

  #startNew(userId: string | null, persistent: boolean, authTime: number | null): Current {
    const current: Current = {
      id: null,
      token: this.engine.newToken(),
      record: this.engine.newRecord(userId, this.#requestContext(), persistent, authTime),
      data: {},
    };
    this.current = current;
    this.pending.started();
    return current;
  }

  /** Inserts the new session; at once when hashing and the store answer at once. */
  #insert(current: Current): Awaitable<void> {
    const engine = this.engine;
    // What is inserted is the session as it stands now; later changes are saved after it.
    const { record } = current;
    const changes = this.pending.changes;
    return andThen(engine.hash(current.token!), (id) =>
      andThen(engine.store.insert(id, record), () => this.#inserted(current, id, changes)),
    );
  }

  /** The new session is stored under `id`: announce it, then hold the user to their limit. */
  #inserted(current: Current, id: string, changes: PendingChanges): Awaitable<void> {
    const engine = this.engine;
    current.id = id;
    this.pending.inserted(changes);
    const { handle, userId } = current.record;
    engine.emit({ type: "created", at: engine.now(), handle, userId });
    if (userId === null) return;
    const kept = enforceSessionLimit(engine, userId, id);
    if (kept !== true) return this.#limited(kept);
  }

  /** Takes in the session limit's verdict on the new session: evicted, or refused. */
  async #limited(kept: Awaitable<boolean>): Promise<void> {
    try {
      if (!(await kept)) this.forget();
    } catch (error) {
      if (error instanceof SessionLimitError) {
        this.forget();
        this.pending.leaveCookie();
      }
      throw error;
    }
  }

  /** The current session, once stored, as the write operations take it. */
  #held(current: Current): HeldSession {
    return { ...current, id: current.id! };
  }

  /** Takes in where a store write of `changes` left the session, once it is done. */
  async #settleWith(write: Promise<WriteOutcome>, changes: PendingChanges): Promise<void> {
    this.#settle(await write, changes);
  }

  /**
   * Takes in where a write of `changes` left the session: saved (perhaps under a new token),
   * or lost. Changes made while it was under way are kept, and saved by the next write.
   */
  #settle(outcome: WriteOutcome, changes: PendingChanges): void {
    if (outcome.status !== "saved") {
      this.forget();
      // Superseded: another response carries the session's new token; leave the cookie to it.
      if (outcome.status === "superseded") this.pending.leaveCookie();
      return;
    }
    const { session } = outcome;
    const newToken = session.token !== null && session.token !== this.current?.token;
    const settled: Current = { ...session };
    this.current = settled;
    this.pending.saved(newToken, changes);
    // Should they no longer fit beside what the write merged in, the later changes stay pending
    // and the error goes to the caller; the session is still the one the write left.
    const later = this.pending.patch;
    if (later.size > 0) this.#apply(settled, later);
  }

  /** Destroys the request's stored session, if any (a promise then), and leaves it. */
  dropCurrent(): Awaitable<void> {
    return this.afterSettled(() => {
      const current = this.current;
      if (current === null) {
        // A cookie that named no session (expired, unknown) is cleared all the same.
        if (this.#staleCookie && this.degraded === null) this.pending.forgotten();
        return;
      }
      if (current.id !== null && !this.pending.isNew)
        return this.track(this.#destroyStored(current, current.id));
      this.forget();
    });
  }

  async #destroyStored(current: Current, id: string): Promise<void> {
    await destroySession(this.engine, id);
    const { handle, userId } = current.record;
    this.engine.emit({ type: "destroyed", at: this.engine.now(), handle, userId });
    this.forget();
  }

  /** Drops the session from this request and clears the cookie the client holds, if any. */
  forget(): void {
    this.current = null;
    this.pending.forgotten();
  }

  /**
   * Runs `next` once no store write or destroy of this request is under way: at once if none
   * is, else in the callback where the last one settles (a failed one is left to the call that
   * started it), so that calls made while one was under way go on in the order they were made.
   */
  afterSettled<T>(next: () => Awaitable<T>): Awaitable<T> {
    const inFlight = this.#inFlight;
    if (inFlight === null) return next();
    const again = (): Awaitable<T> => this.afterSettled(next);
    return inFlight.then(again, again);
  }

  /**
   * Remembers a store write or destroy until it settles, so that a second call of this request
   * made meanwhile (a `save()` left un-awaited, then the commit; two `create()`s) waits for it
   * instead of writing or destroying the same session twice.
   */
  track(work: Awaitable<void>): Awaitable<void> {
    if (!isPromiseLike(work)) return work;
    const tracked: Promise<void> = Promise.resolve(work);
    this.#inFlight = tracked;
    // Cleared by the first reaction to the tracked promise, so calls already waiting for it go
    // on before any call made once it settles.
    const clear = (): void => {
      if (this.#inFlight === tracked) this.#inFlight = null;
    };
    tracked.then(clear, (error: unknown) => {
      clear();
      this.noteFailure(error);
    });
    // The response waits for it: an adapter holding responses back must know now (after the
    // clearing reaction is in place, whatever its listener does).
    this.changed();
    return tracked;
  }
}

/** A copy of `data` with the keys of `patch` set, or removed where the value is {@link REMOVED}. */
function patched(data: SessionData, patch: Iterable<readonly [string, unknown]>): SessionData {
  const next: SessionData = { ...data };
  for (const [key, value] of patch) {
    if (value === REMOVED) delete next[key];
    else next[key] = value;
  }
  return next;
}
