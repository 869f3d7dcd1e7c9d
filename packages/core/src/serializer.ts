/** Turns session data into text for the store and back. */
export interface Serializer {
  /** Data to text. */
  serialize(data: unknown): string;
  /** Text to data. May throw on corrupt input; the manager then treats the session as absent. */
  deserialize(text: string): unknown;
}

/** Keys that could reach an object's prototype. They are dropped when data is loaded. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

/** The first key, at any depth of `value`, that could reach a prototype; `null` if none. */
export function findForbiddenKey(value: unknown, seen: Set<object> = new Set()): string | null {
  if (value === null || typeof value !== "object" || seen.has(value)) return null;
  seen.add(value);
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], seen);
    if (found !== null) return found;
  }
  return null;
}

/**
 * The default serializer: JSON, and nothing else (no revival of classes, no `eval`). Loading is
 * prototype-safe: `__proto__`, `constructor` and `prototype` keys are dropped at every depth.
 *
 * @example
 * ```ts
 * jsonSerializer.deserialize('{"__proto__":{"isAdmin":true},"a":1}'); // { a: 1 }
 * ```
 */
export const jsonSerializer: Serializer = {
  serialize: (data) => JSON.stringify(data),
  // Empty data, as a session that only signs a user in holds, is answered without parsing.
  deserialize: (text) => {
    if (text === "{}") return {};
    return mayNameForbiddenKey(text) ? JSON.parse(text, dropForbiddenKeys) : JSON.parse(text);
  },
};

function dropForbiddenKeys(key: string, value: unknown): unknown {
  return FORBIDDEN_KEYS.has(key) ? undefined : value;
}

/**
 * Whether JSON text could contain a forbidden key: one of them literally, or any escape (which
 * could spell one). Text without either parses on the fast path, with no reviver.
 */
function mayNameForbiddenKey(text: string): boolean {
  return (
    text.includes("\\") ||
    text.includes('"__proto__"') ||
    text.includes('"constructor"') ||
    text.includes('"prototype"')
  );
}
