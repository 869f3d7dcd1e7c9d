import { cookiePrefixOf } from "./cookie/prefix.js";
import { serializeCookie } from "./cookie/serialize.js";
import { type CookieError, SessionConfigError } from "./errors.js";
import type { SessionEventListener } from "./events.js";
import type { StoreCallListener } from "./guarded-store.js";
import type { Serializer } from "./serializer.js";
import { jsonSerializer } from "./serializer.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import type { SessionStore } from "./store.js";
import { describeMemoryStoreInProduction, describeStoreProblem } from "./store-checks.js";
import type { RandomSource } from "./token.js";
import { warnUnknownOptions } from "./unknown-options.js";

/** Options of the session cookie. */
export interface SessionCookieOptions {
  /**
   * Cookie name. Keep the `__Host-` prefix unless you need `domain`. Browsers match the
   * `__Host-`/`__Secure-` prefixes in any letter case, and so does the validation.
   */
  name?: string;
  /** `SameSite`: `Lax` (default) or `Strict`; `None` needs `secure`. */
  sameSite?: "Lax" | "Strict" | "None";
  /** `Domain`; needs a name without the `__Host-` prefix (use `__Secure-`). */
  domain?: string;
  /** `Path`; must be `/` with the `__Host-` prefix. */
  path?: string;
  /**
   * Serve the cookie without `Secure` over plain HTTP on hosts other than localhost. Only for
   * development behind no TLS at all; it needs a name without `__Host-`/`__Secure-` and warns once.
   */
  allowInsecureHttp?: boolean;
  /** `Partitioned` (CHIPS), for embedded third-party contexts. */
  partitioned?: boolean;
}

/** What a {@link SessionManager} does when the store fails or times out. */
export type StoreFailurePolicy = "fail" | "anonymous";

/** What a new login does when the user already has `maxSessionsPerUser` sessions. */
export type SessionLimitPolicy = "evict-oldest" | "reject";

/** Options of a `SessionManager`. Every default is in {@link SESSION_DEFAULTS}. */
export interface SessionManagerOptions<Data> {
  /** Where sessions live. Default: a new `MemoryStore`. */
  store?: SessionStore;
  /** The session cookie. */
  cookie?: SessionCookieOptions;
  /**
   * Secrets to sign the cookie with (HMAC-SHA-256), newest first: the first signs, all verify,
   * and a cookie signed by an older one is re-signed with the first. Each needs 32 bytes or more.
   */
  secrets?: readonly (string | Uint8Array)[];
  /**
   * A session not used for this long ends (server-side). It may exceed `absoluteTimeoutSeconds`:
   * the idle expiry never passes the absolute one, which then alone decides.
   */
  idleTimeoutSeconds?: number;
  /** A session ends this long after sign-in, however active. */
  absoluteTimeoutSeconds?: number;
  /** Both timeouts of anonymous (not signed-in) sessions are capped at this. */
  anonymousTimeoutSeconds?: number;
  /** The idle expiry slides at most once per this interval (one store write). */
  touchIntervalSeconds?: number;
  /** Quietly replace the token this often (`null`: never). */
  renewalIntervalSeconds?: number | null;
  /** How long a replaced token keeps working, so parallel requests are not signed out. */
  renewalGraceSeconds?: number;
  /** Upper bound of a persistent ("remember me") cookie's `Max-Age` (400 days at most). */
  maxPersistentCookieSeconds?: number;
  /** Most bytes of serialized session data. */
  maxDataBytes?: number;
  /** Most live sessions per user (`null`: no limit). */
  maxSessionsPerUser?: number | null;
  /** What happens at the limit. */
  sessionLimitPolicy?: SessionLimitPolicy;
  /** Longest one store call may take. */
  storeTimeoutMs?: number;
  /** Extra attempts for store reads and deletes. */
  storeRetries?: number;
  /** `fail` (default; adapters answer 503) or `anonymous` (treat the request as signed out). */
  onStoreError?: StoreFailurePolicy;
  /** Turns data into text and back. Default: prototype-safe JSON. */
  serializer?: Serializer;
  /** Validates data on load (zod, valibot, arktype…); a record that fails is treated as absent. */
  schema?: StandardSchemaV1<unknown, Data>;
  /** Receives audit events. */
  onEvent?: SessionEventListener;
  /**
   * Told about every store call once it finished: `{ op, ms, ok, code? }`, retries included, so
   * you can chart store latency and errors. It must not throw: one that throws is reported once
   * through `onWarning`, and the request goes on.
   */
  onStoreCall?: StoreCallListener;
  /**
   * Most `rejected` events per second for each reason; the rest are counted in the next event of
   * that reason (`suppressed`). `renewed_token_reused` and rejections that name a user are never
   * limited, so junk cookies cannot hide them.
   */
  maxRejectedEventsPerSecond?: number;
  /** Receives configuration warnings. Default: `console.warn`. */
  onWarning?: (message: string) => void;
  /** The clock, in milliseconds. Inject one in tests. */
  now?: () => number;
  /** The random source. Inject one in tests; it must be a CSPRNG in production. */
  randomBytes?: RandomSource;
}

