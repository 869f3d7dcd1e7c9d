/**
 * Warnings for option names the manager does not know. TypeScript refuses them in an object
 * literal, but JavaScript users (and options built elsewhere) would lose them silently: `secret`
 * instead of `secrets` leaves cookies unsigned.
 *
 * @module
 */

/** Option names other session libraries use, and what sesame offers instead. */
const TOP_LEVEL_HINTS: Readonly<Record<string, string>> = {
  secret:
    "did you mean secrets: [secret]? It takes a list, newest first; cookies are not signed without it",
  idleTimeout: "did you mean idleTimeoutSeconds (in seconds)?",
  absoluteTimeout: "did you mean absoluteTimeoutSeconds (in seconds)?",
  maxAge:
    "the server decides lifetimes with idleTimeoutSeconds and absoluteTimeoutSeconds; for a cookie that outlives the browser, create persistent sessions: create(userId, { persistent: true }), capped by maxPersistentCookieSeconds",
  name: "did you mean cookie.name?",
  genid: "tokens are always 32 random bytes; the store keeps only their SHA-256",
  resave: "sesame saves a session only when it changed, and never overwrites a concurrent change",
  saveUninitialized:
    "sesame stores a session only once it has data or a user (session.set or session.create)",
  rolling: "the idle expiry slides on activity by itself, at most once per touchIntervalSeconds",
};

/** Cookie option names of other libraries, and what sesame offers instead. */
const COOKIE_HINTS: Readonly<Record<string, string>> = {
  secure:
    "cookies are Secure by default; the inverse option is cookie.allowInsecureHttp: true, for development over plain HTTP only",
  maxAge:
    "cookies last for the browser session; for a persistent one create(userId, { persistent: true }), capped by maxPersistentCookieSeconds",
  expires:
    "cookies last for the browser session; for a persistent one create(userId, { persistent: true }), capped by maxPersistentCookieSeconds",
  httpOnly: "the session cookie is always HttpOnly",
  signed: "sign cookies with the secrets option (a list, newest first)",
};

/**
 * Calls `warn` once for each key of `given` that is not in `known`: with a hint for names other
 * libraries use, else with the closest known name, else with the list of known names. `where`
 * names the object (`""` or `"cookie."`).
 *
 * @example
 * ```ts
 * warnUnknownOptions({ secret: "…" }, ["secrets"], "", console.warn);
 * // sesame: unknown SessionManager option "secret" is ignored; did you mean secrets: [secret]? …
 * ```
 */
export function warnUnknownOptions(
  given: object,
  known: readonly string[],
  where: "" | "cookie.",
  warn: (message: string) => void,
): void {
  const hints = where === "" ? TOP_LEVEL_HINTS : COOKIE_HINTS;
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const own = Object.hasOwn(hints, key) ? hints[key] : undefined;
    const hint = own ?? suggestionFor(key, known, where);
    const end = hint.endsWith("?") ? "" : ".";
    warn(`sesame: unknown SessionManager option "${where}${key}" is ignored; ${hint}${end}`);
  }
}

function suggestionFor(key: string, known: readonly string[], where: string): string {
  const closest = closestName(key, known);
  if (closest !== null) return `did you mean ${where}${closest}?`;
  return `the ${where === "" ? "" : "cookie "}options are ${known.map((name) => where + name).join(", ")}`;
}

/**
 * The known name `key` most likely meant: the same name in other letter case, a name it starts
 * (`storeTimeout` → `storeTimeoutMs`), or the nearest by edit distance, if near enough.
 */
function closestName(key: string, known: readonly string[]): string | null {
  const lower = key.toLowerCase();
  const extended = known.find((name) => name.toLowerCase().startsWith(lower) && lower.length >= 4);
  if (extended !== undefined) return extended;
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** Levenshtein distance, in O(a × b) time and O(b) memory. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
