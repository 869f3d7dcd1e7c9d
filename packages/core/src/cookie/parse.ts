/**
 * Every value sent for the cookie `name` in a `Cookie` header, in header order.
 *
 * Lenient and total: it never throws, whatever the input. Pairs are split on `;` only (a comma
 * inside another cookie's value must never be able to plant a session cookie); names match
 * byte for byte and case-sensitively after trimming only SP and HTAB (no Unicode trimming, no
 * percent-decoding); nameless pairs are ignored; one pair of surrounding double quotes is
 * removed from a value. Several header fields may be passed as an array (HTTP/2 splits them).
 *
 * @example
 * ```ts
 * getCookieValues("a=1; __Host-sid=abc", "__Host-sid"); // ["abc"]
 * ```
 */
export function getCookieValues(
  header: string | readonly string[] | undefined,
  name: string,
): string[] {
  if (header === undefined) return [];
  if (typeof header !== "string") return header.flatMap((field) => getCookieValues(field, name));
  const values: string[] = [];
  if (name.length === 0 || !header.includes(name)) return values;
  let start = 0;
  // The next `=` at or after `start`, found again only once passed: the scan stays linear
  // however many pairs have none.
  let equals = header.indexOf("=");
  while (start < header.length) {
    let end = header.indexOf(";", start);
    if (end === -1) end = header.length;
    if (equals !== -1 && equals < start) equals = header.indexOf("=", start);
    if (equals !== -1 && equals < end && trimmedEquals(header, start, equals, name)) {
      values.push(unquote(trim(header, equals + 1, end)));
    }
    start = end + 1;
  }
  return values;
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function trimmedEquals(header: string, start: number, end: number, name: string): boolean {
  let from = start;
  let to = end;
  while (from < to && isSpaceOrTab(header.charCodeAt(from))) from++;
  while (to > from && isSpaceOrTab(header.charCodeAt(to - 1))) to--;
  return to - from === name.length && header.startsWith(name, from);
}

function trim(header: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isSpaceOrTab(header.charCodeAt(from))) from++;
  while (to > from && isSpaceOrTab(header.charCodeAt(to - 1))) to--;
  return header.slice(from, to);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}
