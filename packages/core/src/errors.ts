/**
 * The errors sesame throws. Each has a stable `code` to branch on; messages are for people and
 * never contain a token, a cookie value or a secret.
 *
 * @module
 */

/** Codes of every {@link SesameError}. */
export type SesameErrorCode =
  | "config_invalid"
  | "store_unavailable"
  | "store_timeout"
  | "store_misconfigured"
  | "session_too_large"
  | "session_data_invalid"
  | "cookie_invalid"
  | "reauth_required"
  | "no_session"
  | "session_limit";

/**
 * Marks every error sesame throws, whichever copy of `@sesame/core` threw it. `Symbol.for` gives
 * every copy (two versions in one `node_modules`, or the ES module and CommonJS builds) the
 * same symbol, where `instanceof` only knows its own copy's classes.
 */
const SESAME_ERROR = Symbol.for("sesame.error");

/** The codes of {@link SessionStoreError}. */
const STORE_ERROR_CODES = ["store_unavailable", "store_timeout", "store_misconfigured"] as const;

/** Base class of every error sesame throws. */
export class SesameError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: SesameErrorCode;

  constructor(code: SesameErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, SESAME_ERROR, { value: true });
  }
}

/**
 * Whether `error` is one sesame threw, from this copy of `@sesame/core` or any other (where
 * `instanceof SesameError` is `false`). Branch on its `code` then.
 *
 * @example
 * ```ts
 * try {
 *   session.requireRecentAuth(300);
 * } catch (error) {
 *   if (isSesameError(error) && error.code === "reauth_required") return redirect("/login");
 *   throw error;
 * }
 * ```
 */
export function isSesameError(error: unknown): error is SesameError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { [SESAME_ERROR]?: unknown })[SESAME_ERROR] === true
  );
}

/**
 * Whether `error` is a {@link SessionStoreError} (the store failed, did not answer in time, or
 * is misconfigured), from this copy of `@sesame/core` or any other. Adapters answer it with a 503.
 *
 * @example
 * ```ts
 * app.onError((error, c) =>
 *   isSessionStoreError(error) ? c.json({ error: "try_again_later" }, 503) : c.text("Oops", 500),
 * );
 * ```
 */
export function isSessionStoreError(error: unknown): error is SessionStoreError {
  return isSesameError(error) && (STORE_ERROR_CODES as readonly string[]).includes(error.code);
}

/**
 * The manager or a store was given options that cannot work. Thrown at construction, with a
 * message that says how to fix it.
 */
export class SessionConfigError extends SesameError {
  constructor(message: string) {
    super("config_invalid", message);
  }
}

/**
 * The session store failed (`store_unavailable`), did not answer in time (`store_timeout`), or
 * cannot work as set up (`store_misconfigured`: a missing table, an unconnected client; its
 * message says how to fix it). Adapters turn it into a 503 by default; `cause` holds the store's
 * own error.
 *
 * @example
 * ```ts
 * throw new SessionStoreError("store_misconfigured", "PostgresStore: call `await store.createSchema()` first.");
 * ```
 */
export class SessionStoreError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 503;
  /** Not for the client's eyes: frameworks that honour `expose` answer with a generic message. */
  readonly expose = false;

  constructor(
    code: (typeof STORE_ERROR_CODES)[number],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Session data would exceed `maxDataBytes` once serialized. Nothing was changed. */
export class SessionTooLargeError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 413;

  constructor(size: number, limit: number) {
    super("session_too_large", `Session data would be ${size} bytes; the limit is ${limit} bytes.`);
  }
}

/** A key or value cannot be stored in session data (for example `__proto__`). */
export class SessionDataError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 400;

  constructor(message: string) {
    super("session_data_invalid", message);
  }
}

/** A cookie name, value or attribute that RFC 6265 forbids was given to the serializer. */
export class CookieError extends SesameError {
  constructor(message: string) {
    super("cookie_invalid", message);
  }
}

/** The action needs a session, and the request has none. */
export class NoSessionError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 401;

  constructor(action: string) {
    super("no_session", `${action} needs a session, and this request has none.`);
  }
}

/** The user signed in too long ago for a sensitive action; ask them to sign in again. */
export class ReauthRequiredError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 401;

  constructor(maxAgeSeconds: number) {
    super("reauth_required", `This action needs a sign-in within the last ${maxAgeSeconds} s.`);
  }
}

/** The user already has `maxSessionsPerUser` sessions and the policy is `reject`. */
export class SessionLimitError extends SesameError {
  /** HTTP status an adapter answers with. */
  readonly status = 409;

  constructor(limit: number) {
    super("session_limit", `This user already has the most sessions allowed (${limit}).`);
  }
}
