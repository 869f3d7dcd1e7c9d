/**
 * Hostile `Cookie` headers, built around one valid session cookie: look-alike names, wrong
 * encodings, truncations, tampering, duplicates, oversized and pathological headers, and the
 * fast-check arbitraries that generate more of them. Each case says what the server must do
 * with it, and whether its session value could ever be a token (only then may it reach the
 * store).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { RawHeaderValue } from "./raw-http.js";

/** The session cookie's name (the library's default). */
export const SESSION_COOKIE = "__Host-sid";

/**
 * What a request must get: `signed-in` (200 on `/me`), `anonymous` (401 on `/me`, 200 on
 * `/public`, bodies byte-identical to a request without cookies), or the status Node's own
 * HTTP parser answers before any app code runs (400 for forbidden bytes, 431 over its header
 * limit).
 */
export type Outcome = "signed-in" | "anonymous" | 400 | 431;

/** One hostile request: its `Cookie` header line(s) and what must happen. */
export interface CookieCase {
  label: string;
  /** One entry per `Cookie:` header line, sent byte for byte. */
  lines: readonly RawHeaderValue[];
  outcome: Outcome;
  /** Whether the session value could be a token at all; if not, the store must see no call. */
  mayReachStore: boolean;
}

/** A session cookie value, split into its parts. */
export interface SessionValue {
  /** The cookie value exactly as issued (`token`, or `token.mac` when signing is on). */
  value: string;
  token: string;
  /** The MAC, when signing is on. */
  mac: string | undefined;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Splits an issued cookie value into token and MAC. */
export function splitSessionValue(value: string): SessionValue {
  const [token = "", mac] = value.split(".");
  return { value, token, mac };
}

/** `bytes` then `text` (UTF-8), for header values that need raw single bytes. */
export function withBytes(
  before: readonly number[],
  text: string,
  after: readonly number[] = [],
): Buffer {
  return Buffer.concat([Buffer.from(before), Buffer.from(text, "utf8"), Buffer.from(after)]);
}

/**
 * Whether a session cookie value could make the server look the session up: after the two
 * things RFC 6265 lets a server undo (surrounding SP/HTAB, one pair of DQUOTEs) it has to be
 * the exact issued value when signing is on (a MAC is checked before any store call), or
 * 43 base64url characters when it is off. Anything else must never reach the store.
 */
export function couldReachStore(value: RawHeaderValue, issued: SessionValue): boolean {
  if (typeof value !== "string") return false;
  let text = value.replace(/^[ \t]+|[ \t]+$/g, "");
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  return issued.mac === undefined ? TOKEN_SHAPE.test(text) : text === issued.value;
}

/** Every character of `text` percent-encoded, unreserved ones included. */
export function percentEncodeAll(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
    .join("");
}

/** `text` with the character at `index` percent-encoded. */
export function percentEncodeOne(text: string, index: number): string {
  return text.slice(0, index) + percentEncodeAll(text[index]!) + text.slice(index + 1);
}

/** A cookie name that is not the session cookie's but could be taken for it. */
export const LOOKALIKE_NAMES: readonly (readonly [label: string, name: RawHeaderValue])[] = [
  ["a lower-case prefix", "__host-sid"],
  ["an upper-case prefix", "__HOST-sid"],
  ["an upper-case name", "__Host-SID"],
  ["dots for underscores (PHP mangling)", "..Host-sid"],
  ["a bracket for an underscore (PHP mangling)", "_[Host-sid"],
  ["a space for an underscore", " _Host-sid"],
  ["percent-encoded underscores", "%5F%5FHost-sid"],
  ["a percent-encoded hyphen", "__Host%2Dsid"],
  ["one underscore", "_Host-sid"],
  ["no prefix", "sid"],
  ["the __Secure- prefix", "__Secure-sid"],
  ["a trailing dot", "__Host-sid."],
  ["a U+00A0 prefix in UTF-8", "\u00a0__Host-sid"],
  ["a U+2000 prefix in UTF-8", "\u2000__Host-sid"],
  ["a U+FEFF prefix in UTF-8", "\ufeff__Host-sid"],
  ["a U+3000 prefix in UTF-8", "\u3000__Host-sid"],
  ["a U+200B prefix in UTF-8", "\u200b__Host-sid"],
  ["a U+00A0 suffix in UTF-8", "__Host-sid\u00a0"],
  ["a U+3000 suffix in UTF-8", "__Host-sid\u3000"],
  ["full-width low lines", "\uff3f\uff3fHost-sid"],
  ["a Cyrillic capital En", "__\u041dost-sid"],
  ["a raw 0xA0 byte prefix", withBytes([0xa0], "__Host-sid")],
  ["a raw 0x85 byte prefix", withBytes([0x85], "__Host-sid")],
  ["a raw 0xFF byte prefix", withBytes([0xff], "__Host-sid")],
  ["a raw 0xA0 byte suffix", withBytes([], "__Host-sid", [0xa0])],
  ["a raw 0xA0 byte for an underscore", withBytes([0x5f, 0xa0], "Host-sid")],
];

/** Bytes Node's HTTP parser refuses in a header value (CTLs but HTAB; CR without LF). */
export const PARSER_REFUSED_BYTES: readonly (readonly [label: string, byte: number])[] = [
  ["NUL", 0x00],
  ["CR without LF", 0x0d],
  ["VT", 0x0b],
  ["FF", 0x0c],
  ["ESC", 0x1b],
  ["DEL", 0x7f],
];

/** Whether Node's HTTP parser answers 400 for a header value with these bytes. */
export function parserRefuses(bytes: Uint8Array): boolean {
  return bytes.some((byte) => (byte < 0x20 && byte !== 0x09) || byte === 0x7f);
}

function concat(...parts: RawHeaderValue[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));
}

