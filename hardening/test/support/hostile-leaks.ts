/**
 * A leak detector: collects everything a run wrote where people or log shippers can read it
 * (events, warnings, errors, console and process output, response bodies), and searches it for
 * every form of the secrets the run handled: session tokens, cookie values, store keys, MACs
 * and signing secrets.
 */
import { createHash } from "node:crypto";
import { inspect } from "node:util";

/** Every character of `text` as `%XX`. */
function percentEncodeAll(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
    .join("");
}

/** Length of the token slices searched for: a logged prefix or fragment this long is a leak. */
export const FRAGMENT_LENGTH = 16;
const BASE64URL_RUN = new RegExp(`[A-Za-z0-9_-]{${FRAGMENT_LENGTH},}`, "g");

/** One form of a secret and what it is. */
interface Needle {
  text: string;
  what: string;
}

/** One hit: which form of which secret, where, and around what. */
export interface Leak {
  what: string;
  source: string;
  context: string;
}

/**
 * The secrets of a run, and every captured text. `findLeaks` searches each text for each form
 * of each secret.
 *
 * @example
 * ```ts
 * const leaks = new LeakDetector();
 * leaks.addCookieValue(cookieValue);
 * leaks.capture("event", JSON.stringify(event));
 * expect(leaks.findLeaks()).toEqual([]);
 * ```
 */
export class LeakDetector {
  readonly #values = new Set<string>();
  readonly #secrets = new Set<string>();
  readonly #texts: { source: string; text: string }[] = [];

  /** Issued cookie values (`token` or `token.mac`), distinct. */
  get cookieValues(): string[] {
    return [...this.#values];
  }

  /** How many texts were captured, per source. */
  get sources(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { source } of this.#texts) counts[source] = (counts[source] ?? 0) + 1;
    return counts;
  }

  /** Records an issued session cookie value (empty values, from deletions, are skipped). */
  addCookieValue(value: string): void {
    if (value !== "") this.#values.add(value);
  }

  /** Records a signing secret. */
  addSecret(secret: string): void {
    this.#secrets.add(secret);
  }

  /** Records the value of every session `Set-Cookie` line in `lines`. */
  addSetCookies(cookieName: string, lines: readonly string[]): void {
    for (const line of lines) {
      if (line.startsWith(`${cookieName}=`)) {
        this.addCookieValue(line.slice(cookieName.length + 1).split(";")[0]!);
      }
    }
  }

  /** Captures one text from `source` (`undefined`, as `JSON.stringify` may give, is nothing). */
  capture(source: string, text: string | undefined): void {
    this.#texts.push({ source, text: text ?? "" });
  }

  /** Captures an error the way a logger would show it: message, stack, every cause, fields. */
  captureError(source: string, error: unknown): void {
    let current: unknown = error;
    for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
      if (current instanceof Error) {
        this.capture(source, `${current.name}: ${current.message}`);
        this.capture(source, current.stack ?? "");
      }
      this.capture(source, String(current));
      this.capture(source, inspect(current, { depth: 8, showHidden: true }));
      current = current instanceof Error ? current.cause : undefined;
    }
  }

  /** Every form a secret could be logged in. */
  #needles(): Needle[] {
    const needles: Needle[] = [];
    const add = (text: string, what: string): void => {
      if (text.length >= FRAGMENT_LENGTH) needles.push({ text, what });
    };
    for (const value of this.#values) {
      const [token = "", mac] = value.split(".");
      add(value, "a cookie value");
      add(percentEncodeAll(value), "a cookie value, percent-encoded");
      add(encodeURIComponent(value), "a cookie value, URI-encoded");
      add(Buffer.from(value).toString("base64"), "a cookie value in base64");
      add(Buffer.from(value).toString("base64url"), "a cookie value in base64url");
      for (const [part, name] of [
        [token, "a token"],
        [mac, "a MAC"],
      ] as const) {
        if (part === undefined) continue;
        const bytes = Buffer.from(part, "base64url");
        add(part, name);
        add(bytes.toString("hex"), `${name}, decoded, in hex`);
        add(bytes.toString("hex").toUpperCase(), `${name}, decoded, in upper-case hex`);
        add(bytes.toString("base64"), `${name}, decoded, in base64`);
        add(bytes.toString("base64").replace(/=+$/, ""), `${name}, decoded, in unpadded base64`);
        add(bytes.toString("latin1"), `${name}, decoded, as bytes`);
      }
      const key = createHash("sha256").update(token).digest();
      add(key.toString("hex"), "a store key (SHA-256 of a token)");
      add(key.toString("hex").toUpperCase(), "a store key in upper case");
      add(key.toString("base64"), "a store key in base64");
      add(key.toString("base64url"), "a store key in base64url");
    }
    for (const secret of this.#secrets) {
      add(secret, "a signing secret");
      add(Buffer.from(secret).toString("base64"), "a signing secret in base64");
      add(Buffer.from(secret).toString("hex"), "a signing secret in hex");
    }
    return needles;
  }

  /** Every 16-character slice of a token, MAC, store key or secret, with what it is part of. */
  #fragments(): Map<string, string> {
    const fragments = new Map<string, string>();
    const slices = (text: string, what: string): void => {
      for (let start = 0; start + FRAGMENT_LENGTH <= text.length; start++) {
        fragments.set(text.slice(start, start + FRAGMENT_LENGTH), what);
      }
    };
    for (const value of this.#values) {
      const [token = "", mac] = value.split(".");
      slices(token, "a fragment of a token");
      if (mac !== undefined) slices(mac, "a fragment of a MAC");
      slices(createHash("sha256").update(token).digest("hex"), "a fragment of a store key");
    }
    for (const secret of this.#secrets) slices(secret, "a fragment of a signing secret");
    return fragments;
  }

  /** Every hit of every form of every secret in every captured text. */
  findLeaks(): Leak[] {
    const leaks: Leak[] = [];
    const needles = this.#needles();
    const fragments = this.#fragments();
    for (const { source, text } of this.#texts) {
      for (const needle of needles) {
        const at = text.indexOf(needle.text);
        if (at !== -1) leaks.push({ what: needle.what, source, context: around(text, at) });
      }
      for (const run of text.matchAll(BASE64URL_RUN)) {
        for (let start = 0; start + FRAGMENT_LENGTH <= run[0].length; start++) {
          const what = fragments.get(run[0].slice(start, start + FRAGMENT_LENGTH));
          if (what === undefined) continue;
          leaks.push({ what, source, context: around(text, run.index + start) });
          break;
        }
      }
    }
    return leaks;
  }
}

function around(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 40), at + 80));
}