/** Every default of {@link SessionManagerOptions}, in one place. */
export const SESSION_DEFAULTS = {
  cookie: {
    name: "__Host-sid",
    sameSite: "Lax",
    path: "/",
    allowInsecureHttp: false,
    partitioned: false,
  },
  idleTimeoutSeconds: 30 * 60,
  absoluteTimeoutSeconds: 12 * 60 * 60,
  anonymousTimeoutSeconds: 15 * 60,
  touchIntervalSeconds: 60,
  renewalIntervalSeconds: null,
  renewalGraceSeconds: 30,
  maxPersistentCookieSeconds: 400 * 24 * 60 * 60,
  maxDataBytes: 64 * 1024,
  maxSessionsPerUser: null,
  sessionLimitPolicy: "evict-oldest",
  storeTimeoutMs: 2_000,
  storeRetries: 1,
  onStoreError: "fail",
  maxRejectedEventsPerSecond: 100,
} as const;

/** Every option name, so a misspelt one (from JavaScript, where no type checks it) is reported. */
const OPTION_NAMES = Object.keys({
  store: true,
  cookie: true,
  secrets: true,
  idleTimeoutSeconds: true,
  absoluteTimeoutSeconds: true,
  anonymousTimeoutSeconds: true,
  touchIntervalSeconds: true,
  renewalIntervalSeconds: true,
  renewalGraceSeconds: true,
  maxPersistentCookieSeconds: true,
  maxDataBytes: true,
  maxSessionsPerUser: true,
  sessionLimitPolicy: true,
  storeTimeoutMs: true,
  storeRetries: true,
  onStoreError: true,
  serializer: true,
  schema: true,
  onEvent: true,
  onStoreCall: true,
  maxRejectedEventsPerSecond: true,
  onWarning: true,
  now: true,
  randomBytes: true,
} satisfies Record<keyof SessionManagerOptions<unknown>, true>);

/** Every cookie option name. */
const COOKIE_OPTION_NAMES = Object.keys({
  name: true,
  sameSite: true,
  domain: true,
  path: true,
  allowInsecureHttp: true,
  partitioned: true,
} satisfies Record<keyof SessionCookieOptions, true>);

/** Options with every default applied and every value checked. */
export interface ResolvedOptions<Data> {
  store: SessionStore;
  cookie: Required<Omit<SessionCookieOptions, "domain">> & {
    domain: string | undefined;
    secure: boolean;
  };
  secrets: Uint8Array[];
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  anonymousTimeoutMs: number;
  touchIntervalMs: number;
  renewalIntervalMs: number | null;
  renewalGraceMs: number;
  maxPersistentCookieSeconds: number;
  maxDataBytes: number;
  maxSessionsPerUser: number | null;
  sessionLimitPolicy: SessionLimitPolicy;
  storeTimeoutMs: number;
  storeRetries: number;
  onStoreError: StoreFailurePolicy;
  serializer: Serializer;
  schema: StandardSchemaV1<unknown, Data> | undefined;
  onEvent: SessionEventListener | undefined;
  onStoreCall: StoreCallListener | undefined;
  maxRejectedEventsPerSecond: number;
  onWarning: (message: string) => void;
  now: () => number;
  randomBytes: RandomSource | undefined;
}

/** Secrets everyone has seen in examples; refusing them stops copy-pasted configs. */
const PLACEHOLDER_SECRETS = [
  "secret",
  "changeme",
  "change-me",
  "keyboard cat",
  "your-secret-key",
  "complex_password_at_least_32_characters_long",
];

const MIN_SECRET_BYTES = 32;

