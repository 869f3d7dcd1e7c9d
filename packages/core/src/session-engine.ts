import type { CookieAttributes } from "./cookie/serialize.js";
import type { CookieAccessor, RequestContext } from "./cookie-accessor.js";
import { isLoopbackHost } from "./cookie-accessor.js";
import { isSessionStoreError, SessionDataError, SessionTooLargeError } from "./errors.js";
import { RejectionLimiter, type RejectionReason, type SessionEvent } from "./events.js";
import { holdsSession, isHonoured, NOWHERE } from "./forwarding.js";
import { GuardedStore } from "./guarded-store.js";
import type { ResolvedOptions } from "./options.js";
import { FORBIDDEN_KEYS, findForbiddenKey } from "./serializer.js";
import type { StoredSession } from "./store.js";
import {
  generateHandle,
  generateToken,
  hashToken,
  isWellFormedToken,
  signToken,
  verifySignedValue,
} from "./token.js";

/** Session data: a plain object of JSON-safe values. */
export type SessionData = Record<string, unknown>;

/** A session found from a request's cookie. */
export interface LoadedSession {
  /** Store key. */
  id: string;
  /** The raw token, or `null` when the request came through a renewed token's grace window. */
  token: string | null;
  record: StoredSession;
  data: SessionData;
  /** Whether the cookie was signed with an older secret and should be re-signed. */
  resign: boolean;
}

const USER_AGENT_LIMIT = 256;

/**
 * The rules every request follows, shared by the manager and each request's session: token and
 * cookie handling, record lifetimes, data checks, events and the guarded store.
 */
export class SessionEngine<Data extends object> {
  readonly options: ResolvedOptions<Data>;
  readonly store: GuardedStore;
  readonly #rejections: RejectionLimiter;
  readonly #warned = new Set<string>();
  /** Creation times are strictly increasing per process, so per-user limits rank logins exactly. */
  #lastCreatedAt = 0;
  readonly #encoder = new TextEncoder();

  constructor(options: ResolvedOptions<Data>) {
    this.options = options;
    this.#rejections = new RejectionLimiter(options.maxRejectedEventsPerSecond);
    this.store = new GuardedStore(options.store, {
      timeoutMs: options.storeTimeoutMs,
      retries: options.storeRetries,
    });
  }

  now(): number {
    return this.options.now();
  }

  /**
   * Finds the session a cookie value names, or `null` (with a `rejected` event) if none. A
   * renewed token leads to its successor (live, or still pending) during its grace window.
   */
  async resolve(value: string): Promise<LoadedSession | null> {
    const { secrets, cookie } = this.options;
    let token = value;
    let resign = false;
    if (secrets.length > 0) {
      const verified = await verifySignedValue(secrets, cookie.name, value);
      if (verified === null) {
        const shaped = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/.test(value);
        return this.reject(shaped ? "bad_signature" : "malformed");
      }
      token = verified.token;
      resign = verified.secretIndex > 0;
    } else if (!isWellFormedToken(value)) {
      return this.reject("malformed");
    }
    const hashed = hashToken(token);
    const id = typeof hashed === "string" ? hashed : await hashed;
    const record = await this.store.get(id);
    if (record === null) return this.reject("unknown_session");
    const now = this.now();
    if (record.successorId !== null) {
      if (record.successorId === NOWHERE) return this.reject("unknown_session");
      if (!isHonoured(record, now)) return this.reject("renewed_token_reused", record);
      const successor = await this.store.get(record.successorId);
      if (successor === null || !holdsSession(record.successorId, successor))
        return this.reject("unknown_session");
      return this.#withData(record.successorId, null, successor, false);
    }
    if (now >= record.expiresAt || now >= record.absoluteExpiresAt) {
      const reason = now >= record.absoluteExpiresAt ? "absolute" : "idle";
      this.emit({ type: "expired", at: now, handle: record.handle, userId: record.userId, reason });
      return null;
    }
    return this.#withData(id, token, record, resign);
  }

