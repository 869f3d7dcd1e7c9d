import { andThen, promiseOf } from "./awaitable.js";
import {
  NoSessionError,
  ReauthRequiredError,
  SessionDataError,
  type SessionStoreError,
} from "./errors.js";
import { flashKey, splitFlash } from "./flash.js";
import type { RequestContext } from "./request-context.js";
import type { SessionHeaders } from "./session-cookie.js";
import type { LoadedSession, SessionData, SessionEngine } from "./session-engine.js";
import { SessionState } from "./session-state.js";
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
 * `session-state.ts`; the store operations themselves live in `session-writes.ts`.
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
  readonly #state: SessionState<Data>;

  /** @internal Built by `SessionManager.load`. */
  constructor(
    engine: SessionEngine<Data>,
    context: RequestContext | (() => RequestContext),
    loaded: LoadedSession | null,
    degraded: SessionStoreError | null = null,
    carriedCookie: boolean = loaded !== null,
  ) {
    this.#state = new SessionState(engine, context, loaded, degraded, carriedCookie);
  }

  /** The signed-in user, or `null` (no session, or an anonymous one). */
  get userId(): string | null {
    return this.#state.current?.record.userId ?? null;
  }

  /** Whether the request has a session (signed in or anonymous). */
  get exists(): boolean {
    return this.#state.current !== null;
  }

  /** Timestamps and flags of the current session, or `null`. */
  get info(): SessionInfo | null {
    const record = this.#state.current?.record;
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
    return splitFlash(this.#state.current?.data ?? {}).data as Partial<Data>;
  }

  /** One value of the session data. */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    const data = this.#state.current?.data;
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
    this.#state.engine.checkKey(key);
    this.#state.change(key, value);
  }

  /** Removes one value. */
  unset<K extends keyof Data & string>(key: K): void {
    const current = this.#state.current;
    if (current === null || !Object.hasOwn(current.data, key)) return;
    this.#state.engine.checkKey(key);
    this.#state.change(key, REMOVED);
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
    this.#state.engine.checkKey(key);
    this.#state.change(flashKey(key), value);
  }

  /**
   * Reads the flash value `key` and removes it (saved at commit), so it is shown once; resolves
   * `undefined` when there is none.
   */
  takeFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined {
    const name = flashKey(key);
    const data = this.#state.current?.data;
    if (data === undefined || !Object.hasOwn(data, name)) return undefined;
    const value = data[name] as Flash[K];
    this.#state.change(name, REMOVED);
    return value;
  }

  /**
   * Signs `userId` in with a brand-new session. Any session the request carried is destroyed
   * first (no fixation); only keys listed in `carryOver` survive into the new one. Data that
   * cannot be kept rejects (`SessionDataError`, `SessionTooLargeError`) before anything changes.
   */
  create(userId: string, options: CreateSessionOptions<Data> = {}): Promise<void> {
    const state = this.#state;
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
    this.#state.usable("Destroying a session", false);
    await this.#state.dropCurrent();
    this.#state.changed();
  }

  /**
   * Replaces the token, keeping the data (call it on every privilege change). The old token
   * stops working at once. If another request destroyed the session or rotated it meanwhile,
   * this request is left without a session and no second token is issued; if another request
   * only renewed it, the renewed session is rotated (its new token dies too).
   */
  async rotate(): Promise<void> {
    this.#state.usable("Rotating a session");
    // A write or destroy of this request still under way goes first.
    await this.#state.rotate();
    this.#state.changed();
  }

  /** Signs the same user in again: a new token, and fresh idle, absolute and auth times. */
  reauthenticate(): Promise<void> {
    const state = this.#state;
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
    const authTime = this.#state.current?.record.authTime;
    return authTime != null && this.#state.engine.now() - authTime <= maxAgeSeconds * 1000;
  }

  /** Throws {@link ReauthRequiredError} unless the user signed in within `maxAgeSeconds`. */
  requireRecentAuth(maxAgeSeconds: number): void {
    if (!this.isAuthRecent(maxAgeSeconds)) throw new ReauthRequiredError(maxAgeSeconds);
  }

  /** The signed-in user's live sessions, newest first, this one marked `current`. */
  listSessions(): Promise<SessionSummary[]> {
    const state = this.#state;
    return promiseOf(() => {
      const userId = state.requireUser("Listing sessions");
      return listUserSessions(state.engine, userId, state.current?.id ?? null);
    }).catch(noted(state));
  }

  /** Revokes one of the user's sessions by handle; resolves `false` if it is not theirs. */
  async revokeSession(handle: string): Promise<boolean> {
    const userId = this.#state.requireUser("Revoking a session");
    if (handle !== this.#state.current?.record.handle) {
      return revokeUserSession(this.#state.engine, userId, handle).catch(noted(this.#state));
    }
    await this.destroy();
    return true;
  }

  /** Revokes every other session of the user ("sign out everywhere else"); resolves how many. */
  async revokeOtherSessions(): Promise<number> {
    const state = this.#state;
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
    const state = this.#state;
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
    await this.#state.write();
    this.#state.changed();
  }

  /**
   * Whether {@link commit} has anything to do: a new or changed session, a due touch or
   * renewal, a cookie to write or clear, or a store write or destroy still under way (what the
   * response carries is known once it is done). Adapters skip the commit, and hold nothing of
   * the response back, when it is `false`; one that holds the response checks it again as the
   * head goes out, since a write under way may end with nothing to commit.
   */
  get needsCommit(): boolean {
    return this.#state.needsCommit;
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
    this.#state.onCommitNeeded(listener);
  }

  /**
   * The first `SessionStoreError` a session call of this request failed with (awaited or not),
   * or `null`. Adapters commit nothing for a request that failed on it: Express, which cannot
   * see the error an error handler answers, looks here.
   */
  get storeFailure(): SessionStoreError | null {
    return this.#state.storeFailure;
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
    this.#state.close();
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
    this.#state.closeOnceResponded(responded);
  }

  /**
   * Saves, then answers what the response must carry for the session: the session cookie's
   * `Set-Cookie` line (set or cleared) with `Cache-Control: no-store` and `Vary: Cookie`, or
   * `null` when there is no cookie to write. Idempotent: a second call answers `null`, as one after
   * {@link close} does. Changes
   * from the moment it starts throw: the write is already on its way to the store.
   */
  commit(): Promise<SessionHeaders | null> {
    const state = this.#state;
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
