import { andThen, promiseOf } from "./awaitable.js";
import {
  NoSessionError,
  ReauthRequiredError,
  SessionDataError,
  type SessionStoreError,
} from "./errors.js";
import { flashKey, splitFlash } from "./flash.js";
import { isRenewalDue, isTouchDue } from "./lifetimes.js";
import type { RequestContext } from "./request-context.js";
import type { SessionHeaders } from "./session-cookie.js";
import type { LoadedSession, SessionData, SessionEngine } from "./session-engine.js";
import { type Current, SessionState } from "./session-state.js";
import { REMOVED } from "./session-writes.js";
import {
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

/**
 * One request's view of its session: read it, change it, create, rotate or destroy it. The
 * adapter commits it once, before the response headers go out, and writes the headers the
 * commit returns; nothing is written for a request that changed nothing. `Data` types the
 * session data, `Flash` the values {@link RequestSession.flash} leaves for a later request.
 *
 * The session as it stands, what its commit owes and the store writes of it are kept in
 * `session-state.ts`, made on the first call that may change something: a request that only
 * reads its session never makes one. The store operations live in `session-writes.ts`.
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
  readonly #context: RequestContext | (() => RequestContext);
  readonly #loaded: LoadedSession | null;
  readonly #degraded: SessionStoreError | null;
  readonly #carriedCookie: boolean;
  /** Whether the loaded session's idle expiry slides on this request, as decided at load. */
  readonly #touchDue: boolean;
  /** The session and its writes, made by the first call that may change something. */
  #state: SessionState<Data> | null = null;
  /** What the adapter said before the state was made, handed to it when it is. */
  #closed = false;
  #responded: (() => boolean) | null = null;
  #onCommitNeeded: (() => void) | null = null;

  /** @internal Built by `SessionManager.load`. */
  constructor(
    engine: SessionEngine<Data>,
    context: RequestContext | (() => RequestContext),
    loaded: LoadedSession | null,
    degraded: SessionStoreError | null = null,
    carriedCookie: boolean = loaded !== null,
  ) {
    this.#engine = engine;
    this.#context = context;
    this.#loaded = loaded;
    this.#degraded = degraded;
    this.#carriedCookie = carriedCookie;
    this.#touchDue = loaded !== null && isTouchDue(engine.options, loaded.record, engine.now());
  }

  /** The session as it stands: as loaded, until a call may have changed it. */
  get #current(): Current | null {
    return this.#state === null ? this.#loaded : this.#state.current;
  }

  /** The session's state, made now if no call made it yet. */
  #writable(): SessionState<Data> {
    if (this.#state !== null) return this.#state;
    const state = new SessionState(
      this.#engine,
      this.#context,
      this.#loaded,
      this.#degraded,
      this.#carriedCookie,
      this.#touchDue,
    );
    this.#state = state;
    if (this.#closed) state.close();
    if (this.#responded !== null) state.closeOnceResponded(this.#responded);
    // Nothing was owed when it was given: it waits, as it would have, for a change.
    if (this.#onCommitNeeded !== null) state.listenForCommit(this.#onCommitNeeded);
    return state;
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
    this.#writable().change(key, value);
  }

  /** Removes one value. */
  unset<K extends keyof Data & string>(key: K): void {
    const current = this.#current;
    if (current === null || !Object.hasOwn(current.data, key)) return;
    this.#engine.checkKey(key);
    this.#writable().change(key, REMOVED);
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
    this.#writable().change(flashKey(key), value);
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
    this.#writable().change(name, REMOVED);
    return value;
  }

  /**
   * Signs `userId` in with a brand-new session. Any session the request carried is destroyed
   * first (no fixation); only keys listed in `carryOver` survive into the new one. Data that
   * cannot be kept rejects (`SessionDataError`, `SessionTooLargeError`) before anything changes.
   */
  create(userId: string, options: CreateSessionOptions<Data> = {}): Promise<void> {
    const state = this.#writable();
    return promiseOf(() => {
      state.usable("Creating a session");
      if (typeof userId !== "string" || userId.length === 0)
        throw new TypeError("userId must be a non-empty string.");
      for (const key of Object.keys(options.data ?? {})) state.engine.checkKey(key);
      const replacement = {
        carryOver: options.carryOver ?? [],
        data: (options.data ?? {}) as SessionData,
        persistent: options.persistent ?? false,
      };
      // The data to carry over is read once a write under way has merged in what it brings.
      return state.afterSettled(() => state.replace(userId, replacement));
    });
  }

  /**
   * Destroys the session in the store at once and clears the cookie; a cookie the request
   * carried that named no session (expired, unknown) is cleared too.
   */
  async destroy(): Promise<void> {
    const state = this.#writable();
    state.usable("Destroying a session", false);
    await state.dropCurrent();
    state.changed();
  }

  /**
   * Replaces the token, keeping the data (call it on every privilege change). The old token
   * stops working at once. If another request destroyed the session or rotated it meanwhile,
   * this request is left without a session and no second token is issued; if another request
   * only renewed it, the renewed session is rotated (its new token dies too).
   */
  async rotate(): Promise<void> {
    const state = this.#writable();
    state.usable("Rotating a session");
    // A write or destroy of this request still under way goes first.
    await state.rotate();
    state.changed();
  }

  /** Signs the same user in again: a new token, and fresh idle, absolute and auth times. */
  reauthenticate(): Promise<void> {
    const state = this.#writable();
    return promiseOf(() => {
      state.usable("Re-authenticating");
      // Every key is kept, those a write under way merges in too.
      return state.afterSettled(() => {
        const current = state.require("Re-authenticating");
        const userId = current.record.userId;
        if (userId === null) throw new NoSessionError("Re-authenticating");
        return state.replace(userId, {
          carryOver: Object.keys(current.data),
          data: {},
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
    const state = this.#writable();
    return promiseOf(() => {
      const userId = state.requireUser("Listing sessions");
      return listUserSessions(state.engine, userId, state.current?.id ?? null);
    }).catch(noted(state));
  }

  /** Revokes one of the user's sessions by handle; resolves `false` if it is not theirs. */
  async revokeSession(handle: string): Promise<boolean> {
    const state = this.#writable();
    const userId = state.requireUser("Revoking a session");
    if (handle !== state.current?.record.handle) {
      return revokeUserSession(state.engine, userId, handle).catch(noted(state));
    }
    await this.destroy();
    return true;
  }

  /** Revokes every other session of the user ("sign out everywhere else"); resolves how many. */
  async revokeOtherSessions(): Promise<number> {
    const state = this.#writable();
    // The user signed in when it is called, whatever a call of this request made meanwhile does.
    const userId = state.requireUser("Revoking sessions");
    let count = 0;
    // This session is stored first, so it has the id the revocation spares. Both are one write
    // of this request, in the order of its calls; a commit made meanwhile waits for them.
    try {
      await state.afterSettled(() => {
        const held = state.current;
        return state.track(
          andThen(state.startWrite(), () => {
            // Lost to another request meanwhile (signed out, replaced): there is no "this
            // session" left to spare, and revoking every session is not what was asked.
            if (held !== null && state.current === null)
              throw new NoSessionError("Revoking sessions");
            const current = state.current;
            const spared =
              current?.id == null ? undefined : { id: current.id, handle: current.record.handle };
            return revokeUserSessions(state.engine, userId, spared).then((revokedCount) => {
              count = revokedCount;
            });
          }),
        );
      });
    } finally {
      state.changed();
    }
    return count;
  }

  /** Revokes every session of the user, this one included; resolves how many. */
  async revokeAllSessions(): Promise<number> {
    const state = this.#writable();
    let count = 0;
    // After this request's write under way (a new session it inserts is revoked with the
    // others); a commit made meanwhile waits for the revocation.
    try {
      await state.afterSettled(() => {
        const userId = state.requireUser("Revoking sessions");
        // Left even when the revocation fails part-way: this request signs out either way.
        const revoked = revokeUserSessions(state.engine, userId)
          .then((revokedCount) => {
            count = revokedCount;
          })
          .finally(() => state.forget());
        return state.track(revoked);
      });
    } finally {
      state.changed();
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
    const state = this.#writable();
    await state.write();
    state.changed();
  }

  /**
   * Whether {@link commit} has anything to do: a new or changed session, a due touch or
   * renewal, a cookie to write or clear, or a store write or destroy still under way (what the
   * response carries is known once it is done). Adapters skip the commit, and hold nothing of
   * the response back, when it is `false`; one that holds the response checks it again as the
   * head goes out, since a write under way may end with nothing to commit.
   */
  get needsCommit(): boolean {
    if (this.#state !== null) return this.#state.needsCommit;
    const loaded = this.#loaded;
    // Unchanged, a session owes a commit only for a cookie to re-sign or a touch or renewal due.
    if (loaded === null || this.#degraded !== null || this.#closed) return false;
    if (loaded.resign || this.#touchDue) return true;
    return isRenewalDue(this.#engine.options, loaded, this.#engine.now());
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
    if (this.#state !== null) this.#state.onCommitNeeded(listener);
    else if (this.needsCommit) listener();
    else this.#onCommitNeeded = listener;
  }

  /**
   * The first `SessionStoreError` a session call of this request failed with (awaited or not),
   * or `null`. Adapters commit nothing for a request that failed on it: Express, which cannot
   * see the error an error handler answers, looks here.
   */
  get storeFailure(): SessionStoreError | null {
    return this.#state?.storeFailure ?? null;
  }

  /**
   * For adapters: the response is going out without a commit, since {@link needsCommit} was
   * `false` (or the request failed on the store). A change made later, in a stream still being
   * written, say, then throws, as it does after {@link commit}, instead of being silently lost.
   *
   * @example
   * ```ts
   * if (session.needsCommit) await writeHeaders(await session.commit());
   * else session.close();
   * ```
   */
  close(): void {
    if (this.#state === null) this.#closed = true;
    else this.#state.close();
  }

  /**
   * For an adapter that cannot call {@link close} as its response goes out: `responded` tells
   * whether it has (Express: `() => res.headersSent`), asked when the session is changed.
   *
   * @example
   * ```ts
   * session.closeOnceResponded(() => res.headersSent);
   * ```
   */
  closeOnceResponded(responded: () => boolean): void {
    if (this.#state === null) this.#responded = responded;
    else this.#state.closeOnceResponded(responded);
  }

  /**
   * Saves, then answers what the response must carry for the session: the session cookie's
   * `Set-Cookie` line (set or cleared) with `Cache-Control: no-store` and `Vary: Cookie`, or
   * `null` when there is no cookie to write. Idempotent: a second call answers `null`, as one after
   * {@link close} does. Changes
   * from the moment it starts throw: the write is already on its way to the store.
   */
  commit(): Promise<SessionHeaders | null> {
    const state = this.#writable();
    if (state.closed) return NO_HEADERS;
    const pending = state.pending;
    if (pending.committed) return NO_HEADERS;
    pending.committed = true;
    return promiseOf(() => andThen(state.write(), () => state.headers()));
  }
}

/** A rejection handler that keeps a store failure on the request, then passes the error on. */
function noted(state: SessionState<object>): (error: unknown) => never {
  return (error) => {
    state.noteFailure(error);
    throw error;
  };
}