/** The issued value re-encoded: each one names the same bytes, none is the cookie as issued. */
function wrongEncodings(issued: SessionValue): [string, string][] {
  const { value, token, mac } = issued;
  const bytes = (part: string): Buffer => Buffer.from(part, "base64url");
  const join = (encode: (part: string) => string): string =>
    mac === undefined ? encode(token) : `${encode(token)}.${encode(mac)}`;
  return [
    ["every character percent-encoded", percentEncodeAll(value)],
    ["the first character percent-encoded", percentEncodeOne(value, 0)],
    ["a middle character percent-encoded", percentEncodeOne(value, 21)],
    ["standard base64 with padding", join((part) => bytes(part).toString("base64"))],
    [
      "standard base64 (+ and /) without padding",
      join((part) => bytes(part).toString("base64").replace(/=+$/, "")),
    ],
    ["base64url with padding", join((part) => `${part}=`)],
    ["base64 of the cookie text", Buffer.from(value).toString("base64")],
    ["hex of the token's bytes", join((part) => bytes(part).toString("hex"))],
    ["the store key (SHA-256 of the token)", createHash("sha256").update(token).digest("hex")],
    ["upper case", value.toUpperCase()],
    ["lower case", value.toLowerCase()],
    ["single quotes", `'${value}'`],
    ["a leading double quote only", `"${value}`],
    ["a trailing double quote only", `${value}"`],
    ["two pairs of double quotes", `""${value}""`],
    ["escaped double quotes", `\\"${value}\\"`],
    ["percent-encoded double quotes", `%22${value}%22`],
    ["a percent-encoded NUL after it", `${value}%00`],
    ["an express-session style prefix", `s:${value}`],
    ["a percent-encoded express-session prefix", `s%3A${value}`],
  ];
}