/** Applies defaults and rejects every option that cannot work, saying how to fix it. */
export function resolveOptions<Data>(
  options: SessionManagerOptions<Data>,
  defaultStore: () => SessionStore,
): ResolvedOptions<Data> {
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message));
  warnUnknownOptions(options, OPTION_NAMES, "", onWarning);
  if (typeof options.cookie === "object" && options.cookie !== null) {
    warnUnknownOptions(options.cookie, COOKIE_OPTION_NAMES, "cookie.", onWarning);
  }
  const store = resolveStore(options.store, defaultStore, onWarning);
  const cookie = resolveCookie(options.cookie ?? {});
  const idle = seconds(
    "idleTimeoutSeconds",
    options.idleTimeoutSeconds ?? SESSION_DEFAULTS.idleTimeoutSeconds,
  );
  const absolute = seconds(
    "absoluteTimeoutSeconds",
    options.absoluteTimeoutSeconds ?? SESSION_DEFAULTS.absoluteTimeoutSeconds,
  );
  const renewal = options.renewalIntervalSeconds ?? SESSION_DEFAULTS.renewalIntervalSeconds;
  const maxPersistent = seconds(
    "maxPersistentCookieSeconds",
    options.maxPersistentCookieSeconds ?? SESSION_DEFAULTS.maxPersistentCookieSeconds,
  );
  if (maxPersistent > SESSION_DEFAULTS.maxPersistentCookieSeconds) {
    fail(
      "maxPersistentCookieSeconds must be at most 400 days (34560000); browsers cap cookies there.",
    );
  }
  const limit = options.maxSessionsPerUser ?? SESSION_DEFAULTS.maxSessionsPerUser;
  if (limit !== null) positiveInteger("maxSessionsPerUser", limit);
  const policy = options.sessionLimitPolicy ?? SESSION_DEFAULTS.sessionLimitPolicy;
  if (policy !== "evict-oldest" && policy !== "reject") {
    fail('sessionLimitPolicy must be "evict-oldest" or "reject".');
  }
  const onStoreError = options.onStoreError ?? SESSION_DEFAULTS.onStoreError;
  if (onStoreError !== "fail" && onStoreError !== "anonymous")
    fail('onStoreError must be "fail" or "anonymous".');
  return {
    store,
    cookie,
    secrets: resolveSecrets(options.secrets),
    idleTimeoutMs: idle * 1000,
    absoluteTimeoutMs: absolute * 1000,
    anonymousTimeoutMs:
      seconds(
        "anonymousTimeoutSeconds",
        options.anonymousTimeoutSeconds ?? SESSION_DEFAULTS.anonymousTimeoutSeconds,
      ) * 1000,
    touchIntervalMs:
      seconds(
        "touchIntervalSeconds",
        options.touchIntervalSeconds ?? SESSION_DEFAULTS.touchIntervalSeconds,
        true,
      ) * 1000,
    renewalIntervalMs: renewal === null ? null : seconds("renewalIntervalSeconds", renewal) * 1000,
    renewalGraceMs:
      seconds(
        "renewalGraceSeconds",
        options.renewalGraceSeconds ?? SESSION_DEFAULTS.renewalGraceSeconds,
        true,
      ) * 1000,
    maxPersistentCookieSeconds: maxPersistent,
    maxDataBytes: positiveInteger(
      "maxDataBytes",
      options.maxDataBytes ?? SESSION_DEFAULTS.maxDataBytes,
    ),
    maxSessionsPerUser: limit,
    sessionLimitPolicy: policy,
    storeTimeoutMs: positiveInteger(
      "storeTimeoutMs",
      options.storeTimeoutMs ?? SESSION_DEFAULTS.storeTimeoutMs,
    ),
    storeRetries: nonNegativeInteger(
      "storeRetries",
      options.storeRetries ?? SESSION_DEFAULTS.storeRetries,
    ),
    onStoreError,
    serializer: options.serializer ?? jsonSerializer,
    schema: options.schema,
    onEvent: options.onEvent,
    onStoreCall: options.onStoreCall,
    maxRejectedEventsPerSecond: nonNegativeInteger(
      "maxRejectedEventsPerSecond",
      options.maxRejectedEventsPerSecond ?? SESSION_DEFAULTS.maxRejectedEventsPerSecond,
    ),
    onWarning,
    now: resolveClock(options.now),
    randomBytes: options.randomBytes,
  };
}

/**
 * The clock, tried once: a `now` that does not answer a finite number of milliseconds (a method
 * passed without its object, `() => new Date()`) would otherwise leave every session expired.
 */
function resolveClock(now: (() => number) | undefined): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== "function") fail("now must be a function answering milliseconds.");
  let sample: unknown;
  try {
    sample = now();
  } catch (error) {
    sample = `an error (${String(error)})`;
  }
  if (typeof sample !== "number" || !Number.isFinite(sample)) {
    fail(
      `now() must answer a finite number of milliseconds, got ${String(sample)}; pass an arrow function (now: () => clock.now()) rather than a method.`,
    );
  }
  return now;
}

