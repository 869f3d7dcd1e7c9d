import {
  isSessionStoreError,
  SessionDataError,
  type SessionStoreError,
  SessionTooLargeError,
} from "./errors.js";
import { RejectionLimiter, type RejectionReason, type SessionEvent } from "./events.js";
import { FLASH_KEY_PREFIX, isFlashKey } from "./flash.js";
import { GuardedStore, type StoreCallListener } from "./guarded-store.js";
import { lifetimesFor } from "./lifetimes.js";
import type { ResolvedOptions } from "./options.js";
import type { RequestContext } from "./request-context.js";
import { FORBIDDEN_KEYS, findForbiddenKey } from "./serializer.js";
import { SessionCookie } from "./session-cookie.js";
import { KnownCookies } from "./session-resolver.js";
import type { StoredSession } from "./store.js";
import { generateHandle, generateToken, hashToken } from "./token.js";

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
 * What every request shares: the options, the guarded store, the session cookie, new tokens and
 * records, data checks, and events. Resolving a cookie lives in `session-resolver.ts`, lifetimes
 * in `lifetimes.ts`, the cookie's lines in `session-cookie.ts`, writes in `session-writes.ts`.
 */
export class SessionEngine<Data extends object> {
  readonly options: ResolvedOptions<Data>;
  readonly store: GuardedStore;
  readonly cookie: SessionCookie;
  /** The clock, in milliseconds: the `now` option, or `Date.now`. */
  readonly now: () => number;
  /** Cookie values already verified and hashed (see {@link KnownCookies}). */
  readonly knownCookies = new KnownCookies();
  readonly #rejections: RejectionLimiter;
  readonly #warned = new Set<string>();
  /** Creation times are strictly increasing per process, so per-user limits rank logins exactly. */
  #lastCreatedAt = 0;
  readonly #encoder = new TextEncoder();

  constructor(options: ResolvedOptions<Data>) {
    this.options = options;
    this.now = options.now;
    this.#rejections = new RejectionLimiter(options.maxRejectedEventsPerSecond);
    this.cookie = new SessionCookie(options as ResolvedOptions<object>, (key, message) =>
      this.warnOnce(key, message),
    );
    this.store = new GuardedStore(options.store, {
      timeoutMs: options.storeTimeoutMs,
      retries: options.storeRetries,
      onCall: this.#storeCallListener(options.onStoreCall),
    });
  }

  /** The `onStoreCall` listener, wrapped so that one that throws is reported once, not thrown. */
  #storeCallListener(listener: StoreCallListener | undefined): StoreCallListener | undefined {
    if (listener === undefined) return undefined;
    return (call) => {
      try {
        listener(call);
      } catch (error) {
        this.warnOnce("onStoreCall", `sesame: the onStoreCall listener threw: ${String(error)}`);
      }
    };
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
    if (isSessionStoreError(error)) this.reportStoreError(error);
    throw error;
  }

  /** Emits `store_error`; a misconfigured store also warns, once per problem, saying how to fix it. */
  reportStoreError(error: SessionStoreError): void {
    this.emit({ type: "store_error", at: this.now(), code: error.code });
    if (error.code !== "store_misconfigured") return;
    this.warnOnce(
      `store_misconfigured:${error.message}`,
      `sesame: the session store is misconfigured, so session requests answer 503: ${error.message}`,
    );
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
    const { idle, absolute } = lifetimesFor(this.options, userId);
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

  /** Checks a data key before it is set. */
  checkKey(key: string): void {
    if (typeof key !== "string" || FORBIDDEN_KEYS.has(key)) {
      throw new SessionDataError(`Session data cannot use the key ${JSON.stringify(String(key))}.`);
    }
    if (isFlashKey(key)) {
      throw new SessionDataError(
        `Session data cannot use the key ${JSON.stringify(key)}: keys starting with "${FLASH_KEY_PREFIX}" hold flash values; use session.flash().`,
      );
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
}
