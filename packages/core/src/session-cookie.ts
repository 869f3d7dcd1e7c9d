import type { CookieAttributes } from "./cookie/serialize.js";
import { serializeCookie } from "./cookie/serialize.js";
import type { ResolvedOptions } from "./options.js";
import { isLoopbackHost, type RequestContext } from "./request-context.js";
import type { StoredSession } from "./store.js";
import { signToken } from "./token.js";

/**
 * What a response must carry for the session, as {@link RequestSession.commit} returns it: the
 * session cookie's one `Set-Cookie` line and the headers that go with it. An adapter writes
 * these three onto its own response object and nothing else.
 *
 * @example
 * ```ts
 * const headers = await session.commit();
 * if (headers !== null) {
 *   response.headers.append("Set-Cookie", headers.setCookie);
 *   response.headers.set("Cache-Control", headers.cacheControl);
 *   response.headers.set("Vary", withVary(response.headers.get("Vary"), headers.vary));
 * }
 * ```
 */
export interface SessionHeaders {
  /** The `Set-Cookie` line that sets, or clears, the session cookie. */
  setCookie: string;
  /** `no-store`: a response carrying a session cookie is never cached. */
  cacheControl: "no-store";
  /** `Cookie`, to add to `Vary` (with `withVary`): the response depends on the request's cookie. */
  vary: "Cookie";
}

/**
 * The session cookie of one manager: its `Set-Cookie` lines, built once where they never change
 * (the attributes of a browser-session cookie, the clearing line), and whether a request may
 * receive it at all.
 */
export class SessionCookie {
  readonly #options: ResolvedOptions<object>;
  readonly #warnOnce: (key: string, message: string) => void;
  readonly #attributes: CookieAttributes;
  /** `; Path=/; Secure; …` of a browser-session cookie, after `name=value`. */
  readonly #sessionSuffix: string;
  readonly #clearing: string;

  constructor(options: ResolvedOptions<object>, warnOnce: (key: string, message: string) => void) {
    this.#options = options;
    this.#warnOnce = warnOnce;
    const { cookie } = options;
    const attributes: CookieAttributes = {
      path: cookie.path,
      secure: cookie.secure,
      httpOnly: true,
      sameSite: cookie.sameSite,
    };
    if (cookie.domain !== undefined) attributes.domain = cookie.domain;
    if (cookie.partitioned) attributes.partitioned = true;
    this.#attributes = attributes;
    this.#sessionSuffix = serializeCookie(cookie.name, "", attributes).slice(
      cookie.name.length + 1,
    );
    this.#clearing = serializeCookie(cookie.name, "", {
      ...attributes,
      maxAge: 0,
      expires: new Date(0),
    });
  }

  /**
   * Whether the cookie may go out on this request: always over HTTPS or to a loopback host, and
   * over plain HTTP elsewhere only with `allowInsecureHttp` (each case warns once).
   */
  canWrite(context: RequestContext): boolean {
    if (!this.#options.cookie.secure) {
      this.#warnOnce(
        "insecure",
        "sesame: cookie.allowInsecureHttp is on; session cookies travel without Secure.",
      );
      return true;
    }
    if (context.secure || isLoopbackHost(context.host)) return true;
    this.#warnOnce(
      "plain-http",
      "sesame: not setting the session cookie on a plain-HTTP request. Serve HTTPS, configure your adapter's " +
        "proxy trust if TLS ends at a proxy, or set cookie.allowInsecureHttp for local development.",
    );
    return false;
  }

  /** The line that clears the cookie, with the attributes it was set with. */
  get clearing(): string {
    return this.#clearing;
  }

  /** The line that sets the cookie to `token` (signed with the first secret, if any). */
  lineFor(token: string, record: StoredSession, now: number): string | Promise<string> {
    const { cookie, secrets } = this.#options;
    if (secrets.length === 0) return this.#line(token, record, now);
    const mac = signToken(secrets[0]!, cookie.name, token);
    return typeof mac === "string"
      ? this.#line(`${token}.${mac}`, record, now)
      : mac.then((signed) => this.#line(`${token}.${signed}`, record, now));
  }

  #line(value: string, record: StoredSession, now: number): string {
    const name = this.#options.cookie.name;
    if (!record.persistent) return `${name}=${value}${this.#sessionSuffix}`;
    const seconds = Math.min(
      Math.floor((record.expiresAt - now) / 1000),
      this.#options.maxPersistentCookieSeconds,
    );
    return serializeCookie(name, value, {
      ...this.#attributes,
      maxAge: seconds,
      expires: new Date(now + seconds * 1000),
    });
  }
}