/** The store, checked to be a sesame store; a `MemoryStore` in production warns. */
function resolveStore(
  given: SessionStore | undefined,
  defaultStore: () => SessionStore,
  warn: (message: string) => void,
): SessionStore {
  if (given !== undefined && given !== null) {
    const problem = describeStoreProblem(given);
    if (problem !== null) fail(problem);
  }
  const store = given ?? defaultStore();
  const warning = describeMemoryStoreInProduction(store);
  if (warning !== null) warn(warning);
  return store;
}

function resolveCookie(options: SessionCookieOptions): ResolvedOptions<unknown>["cookie"] {
  const defaults = SESSION_DEFAULTS.cookie;
  const name = options.name ?? defaults.name;
  const sameSite = options.sameSite ?? defaults.sameSite;
  const path = options.path ?? defaults.path;
  const allowInsecureHttp = options.allowInsecureHttp ?? defaults.allowInsecureHttp;
  const secure = !allowInsecureHttp;
  if (!["Lax", "Strict", "None"].includes(sameSite))
    fail('cookie.sameSite must be "Lax", "Strict" or "None".');
  checkCookiePrefix(name, { domain: options.domain, path, allowInsecureHttp });
  if (sameSite === "None" && !secure)
    fail('cookie.sameSite "None" needs Secure: remove allowInsecureHttp.');
  try {
    serializeCookie(name, "", { path, domain: options.domain, secure });
  } catch (error) {
    fail(`Invalid cookie options: ${(error as CookieError).message}`);
  }
  return {
    name,
    sameSite,
    path,
    domain: options.domain,
    allowInsecureHttp,
    partitioned: options.partitioned ?? defaults.partitioned,
    secure,
  };
}

/**
 * Applies the `__Host-`/`__Secure-` rules, matching the prefix in any letter case as browsers do:
 * a cookie that breaks them would be accepted here and then dropped by every browser.
 */
function checkCookiePrefix(
  name: string,
  cookie: { domain: string | undefined; path: string; allowInsecureHttp: boolean },
): void {
  const prefix = cookiePrefixOf(name);
  if (prefix === null) return;
  const spelled = name.startsWith(prefix) ? "" : ` (browsers read "${name}" as "${prefix}…")`;
  if (cookie.allowInsecureHttp) {
    fail(
      `cookie.allowInsecureHttp needs a cookie name without the "__Host-" or "__Secure-" prefix${spelled}.`,
    );
  }
  if (prefix !== "__Host-") return;
  if (cookie.domain !== undefined) {
    fail(
      `A "__Host-" cookie cannot have a domain${spelled}: remove cookie.domain, or rename it "__Secure-…".`,
    );
  }
  if (cookie.path !== "/") fail(`A "__Host-" cookie must have path "/"${spelled}.`);
}

function resolveSecrets(secrets: readonly (string | Uint8Array)[] | undefined): Uint8Array[] {
  if (secrets === undefined) return [];
  if (!Array.isArray(secrets) || secrets.length === 0) {
    fail("secrets must be a non-empty array (newest first), or left out to use unsigned tokens.");
  }
  return secrets.map((secret, index) => {
    if (secret === null || secret === undefined)
      fail(`secrets[${index}] is ${secret}; remove it from the list.`);
    if (typeof secret !== "string" && !(secret instanceof Uint8Array))
      fail(`secrets[${index}] must be a string or a Uint8Array.`);
    // A copy of the caller's bytes: the signer caches per key, so the key must never change.
    const bytes =
      typeof secret === "string" ? new TextEncoder().encode(secret) : Uint8Array.from(secret);
    if (typeof secret === "string" && PLACEHOLDER_SECRETS.includes(secret.toLowerCase())) {
      fail(
        `secrets[${index}] is a well-known placeholder; generate one with: openssl rand -base64 48`,
      );
    }
    if (bytes.length < MIN_SECRET_BYTES) {
      fail(
        `secrets[${index}] has ${bytes.length} bytes; use at least 32 random bytes (openssl rand -base64 48).`,
      );
    }
    if (new Set(bytes).size < 8)
      fail(`secrets[${index}] is not random; generate one with: openssl rand -base64 48`);
    return bytes;
  });
}

function seconds(name: string, value: number, allowZero = false): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    fail(
      `${name} must be a ${allowZero ? "non-negative" : "positive"} number of seconds, got ${String(value)}.`,
    );
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    fail(`${name} must be a positive integer, got ${String(value)}.`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    fail(`${name} must be a non-negative integer, got ${String(value)}.`);
  return value;
}

function fail(message: string): never {
  throw new SessionConfigError(`SessionManager: ${message}`);
}
