import type { PendingChanges } from "./session-writes.js";

/**
 * What a request's commit owes, as one explicit state: the store write (a new session to
 * insert, changed keys, a touch) and what happens to the cookie (set it to the current token,
 * clear it, or leave it as the client has it). Each change of a request's session is one method
 * here; a due renewal is the only duty that depends on the clock, and the session checks it.
 */
/** The patch of a request that changed no key: one shared, never written, map. */
const NO_CHANGES: ReadonlyMap<string, unknown> = new Map();

export class PendingCommit {
  /** Keys set to a value, or removed, since the session was last stored (made on first change). */
  #patch: Map<string, unknown> | null = null;
  /** The number of the change that last touched each key of {@link #patch} (made with it). */
  #changedAt: Map<string, number> | null = null;
  /** How many changes were recorded: a write knows which it took by this count. */
  #changeCount = 0;
  /** A new session, not in the store yet. */
  isNew = false;
  /** The idle expiry slides forward at commit. */
  touch = false;
  /** The session cookie: set to the current token, cleared, or left alone (`null`). */
  cookie: "set" | "clear" | null = null;
  /** The commit ran; nothing more is written for this request. */
  committed = false;
  /** Whether the request carried a session cookie, which leaving the session clears. */
  readonly #carriedCookie: boolean;

  constructor(carriedCookie: boolean) {
    this.#carriedCookie = carriedCookie;
  }

  /** Keys set to a value, or removed, since the session was last stored. */
  get patch(): ReadonlyMap<string, unknown> {
    return this.#patch ?? NO_CHANGES;
  }

  /** Records that `key` was set to `value` (or removed, with `REMOVED`). */
  change(key: string, value: unknown): void {
    this.#patch ??= new Map();
    this.#patch.set(key, value);
    this.#changedAt ??= new Map();
    this.#changedAt.set(key, ++this.#changeCount);
  }

  /** Whether the commit owes anything besides a due renewal. */
  get hasWork(): boolean {
    return this.isNew || this.cookie !== null || this.touch || this.patch.size > 0;
  }

  /**
   * This request's unsaved changes as they stand, as a write takes them: a copy, so changes made
   * while that write is under way are not mistaken for written ones.
   */
  get changes(): PendingChanges {
    const patch = this.#patch;
    return {
      patch: patch === null ? NO_CHANGES : new Map(patch),
      touch: this.touch,
      through: this.#changeCount,
    };
  }

  /** A brand-new session: inserted, and its cookie set, at commit. */
  started(): void {
    this.isNew = true;
    this.touch = false;
    this.#clearPatch();
    this.cookie = "set";
  }

  /** The new session is in the store, with the `written` changes; later ones stay pending. */
  inserted(written: PendingChanges): void {
    this.isNew = false;
    this.#dropWritten(written);
  }

  /**
   * A write of the `written` changes landed; changes made while it was under way stay pending.
   * With `newToken` the session moved to a token the client lacks.
   */
  saved(newToken: boolean, written: PendingChanges): void {
    if (newToken) this.cookie = "set";
    this.#dropWritten(written);
  }

  /**
   * Drops the changes a write stored, keeping any made to a key since it began: told apart by
   * when they were made, not by their value, which the app may have changed in place and set
   * again.
   */
  #dropWritten(written: PendingChanges): void {
    if (written.touch) this.touch = false;
    const patch = this.#patch;
    if (patch === null) return;
    for (const key of written.patch.keys()) {
      if ((this.#changedAt?.get(key) ?? 0) > written.through) continue;
      patch.delete(key);
      this.#changedAt?.delete(key);
    }
    if (patch.size === 0) this.#clearPatch();
  }

  /** The session left this request: clear the cookie the client holds, if it sent one. */
  forgotten(): void {
    this.isNew = false;
    this.touch = false;
    this.#clearPatch();
    this.cookie = this.#carriedCookie ? "clear" : null;
  }

  #clearPatch(): void {
    this.#patch = null;
    this.#changedAt = null;
  }

  /** Another response carries the session's cookie (it replaced the token): leave it alone. */
  leaveCookie(): void {
    this.cookie = null;
  }
}
