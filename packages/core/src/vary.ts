/**
 * `Vary` with `field` in it: `current` as it is when it already names the field (in any case)
 * or is `*`, which varies on everything; otherwise `field` added after it.
 *
 * @example
 * ```ts
 * withVary("Accept-Encoding", "Cookie"); // "Accept-Encoding, Cookie"
 * withVary("cookie", "Cookie"); // "cookie"
 * withVary(null, "Cookie"); // "Cookie"
 * ```
 */
export function withVary(current: string | null | undefined, field: string): string {
  if (current == null || current.trim() === "") return field;
  const wanted = field.toLowerCase();
  for (const entry of current.split(",")) {
    const name = entry.trim().toLowerCase();
    if (name === wanted || name === "*") return current;
  }
  return `${current}, ${field}`;
}