/** The issued value cut short or tampered with. */
function tamperings(issued: SessionValue, other: SessionValue): [string, string][] {
  const { value, token, mac } = issued;
  const cases: [string, string][] = [
    ["the last character cut off", value.slice(0, -1)],
    ["the first character cut off", value.slice(1)],
    ["only its first 20 characters", value.slice(0, 20)],
    ["a character appended", `${value}x`],
    ["a character prepended", `x${value}`],
    ["a dot appended", `${value}.`],
    ["itself twice", `${value}${value}`],
    ["a comma and more after it", `${value},x`],
    ["an empty value", ""],
    ["an empty quoted value", '""'],
    ["a lone percent sign", "%"],
    ["a truncated percent escape", "%E0%A4%A"],
    ["a percent-encoded 0xFF", "%FF"],
    ["a percent-encoded NUL", "%00"],
    ["a double percent-encoding", "%252E"],
    ["an SQL injection", "' OR '1'='1"],
    ["a Redis command", "*1\\r\\n$8\\r\\nFLUSHALL"],
    ["a path traversal", "../../etc/passwd"],
    ["a JWT", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."],
  ];
  if (mac === undefined) {
    cases.push(["a signature-like suffix", `${token}.${other.token}`]);
    return cases;
  }
  cases.push(
    ["the token without its MAC", token],
    ["the token and a dot", `${token}.`],
    ["the MAC alone", `.${mac}`],
    ["the MAC of another token", `${token}.${other.mac}`],
    ["another token with this MAC", `${other.token}.${mac}`],
    ["two dots", `${token}..${mac}`],
    ["trailing garbage after the MAC", `${value}.x`],
    ["the MAC in upper case", `${token}.${mac.toUpperCase()}`],
  );
  return cases;
}

/** Builds the cases below: the value in a `name=value` pair, or a whole header line. */
function caseBuilder(issued: SessionValue) {
  return {
    value: (label: string, value: string): CookieCase => {
      if (value === issued.value)
        throw new Error(`The case "${label}" is the issued value itself.`);
      return {
        label,
        lines: [`${SESSION_COOKIE}=${value}`],
        outcome: "anonymous",
        mayReachStore: couldReachStore(value, issued),
      };
    },
    line: (label: string, line: RawHeaderValue, outcome: Outcome): CookieCase => ({
      label,
      lines: [line],
      outcome,
      mayReachStore: outcome === "signed-in",
    }),
  };
}

/** The issued value under a name that only looks like the session cookie's (SEC-30). */
export function lookalikeNameCases(issued: SessionValue): CookieCase[] {
  const { line } = caseBuilder(issued);
  return LOOKALIKE_NAMES.map(([label, name]) =>
    line(label, concat(name, `=${issued.value}`), "anonymous"),
  );
}

/** The issued value in another encoding, quoted wrongly or percent-decoded (SEC-32). */
export function wrongEncodingCases(issued: SessionValue): CookieCase[] {
  const { value } = caseBuilder(issued);
  return wrongEncodings(issued).map(([label, encoded]) => value(label, encoded));
}

/** The issued value cut short, lengthened or tampered with, and plain garbage (SEC-26, SEC-51). */
export function tamperedValueCases(issued: SessionValue, other: SessionValue): CookieCase[] {
  const { value, line } = caseBuilder(issued);
  return [
    ...tamperings(issued, other).map(([label, tampered]) => value(label, tampered)),
    value("a well-formed value the server never issued", other.value),
    line(
      "a U+00A0 before the value, in UTF-8",
      `${SESSION_COOKIE}=\u00a0${issued.value}`,
      "anonymous",
    ),
    line(
      "a raw 0xA0 byte before the value",
      withBytes([], `${SESSION_COOKIE}=`, [0xa0, ...Buffer.from(issued.value)]),
      "anonymous",
    ),
    line(
      "a raw 0xA0 byte after the value",
      withBytes([], `${SESSION_COOKIE}=${issued.value}`, [0xa0]),
      "anonymous",
    ),
  ];
}

/**
 * Header structure: nameless pairs, pairs planted after a comma or inside another value, the
 * name without a value, and duplicates that disagree (SEC-28, SEC-30).
 */
export function structuralCases(issued: SessionValue, other: SessionValue): CookieCase[] {
  const { line } = caseBuilder(issued);
  const name = SESSION_COOKIE;
  const valid = issued.value;
  return [
    line("a nameless pair carrying the name", `=${name}=${valid}`, "anonymous"),
    line("two nameless pairs carrying the name", `==${name}=${valid}`, "anonymous"),
    line("the name with no value", name, "anonymous"),
    line("the name, then == and the value", `${name}==${valid}`, "anonymous"),
    line("the pair planted after a comma", `other=x, ${name}=${valid}`, "anonymous"),
    line("the pair planted after a comma, no space", `other=x,${name}=${valid}`, "anonymous"),
    line("the pair inside another quoted value", `other="x; ${name}=${valid}"`, "anonymous"),
    line("only separators", ";;; ; ;", "anonymous"),
    line("the valid value, then another", `${name}=${valid}; ${name}=${other.value}`, "anonymous"),
    line(
      "another value, then the valid one",
      `${name}=${other.value}; ${name}=${valid}`,
      "anonymous",
    ),
    line("the valid value, then an empty one", `${name}=${valid}; ${name}=`, "anonymous"),
    line("an empty value, then the valid one", `${name}=; ${name}=${valid}`, "anonymous"),
    {
      label: "the valid value and another, on two Cookie lines",
      lines: [`${name}=${valid}`, `${name}=${other.value}`],
      outcome: "anonymous",
      mayReachStore: false,
    },
    {
      label: "another value and the valid one, on two Cookie lines",
      lines: [`${name}=${other.value}`, `${name}=${valid}`],
      outcome: "anonymous",
      mayReachStore: false,
    },
  ];
}

/** Oversized values and headers: anonymous under Node's 16 KiB header limit, 431 over it. */
export function oversizedCases(issued: SessionValue): CookieCase[] {
  const { line } = caseBuilder(issued);
  const name = SESSION_COOKIE;
  return [
    line("a 4 KiB value", `${name}=${"A".repeat(4096)}`, "anonymous"),
    line("a 16,000-byte value", `${name}=${"A".repeat(16_000)}`, "anonymous"),
    line(
      "the valid value and 8 KiB more",
      `${name}=${issued.value}${"A".repeat(8192)}`,
      "anonymous",
    ),
    line(
      "1,000 pairs of the name, all one garbage value",
      `${name}=x; `.repeat(1_000),
      "anonymous",
    ),
    line("a header over Node's limit", `${name}=${issued.value}; ${"a=b; ".repeat(4_000)}`, 431),
    line("a 60 KB header", `${"a=b; ".repeat(12_000)}${name}=${issued.value}`, 431),
  ];
}

/** Bytes Node's HTTP parser refuses with 400 before any app code runs. */
export function parserRefusedCases(issued: SessionValue): CookieCase[] {
  const { line } = caseBuilder(issued);
  const valid = issued.value;
  return PARSER_REFUSED_BYTES.flatMap(([label, byte]): CookieCase[] => [
    line(`a ${label} byte before the name`, withBytes([byte], `${SESSION_COOKIE}=${valid}`), 400),
    line(
      `a ${label} byte inside the name`,
      withBytes([], "__Host-", [byte, ...Buffer.from(`sid=${valid}`)]),
      400,
    ),
    line(
      `a ${label} byte after the value`,
      withBytes([], `${SESSION_COOKIE}=${valid}`, [byte]),
      400,
    ),
  ]);
}

/** Cases that must be recognised: the controls that show the anonymous cases mean something. */
export function validCookieCases(issued: SessionValue): CookieCase[] {
  const name = SESSION_COOKIE;
  const valid = issued.value;
  const signedIn = (label: string, ...lines: RawHeaderValue[]): CookieCase => ({
    label,
    lines,
    outcome: "signed-in",
    mayReachStore: true,
  });
  return [
    signedIn("the cookie alone", `${name}=${valid}`),
    signedIn("the cookie among others", `a=1; ${name}=${valid}; b=2`),
    signedIn("the cookie sent twice with the same value", `${name}=${valid}; ${name}=${valid}`),
    signedIn("spaces and tabs around name and value", ` \t${name} \t= \t${valid}\t `),
    signedIn("the RFC 6265 quoted form", `${name}="${valid}"`),
    signedIn("a comma inside another cookie's value", `a=1,b=2; ${name}=${valid}`),
    signedIn("the cookie after 15 KB of other pairs", `${"a=b; ".repeat(3_000)}${name}=${valid}`),
    signedIn(
      "names that collide with Object.prototype (SEC-31)",
      `__proto__=x; constructor=y; toString=z; hasOwnProperty=w; ${name}=${valid}`,
    ),
    signedIn(
      "more prototype names around it",
      `valueOf=1; __defineGetter__=2; ${name}=${valid}; prototype=3; __proto__=4`,
    ),
    signedIn("two Cookie lines, the session on the second (SEC-29)", "a=1", `${name}=${valid}`),
    signedIn("two Cookie lines, the session on the first", `${name}=${valid}`, "a=1"),
    signedIn("three Cookie lines", "a=1", "b=2", `c=3; ${name}=${valid}`),
    signedIn("the same value on two lines", `${name}=${valid}`, `${name}=${valid}`),
  ];
}

/** Characters a mutation may insert: visible ASCII but `;`, plus look-alikes outside ASCII. */
const INSERTABLE = [
  ..."!#$%&'()*+,-./0123456789:<=>?@ABCXYZ[\\]^_`abcxyz{|}~\"",
  "\u00a0",
  "\u2000",
  "\ufeff",
  "\u3000",
  "\u00e9",
  "\uff21",
  "\u{1f511}",
];

/** One mutation of a valid cookie value, never equal to it. */
export function mutatedValue(valid: string): fc.Arbitrary<string> {
  const index = fc.nat(valid.length - 1);
  const insertable = fc.constantFrom(...INSERTABLE);
  const mutations: fc.Arbitrary<string>[] = [
    fc
      .tuple(index, insertable)
      .map(([at, char]) => valid.slice(0, at) + char + valid.slice(at + 1)),
    fc.tuple(index, insertable).map(([at, char]) => valid.slice(0, at) + char + valid.slice(at)),
    index.map((at) => valid.slice(0, at) + valid.slice(at + 1)),
    index.map((at) => valid.slice(0, at)),
    index.map((at) => percentEncodeOne(valid, at)),
    index.map((at) => {
      const char = valid[at]!;
      const swapped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
      return valid.slice(0, at) + swapped + valid.slice(at + 1);
    }),
    fc
      .tuple(fc.integer({ min: 1, max: valid.length - 1 }), fc.constantFrom(" ", "\t", "  "))
      .map(([at, space]) => valid.slice(0, at) + space + valid.slice(at)),
    fc.array(insertable, { minLength: 1, maxLength: 6 }).map((chars) => valid + chars.join("")),
    fc.array(insertable, { minLength: 1, maxLength: 6 }).map((chars) => chars.join("") + valid),
  ];
  return fc.oneof(...mutations).filter((value) => value !== valid);
}

/** Header bytes that never contain CR or LF (those would end the header line, not test it). */
export const headerBytes: fc.Arbitrary<Uint8Array> = fc
  .uint8Array({ maxLength: 400 })
  .map((bytes) => bytes.filter((byte) => byte !== 0x0a && byte !== 0x0d));

/** Any text, every code point possible, without CR or LF. */
export const anyText: fc.Arbitrary<string> = fc
  .string({ unit: "binary", maxLength: 300 })
  .map((text) => text.replace(/[\r\n]/g, ""));

/** Other cookies that can never be the session cookie: a short lower-case name, any value. */
export const otherPairs: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.stringMatching(/^[a-z0-9]{1,8}$/),
      fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,30}$/),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join("; "));