  /** The loaded session with its data, or `null` when the data is corrupt or fails the schema. */
  #withData(
    id: string,
    token: string | null,
    record: StoredSession,
    resign: boolean,
  ): LoadedSession | null | Promise<LoadedSession | null> {
    let data: unknown;
    try {
      data = this.options.serializer.deserialize(record.data);
    } catch {
      return this.reject("corrupt_record", record);
    }
    if (data === null || typeof data !== "object" || Array.isArray(data))
      return this.reject("corrupt_record", record);
    const schema = this.options.schema;
    if (schema === undefined) return { id, token, record, data: data as SessionData, resign };
    return Promise.resolve(schema["~standard"].validate(data)).then((result) => {
      if (result.issues !== undefined) return this.reject("invalid_data", record);
      return { id, token, record, data: { ...(result.value as SessionData) }, resign };
    });
  }

  /** Emits a `rejected` event (limited per reason, never one naming a user) and resolves `null`. */
  reject(reason: RejectionReason, record?: StoredSession): null {
    const now = this.now();
    const suppressed = this.#rejections.admit(reason, record?.userId, now);
    if (suppressed === null) return null;
    this.emit(
      record === undefined
        ? { type: "rejected", at: now, reason, suppressed }
        : {
            type: "rejected",
            at: now,
            reason,
            handle: record.handle,
            userId: record.userId,
            suppressed,
          },
    );
    return null;
  }

  emit(event: SessionEvent): void {
    const listener = this.options.onEvent;
    if (listener === undefined) return;
    try {
      listener(event);
    } catch (error) {
      this.warnOnce("onEvent", `sesame: the onEvent listener threw: ${String(error)}`);
    }
  }

  warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.options.onWarning(message);
  }

  /** Reports a store failure as an event, then rethrows it. */
  storeFailed(error: unknown): never {
    if (isSessionStoreError(error))
      this.emit({ type: "store_error", at: this.now(), code: error.code });
    throw error;
  }

  newToken(): string {
    return generateToken(this.options.randomBytes);
  }

  newHandle(): string {
    return generateHandle(this.options.randomBytes);
  }

  hash(token: string): string | Promise<string> {
    return hashToken(token);
  }

  /** A fresh record for a new session; the data text is filled in when it is saved. */
  newRecord(
    userId: string | null,
    context: RequestContext,
    persistent: boolean,
    authTime: number | null,
  ): StoredSession {
    const now = Math.max(this.now(), this.#lastCreatedAt + 1);
    this.#lastCreatedAt = now;
    const { idle, absolute } = this.#lifetimes(userId);
    return {
      userId,
      handle: this.newHandle(),
      data: "{}",
      version: 1,
      createdAt: now,
      tokenIssuedAt: now,
      lastSeenAt: now,
      authTime,
      expiresAt: now + Math.min(idle, absolute),
      absoluteExpiresAt: now + absolute,
      userAgent: context.userAgent?.slice(0, USER_AGENT_LIMIT) ?? null,
      ip: context.ip ?? null,
      persistent,
      successorId: null,
      graceUntil: null,
    };
  }

  /** The idle expiry a touch at `now` gives, never past the absolute expiry. */
  slidExpiry(record: StoredSession, now: number): number {
    return Math.min(now + this.#lifetimes(record.userId).idle, record.absoluteExpiresAt);
  }

  isTouchDue(record: StoredSession, now: number): boolean {
    return (
      now - record.lastSeenAt >= this.options.touchIntervalMs &&
      this.slidExpiry(record, now) > record.expiresAt
    );
  }

  isRenewalDue(record: StoredSession, now: number): boolean {
    const interval = this.options.renewalIntervalMs;
    return interval !== null && now - record.tokenIssuedAt >= interval;
  }

  #lifetimes(userId: string | null): { idle: number; absolute: number } {
    const { idleTimeoutMs, absoluteTimeoutMs, anonymousTimeoutMs } = this.options;
    if (userId !== null) return { idle: idleTimeoutMs, absolute: absoluteTimeoutMs };
    return {
      idle: Math.min(idleTimeoutMs, anonymousTimeoutMs),
      absolute: Math.min(absoluteTimeoutMs, anonymousTimeoutMs),
    };
  }

  /** Checks a data key before it is set. */
  checkKey(key: string): void {
    if (typeof key !== "string" || FORBIDDEN_KEYS.has(key)) {
      throw new SessionDataError(`Session data cannot use the key ${JSON.stringify(String(key))}.`);
    }
  }

  /** Serializes data, refusing anything over `maxDataBytes`. */
  serializeData(data: SessionData): string {
    const forbidden = findForbiddenKey(data);
    if (forbidden !== null) {
      throw new SessionDataError(
        `Session data cannot use the key ${JSON.stringify(forbidden)}, at any depth.`,
      );
    }
    let text: string;
    try {
      text = this.options.serializer.serialize(data);
    } catch (error) {
      throw new SessionDataError(`Session data cannot be serialized: ${(error as Error).message}`);
    }
    if (typeof text !== "string") throw new SessionDataError("Session data cannot be serialized.");
    const limit = this.options.maxDataBytes;
    if (text.length > limit / 3) {
      const size = this.#encoder.encode(text).length;
      if (size > limit) throw new SessionTooLargeError(size, limit);
    }
    return text;
  }

  /**
   * Whether the cookie may go out on this request: always over HTTPS or to a loopback host, and
   * over plain HTTP elsewhere only with `allowInsecureHttp` (each case warns once).
   */
  canWriteCookie(context: RequestContext): boolean {
    if (!this.options.cookie.secure) {
      this.warnOnce(
        "insecure",
        "sesame: cookie.allowInsecureHttp is on; session cookies travel without Secure.",
      );
      return true;
    }
    if (context.secure || isLoopbackHost(context.host)) return true;
    this.warnOnce(
      "plain-http",
      "sesame: not setting the session cookie on a plain-HTTP request. Serve HTTPS, configure your adapter's " +
        "proxy trust if TLS ends at a proxy, or set cookie.allowInsecureHttp for local development.",
    );
    return false;
  }

  /** Writes the session cookie, or clears it when `token` is `null`. Resolves whether it wrote. */
  async writeCookie(
    jar: CookieAccessor,
    context: RequestContext,
    token: string | null,
    record: StoredSession | null,
  ): Promise<boolean> {
    const { cookie, secrets, maxPersistentCookieSeconds } = this.options;
    if (!this.canWriteCookie(context)) return false;
    const attributes: CookieAttributes = {
      path: cookie.path,
      secure: cookie.secure,
      httpOnly: true,
      sameSite: cookie.sameSite,
    };
    if (cookie.domain !== undefined) attributes.domain = cookie.domain;
    if (cookie.partitioned) attributes.partitioned = true;
    if (token === null || record === null) {
      jar.set(cookie.name, "", { ...attributes, maxAge: 0, expires: new Date(0) });
      return true;
    }
    if (record.persistent) {
      const seconds = Math.min(
        Math.floor((record.expiresAt - this.now()) / 1000),
        maxPersistentCookieSeconds,
      );
      attributes.maxAge = seconds;
      attributes.expires = new Date(this.now() + seconds * 1000);
    }
    const value =
      secrets.length > 0 ? `${token}.${await signToken(secrets[0]!, cookie.name, token)}` : token;
    jar.set(cookie.name, value, attributes);
    return true;
  }
}
