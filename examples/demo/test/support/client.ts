/**
 * A small HTTP client for the contract tests: it keeps the session cookie like a browser would
 * and never follows redirects, so every status and header can be checked.
 */

/** One response, read in full. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (`undefined` when it is not JSON). */
  body: unknown;
  /** The raw `Set-Cookie` lines. */
  setCookies: string[];
}

export interface SendOptions {
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export const COOKIE_NAME = "__Host-sid";

export class Client {
  /** The session cookie's value, as the last response left it. */
  cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly userAgent = "sesame-contract-test",
  ) {}

  async send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { "user-agent": this.userAgent, ...options.headers };
    if (this.cookie !== undefined) headers.cookie = `${COOKIE_NAME}=${this.cookie}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body,
      redirect: "manual",
    });
    const text = await response.text();
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      if (!pair.startsWith(`${COOKIE_NAME}=`)) continue;
      const cleared = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      this.cookie = cleared ? undefined : pair.slice(COOKIE_NAME.length + 1);
    }
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: parse(text),
      setCookies,
    };
  }

  /** Signs in with JSON; throws unless it worked. */
  async login(username: string, password: string): Promise<Reply> {
    const reply = await this.send("POST", "/login", { json: { username, password } });
    if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${reply.text}`);
    return reply;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
