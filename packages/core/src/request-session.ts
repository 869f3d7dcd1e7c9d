import { type Awaitable, andThen, isPromiseLike, promiseOf } from "./awaitable.js";
import {
  NoSessionError,
  ReauthRequiredError,
  SessionDataError,
  SessionLimitError,
  type SessionStoreError,
} from "./errors.js";
import { flashKey, splitFlash } from "./flash.js";
import { isRenewalDue, isTouchDue } from "./lifetimes.js";
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
import {
  enforceSessionLimit,
  listUserSessions,
  revokeUserSession,
  revokeUserSessions,
  type SessionSummary,
} from "./user-sessions.js";

/** Options of {@link RequestSession.create}. */
export interface CreateSessionOptions<Data extends object> {
  /** Initial data. */
  data?: Partial<Data>;
  /** Keys of the current (for example anonymous) session's data to carry into the new one. */
  carryOver?: readonly (keyof Data & string)[];
  /** A persistent ("remember me") cookie instead of a browser-session cookie. */
  persistent?: boolean;
}

/** What a request's session looks like to the application. */
export interface SessionInfo {
  /** Opaque handle, as in session listings. */
  handle: string;
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  authTime: number | null;
  expiresAt: number;
  absoluteExpiresAt: number;
  persistent: boolean;
}

/** The commit of a request already committed: nothing more to send. */
const NO_HEADERS: Promise<null> = Promise.resolve(null);

interface Current {
  /** Store key; `null` until a new session is saved. */
  id: string | null;
  /** Raw token; `null` for a session reached through a renewed token's grace window. */
  token: string | null;
  record: StoredSession;
  data: SessionData;
}

/**
 * One request's view of its session: read it, change it, create, rotate or destroy it. The
 * adapter commits it once, before the response headers go out, and writes the headers the
 * commit returns; nothing is written for a request that changed nothing. `Data` types the
 * session data, `Flash` the values {@link RequestSession.flash} leaves for a later request.
 *
 * What a commit will do is one explicit state, a {@link PendingCommit}: the store write and the
 * cookie action; the write operations themselves live in `session-writes.ts`.
 *
 * @example
 * ```ts
 * const session = await manager.load(request.headers.get("cookie"), context);
 * if (session.userId === null) await session.create("user-42", { data: { theme: "dark" } });
 * session.set("theme", "light");
 * const headers = await session.commit(); // the Set-Cookie line and its headers, or null
 * ```
 */
export class RequestSession<Data extends object = SessionData, Flash extends object = SessionData> {
  readonly #engine: SessionEngine<Data>;
  #context: RequestContext | (() => RequestContext);
  #current: Current | null;
  /** What the commit owes; made on the first change, so a read that changes nothing makes none. */
  #owed: PendingCommit | null = null;
  /** Whether the request carried the session's cookie. */
  readonly #carriedCookie: boolean;
  readonly #degraded: SessionStoreError | null;
  #onCommitNeeded: (() => void) | null = null;
  /** The store write or destroy still under way, which a later one of this request waits for. */
  #inFlight: Promise<void> | null = null;

  /** @internal Built by `SessionManager.load`. */
  constructor(
    engine: SessionEngine<Data>,
    context: RequestContext | (() => RequestContext),
    loaded: LoadedSession | null,
    degraded: SessionStoreError | null = null,
  ) {
    this.#engine = engine;
    this.#context = context;
    this.#degraded = degraded;
    this.#carriedCookie = loaded !== null;
    this.#current =
      loaded === null
        ? null
        : { id: loaded.id, token: loaded.token, record: loaded.record, data: loaded.data };
    if (loaded === null) return;
    const touch = isTouchDue(engine.options, loaded.record, engine.now());
    if (touch) this.#pending.touch = true;
    if (loaded.resign || (touch && loaded.record.persistent)) this.#pending.cookie = "set";
  }

  /** What the commit owes, made when first asked for. */
  get #pending(): PendingCommit {
    this.#owed ??= new PendingCommit(this.#carriedCookie);
    return this.#owed;
  }

  /** The signed-in user, or `null` (no session, or an anonymous one). */
  get userId(): string | null {
    return this.#current?.record.userId ?? null;
  }

  /** Whether the request has a session (signed in or anonymous). */
  get exists(): boolean {
    return this.#current !== null;
  }

  /** Timestamps and flags of the current session, or `null`. */
  get info(): SessionInfo | null {
    const record = this.#current?.record;
    if (record === undefined) return null;
    return {
      handle: record.handle,
      userId: record.userId,
      createdAt: record.createdAt,
      lastSeenAt: record.lastSeenAt,
      authTime: record.authTime,
      expiresAt: record.expiresAt,
      absoluteExpiresAt: record.absoluteExpiresAt,
      persistent: record.persistent,
    };
  }

  /** A read-only copy of the session data (empty without a session). */
  get data(): Readonly<Partial<Data>> {
    return splitFlash(this.#current?.data ?? {}).data as Partial<Data>;
  }

  /** One value of the session data. */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    const data = this.#current?.data;
    return data !== undefined && Object.hasOwn(data, key) ? (data[key] as Data[K]) : undefined;
  }

  /**
   * Sets one value. Without a session, this starts an anonymous one (saved at commit). Throws
   * `SessionTooLargeError` or `SessionDataError` and changes nothing when the value cannot be kept.
   */
  set<K extends keyof Data & string>(key: K, value: Data[K]): void {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") {
      throw new SessionDataError(
        `Session data cannot hold a ${typeof value} (key ${JSON.stringify(key)}); use unset() to remove a key.`,
      );
    }
    this.#engine.checkKey(key);
    this.#change(key, value);
  }

  /** Removes one value. */
  unset<K extends keyof Data & string>(key: K): void {
    if (this.#current === null || !Object.hasOwn(this.#current.data, key)) return;
    this.#engine.checkKey(key);
    this.#change(key, REMOVED);
  }

  /**
   * Leaves `value` under `key` for a later request to read once with {@link takeFlash}: the
   * notice after a redirect. A second flash of the same key replaces the first. Like
   * {@link set}, it starts an anonymous session when there is none, and is saved at commit.
   * Flash values live in the session, so `create()` (sign-in) drops the ones set before it:
   * flash after signing in. They are not checked by the manager's `schema`.
   *
   * @example
   * ```ts
   * session.flash("notice", "Your profile was saved.");
   * // the next request, after the redirect:
   * const notice = session.takeFlash("notice"); // "Your profile was saved.", then gone
   * ```
   */
  flash<K extends keyof Flash & string>(key: K, value: Flash[K]): void {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") {
      throw new SessionDataError(
        `A flash value cannot be a ${typeof value} (key ${JSON.stringify(key)}).`,
      );
    }
    this.#engine.checkKey(key);
    this.#change(flashKey(key), value);
  }

  /**
   * Reads the flash value `key` and removes it (saved at commit), so it is shown once; resolves
   * `undefined` when there is none.
   */
  takeFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined {
    const name = flashKey(key);
    const data = this.#current?.data;
    if (data === undefined || !Object.hasOwn(data, name)) return undefined;
    const value = data[name] as Flash[K];
    this.#change(name, REMOVED);
    return value;
  }

  /** Sets (or, with {@link REMOVED}, removes) one data key, already checked, saved at commit. */
  #change(key: string, value: unknown): void {
    this.#usable("Changing session data");
    const current = this.#current ?? this.#startNew(null, false, null);
    this.#apply(current, [[key, value]]);
    this.#pending.change(key, value);
    this.#changed();
  }

  /** Sets (or removes) the keys of `patch` in `current`'s data and record. */
  #apply(current: Current, patch: Iterable<readonly [string, unknown]>): void {
    const next: SessionData = { ...current.data };
    for (const [key, value] of patch) {
      if (value === REMOVED) delete next[key];
      else next[key] = value;
    }
    current.record = { ...current.record, data: this.#engine.serializeData(next) };
    current.data = next;
  }

  /**
   * Signs `userId` in with a brand-new session. Any session the request carried is destroyed
   * first (no fixation); only keys listed in `carryOver` survive into the new one. Data that
   * cannot be kept rejects (`SessionDataError`, `SessionTooLargeError`) before anything changes.
   */
  create(userId: string, options: CreateSessionOptions<Data> = {}): Promise<void> {
    return promiseOf(() => {
      this.#usable("Creating a session");
      if (typeof userId !== "string" || userId.length === 0)
        throw new TypeError("userId must be a non-empty string.");
      for (const key of Object.keys(options.data ?? {})) this.#engine.checkKey(key);
      // The data to carry over is read once a write under way has merged in what it brings.
      return this.#afterSettled(() => this.#replace(userId, options));
    });
  }

  /** Destroys the current session and starts {@link create}'s new one with the data it keeps. */
  #replace(userId: string, options: CreateSessionOptions<Data>): Awaitable<void> {
    this.#usable("Creating a session");
    const carried: SessionData = {};
    for (const key of options.carryOver ?? []) {
      if (this.#current !== null && Object.hasOwn(this.#current.data, key))
        carried[key] = this.#current.data[key];
    }
    const data: SessionData = { ...carried, ...options.data };
    const text = this.#engine.serializeData(data);
    const persistent = options.persistent ?? false;
    return andThen(this.#dropCurrent(), () => this.#signIn(userId, persistent, data, text));
  }

  /** Starts the new session of {@link create}, once the one it replaces is gone. */
  #signIn(userId: string, persistent: boolean, data: SessionData, text: string): void {
    // The response may have been committed while the replaced session was being destroyed.
    this.#usable("Creating a session");
    const current = this.#startNew(userId, persistent, this.#engine.now());
    current.record.data = text;
    current.data = data;
    this.#changed();
  }

  /** Destroys the session in the store at once and clears the cookie. */
  async destroy(): Promise<void> {
    this.#usable("Destroying a session");
    await this.#dropCurrent();
    this.#changed();
  }

  /**
   * Replaces the token, keeping the data (call it on every privilege change). The old token
   * stops working at once. If another request destroyed the session or replaced its token
   * meanwhile, this request is left without a session and no second token is issued.
   */
  async rotate(): Promise<void> {
    this.#usable("Rotating a session");
    // A write or destroy of this request still under way goes first.
    await this.#afterSettled(() => this.#rotateNow());
    this.#changed();
  }

  /** The rotation of {@link rotate}, once nothing else of this request is under way. */
  #rotateNow(): Awaitable<void> {
    this.#usable("Rotating a session");
    const current = this.#require("Rotating a session");
    if (this.#pending.isNew) return;
    const changes = this.#pending.changes;
    const held = this.#held(current);
    return this.#track(
      this.#settleWith(replaceToken(this.#engine, held, changes, "privilege"), changes),
    );
  }

  /** Signs the same user in again: a new token, and fresh idle, absolute and auth times. */
  reauthenticate(): Promise<void> {
    return promiseOf(() => {
      this.#usable("Re-authenticating");
      // Every key is kept, those a write under way merges in too.
      return this.#afterSettled(() => {
        const current = this.#require("Re-authenticating");
        const userId = current.record.userId;
        if (userId === null) throw new NoSessionError("Re-authenticating");
        return this.#replace(userId, {
          carryOver: Object.keys(current.data) as (keyof Data & string)[],
          persistent: current.record.persistent,
        });
      });
    });
  }

  /** Whether the user signed in (or re-authenticated) within `maxAgeSeconds`. */
  isAuthRecent(maxAgeSeconds: number): boolean {
    const authTime = this.#current?.record.authTime;
    return authTime != null && this.#engine.now() - authTime <= maxAgeSeconds * 1000;
  }

  /** Throws {@link ReauthRequiredError} unless the user signed in within `maxAgeSeconds`. */
  requireRecentAuth(maxAgeSeconds: number): void {
    if (!this.isAuthRecent(maxAgeSeconds)) throw new ReauthRequiredError(maxAgeSeconds);
  }

  /** The signed-in user's live sessions, newest first, this one marked `current`. */
  listSessions(): Promise<SessionSummary[]> {
    return promiseOf(() => {
      const userId = this.#requireUser("Listing sessions");
      return listUserSessions(this.#engine, userId, this.#current?.id ?? null);
    });
  }

  /** Revokes one of the user's sessions by handle; resolves `false` if it is not theirs. */
  async revokeSession(handle: string): Promise<boolean> {
    const userId = this.#requireUser("Revoking a session");
    if (handle !== this.#current?.record.handle) {
      return revokeUserSession(this.#engine, userId, handle);
    }
    await this.destroy();
    return true;
  }

  /** Revokes every other session of the user ("sign out everywhere else"); resolves how many. */
  async revokeOtherSessions(): Promise<number> {
    // The user signed in when it is called, whatever a call of this request made meanwhile does.
    const userId = this.#requireUser("Revoking sessions");
    let count = 0;
    // This session is stored first, so it has the id the revocation spares. Both are one write
    // of this request, in the order of its calls; a commit made meanwhile waits for them.
    try {
      await this.#afterSettled(() => {
        const held = this.#current;
        return this.#track(
          andThen(this.#startWrite(), () => {
            // Lost to another request meanwhile (signed out, replaced): there is no "this
            // session" left to spare, and revoking every session is not what was asked.
            if (held !== null && this.#current === null)
              throw new NoSessionError("Revoking sessions");
            return revokeUserSessions(this.#engine, userId, this.#current?.id ?? undefined).then(
              (revokedCount) => {
                count = revokedCount;
              },
            );
          }),
        );
      });
    } finally {
      this.#changed();
    }
    return count;
  }

  /** Revokes every session of the user, this one included; resolves how many. */
  async revokeAllSessions(): Promise<number> {
    let count = 0;
    // After this request's write under way (a new session it inserts is revoked with the
    // others); a commit made meanwhile waits for the revocation.
    try {
      await this.#afterSettled(() => {
        const userId = this.#requireUser("Revoking sessions");
        // Left even when the revocation fails part-way: this request signs out either way.
        const revoked = revokeUserSessions(this.#engine, userId)
          .then((revokedCount) => {
            count = revokedCount;
          })
          .finally(() => this.#forget());
        return this.#track(revoked);
      });
    } finally {
      this.#changed();
    }
    return count;
  }

  /**
   * Writes pending changes to the store: a new session, changed keys (merged with concurrent
   * changes of other keys), a due touch or a due renewal. It never brings back a session that
   * was destroyed meanwhile; a change made on a token that another request renewed meanwhile
   * goes to the renewed session. Adapters call it through {@link commit}.
   */
  async save(): Promise<void> {
    await this.#write();
    this.#changed();
  }

  /**
   * The store write pending for this request, if any: none (at once) when nothing changed, and
   * at once too when the store answers at once.
   */
  #write(): Awaitable<void> {
    // After a failed one too: this call's own changes still want writing.
    return this.#afterSettled(() => this.#track(this.#startWrite()));
  }

  /** Starts the store write {@link #write} stands for. */
  #startWrite(): Awaitable<void> {
    const current = this.#current;
    if (current === null || this.#degraded !== null) return;
    const engine = this.#engine;
    const pending = this.#pending;
    if (pending.isNew) {
      if (engine.cookie.canWrite(this.#requestContext())) return this.#insert(current);
      return;
    }
    const changes = pending.changes;
    if (current.token !== null && isRenewalDue(engine.options, current.record, engine.now())) {
      return this.#settleWith(
        replaceToken(engine, this.#held(current), changes, "renewal"),
        changes,
      );
    }
    if (changes.patch.size === 0 && !changes.touch) return;
    return this.#settleWith(saveChanges(engine, this.#held(current), changes), changes);
  }

  /** Takes in where a store write of `changes` left the session, once it is done. */
  async #settleWith(write: Promise<WriteOutcome>, changes: PendingChanges): Promise<void> {
    this.#settle(await write, changes);
  }

  /**
   * Whether {@link commit} has anything to do: a new or changed session, a due touch or
   * renewal, or a cookie to write or clear. Adapters skip the commit, and hold nothing of the
   * response back, when it is `false`.
   */
  get needsCommit(): boolean {
    const owed = this.#owed;
    if (this.#degraded !== null || owed?.committed) return false;
    if (owed?.hasWork) return true;
    const current = this.#current;
    const engine = this.#engine;
    return (
      current !== null &&
      current.token !== null &&
      isRenewalDue(engine.options, current.record, engine.now())
    );
  }

  /**
   * Calls `listener` once, as soon as {@link needsCommit} is `true` (at once if it already is).
   * An adapter that must hold the response back for the commit (Express) installs that hold
   * only then, so a request that changes nothing passes through untouched.
   *
   * @example
   * ```ts
   * session.onCommitNeeded(() => holdResponseUntilCommitted(res, session));
   * ```
   */
  onCommitNeeded(listener: () => void): void {
    if (this.needsCommit) {
      listener();
      return;
    }
    this.#onCommitNeeded = listener;
  }

  /**
   * Saves, then answers what the response must carry for the session: the session cookie's
   * `Set-Cookie` line (set or cleared) with `Cache-Control: no-store` and `Vary: Cookie`, or
   * `null` when there is no cookie to write. Idempotent: a second call answers `null`. Changes
   * from the moment it starts throw: the write is already on its way to the store.
   */
  commit(): Promise<SessionHeaders | null> {
    const pending = this.#pending;
    if (pending.committed) return NO_HEADERS;
    pending.committed = true;
    return promiseOf(() => andThen(this.#write(), () => this.#headers()));
  }

  /** What the response carries once the store write is done: the cookie line and its headers. */
  #headers(): Awaitable<SessionHeaders | null> {
    const line = this.#cookieLine();
    if (line === null || !this.#engine.cookie.canWrite(this.#requestContext())) return null;
    return andThen(line, (setCookie) => ({ setCookie, cacheControl: "no-store", vary: "Cookie" }));
  }

  /** The session cookie's line this response carries, if any. */
  #cookieLine(): string | Promise<string> | null {
    const current = this.#current;
    const cookie = this.#pending.cookie;
    if (cookie === "set" && current !== null && current.token !== null) {
      return this.#engine.cookie.lineFor(current.token, current.record, this.#engine.now());
    }
    return cookie === "clear" ? this.#engine.cookie.clearing : null;
  }

  /** The request's context, asked of the adapter the first time it is needed. */
  #requestContext(): RequestContext {
    const context = this.#context;
    if (typeof context !== "function") return context;
    const resolved = context();
    this.#context = resolved;
    return resolved;
  }

  /** Tells the adapter, once, that the response now carries a commit. */
  #changed(): void {
    const listener = this.#onCommitNeeded;
    if (listener === null || !this.needsCommit) return;
    this.#onCommitNeeded = null;
    listener();
  }

  #startNew(userId: string | null, persistent: boolean, authTime: number | null): Current {
    const current: Current = {
      id: null,
      token: this.#engine.newToken(),
      record: this.#engine.newRecord(userId, this.#requestContext(), persistent, authTime),
      data: {},
    };
    this.#current = current;
    this.#pending.started();
    return current;
  }

  /** Inserts the new session; at once when hashing and the store answer at once. */
  #insert(current: Current): Awaitable<void> {
    const engine = this.#engine;
    // What is inserted is the session as it stands now; later changes are saved after it.
    const { record } = current;
    const changes = this.#pending.changes;
    return andThen(engine.hash(current.token!), (id) =>
      andThen(engine.store.insert(id, record), () => this.#inserted(current, id, changes)),
    );
  }

  /** The new session is stored under `id`: announce it, then hold the user to their limit. */
  #inserted(current: Current, id: string, changes: PendingChanges): Awaitable<void> {
    const engine = this.#engine;
    current.id = id;
    this.#pending.inserted(changes);
    const { handle, userId } = current.record;
    engine.emit({ type: "created", at: engine.now(), handle, userId });
    if (userId === null) return;
    const kept = enforceSessionLimit(engine, userId, id);
    if (kept !== true) return this.#limited(kept);
  }

  /** Takes in the session limit's verdict on the new session: evicted, or refused. */
  async #limited(kept: Awaitable<boolean>): Promise<void> {
    try {
      if (!(await kept)) this.#forget();
    } catch (error) {
      if (error instanceof SessionLimitError) {
        this.#forget();
        this.#pending.leaveCookie();
      }
      throw error;
    }
  }

  /** The current session, once stored, as the write operations take it. */
  #held(current: Current): HeldSession {
    return { ...current, id: current.id! };
  }

  /**
   * Takes in where a write of `changes` left the session: saved (perhaps under a new token),
   * or lost. Changes made while it was under way are kept, and saved by the next write.
   */
  #settle(outcome: WriteOutcome, changes: PendingChanges): void {
    if (outcome.status !== "saved") {
      this.#forget();
      // Superseded: another response carries the session's new token; leave the cookie to it.
      if (outcome.status === "superseded") this.#pending.leaveCookie();
      return;
    }
    const { session } = outcome;
    const newToken = session.token !== null && session.token !== this.#current?.token;
    const settled: Current = { ...session };
    this.#current = settled;
    this.#pending.saved(newToken, changes);
    // Should they no longer fit beside what the write merged in, the later changes stay pending
    // and the error goes to the caller; the session is still the one the write left.
    const later = this.#pending.patch;
    if (later.size > 0) this.#apply(settled, later);
  }

  /** Destroys the request's stored session, if any (a promise then), and leaves it. */
  #dropCurrent(): Awaitable<void> {
    return this.#afterSettled(() => {
      const current = this.#current;
      if (current === null) return;
      if (current.id !== null && !this.#pending.isNew)
        return this.#track(this.#destroyStored(current, current.id));
      this.#forget();
    });
  }

  /**
   * Runs `next` once no store write or destroy of this request is under way: at once if none
   * is, else in the callback where the last one settles (a failed one is left to the call that
   * started it), so that calls made while one was under way go on in the order they were made.
   */
  #afterSettled<T>(next: () => Awaitable<T>): Awaitable<T> {
    const inFlight = this.#inFlight;
    if (inFlight === null) return next();
    const again = (): Awaitable<T> => this.#afterSettled(next);
    return inFlight.then(again, again);
  }

  /**
   * Remembers a store write or destroy until it settles, so that a second call of this request
   * made meanwhile (a `save()` left un-awaited, then the commit; two `create()`s) waits for it
   * instead of writing or destroying the same session twice.
   */
  #track(work: Awaitable<void>): Awaitable<void> {
    if (!isPromiseLike(work)) return work;
    const tracked: Promise<void> = Promise.resolve(work);
    this.#inFlight = tracked;
    // Cleared by the first reaction to the tracked promise, so calls already waiting for it go
    // on before any call made once it settles.
    const clear = (): void => {
      if (this.#inFlight === tracked) this.#inFlight = null;
    };
    tracked.then(clear, clear);
    return tracked;
  }

  async #destroyStored(current: Current, id: string): Promise<void> {
    await destroySession(this.#engine, id);
    const { handle, userId } = current.record;
    this.#engine.emit({ type: "destroyed", at: this.#engine.now(), handle, userId });
    this.#forget();
  }

  /** Drops the session from this request and clears the cookie the client holds, if any. */
  #forget(): void {
    this.#current = null;
    this.#pending.forgotten();
  }

  #require(action: string): Current {
    if (this.#current === null) throw new NoSessionError(action);
    return this.#current;
  }

  #requireUser(action: string): string {
    const userId = this.#current?.record.userId;
    if (userId == null) throw new NoSessionError(action);
    return userId;
  }

  #usable(action: string): void {
    if (this.#degraded !== null) throw this.#degraded;
    if (this.#pending.committed)
      throw new Error(`${action} after the response was committed has no effect.`);
  }
}
