import { SessionConfigError } from "./errors.js";

/** Options of {@link createCrossOriginProtection}. */
export interface CrossOriginProtectionOptions {
  /**
   * Origins allowed to send unsafe requests from another site, each exactly
   * `scheme://host[:port]` as browsers send it in `Origin` (`https://admin.example.com`,
   * `capacitor://localhost`). Compared as exact strings (case-insensitively), as Go's
   * `CrossOriginProtection` does; an entry with a path, query, fragment or user info, and the
   * opaque origin `null`, throw a `SessionConfigError`. An `Origin: null` never matches.
   */
  trustedOrigins?: readonly string[];
  /** Paths exempt from the check (exact match), such as webhooks authenticated otherwise. */
  exemptPaths?: readonly string[];
}

/** The parts of a request the check reads. */
export interface CrossOriginRequest {
  method: string;
  /** Request path, without the query. */
  path: string;
  /** `Host` header (as sent; the target origin is never taken from `X-Forwarded-Host`). */
  host: string | undefined;
  /** `Origin` header. */
  origin: string | undefined;
  /** `Sec-Fetch-Site` header. */
  secFetchSite: string | undefined;
}

/** Why an unsafe request was refused, or `null` when it may proceed. */
export type CrossOriginVerdict = null | "cross_site_fetch" | "origin_mismatch";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Builds the cross-origin check for unsafe methods (POST, PUT, PATCH, DELETE, anything not
 * GET/HEAD/OPTIONS): refused when `Sec-Fetch-Site` is `cross-site` or `same-site`, or when an
 * `Origin` header's host differs from `Host` (an `Origin` of `null` is refused too). Requests
 * with neither header (curl, server-to-server) pass. Each adapter wires it in one line and
 * answers 403 when it returns a reason.
 *
 * @example
 * ```ts
 * const check = createCrossOriginProtection({ trustedOrigins: ["https://admin.example.com"] });
 * check({ method: "POST", path: "/transfer", host: "bank.example", origin: "https://evil.example", secFetchSite: undefined });
 * // "origin_mismatch"
 * ```
 */
export function createCrossOriginProtection(
  options: CrossOriginProtectionOptions = {},
): (request: CrossOriginRequest) => CrossOriginVerdict {
  const trusted = new Set((options.trustedOrigins ?? []).map(parseTrustedOrigin));
  const exempt = new Set(options.exemptPaths ?? []);
  return (request) => {
    if (SAFE_METHODS.has(request.method.toUpperCase()) || exempt.has(request.path)) return null;
    const origin = request.origin;
    if (isTrustedOrigin(trusted, origin)) return null;
    const site = request.secFetchSite?.toLowerCase();
    if (site === "cross-site" || site === "same-site") return "cross_site_fetch";
    if (site === "same-origin" || site === "none") return null;
    if (origin === undefined) return null;
    const originHost = hostOf(origin);
    if (originHost === null || request.host === undefined) return "origin_mismatch";
    return originHost === request.host.toLowerCase() ? null : "origin_mismatch";
  };
}

function hostOf(origin: string): string | null {
  if (origin === "null") return null;
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/** Whether a request's `Origin` is one of the trusted ones; `null` (opaque) never is. */
function isTrustedOrigin(trusted: ReadonlySet<string>, origin: string | undefined): boolean {
  if (origin === undefined || origin.toLowerCase() === "null") return false;
  return trusted.has(origin.toLowerCase());
}

/** `scheme://authority` and whatever follows the authority. */
const ORIGIN_PARTS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is;
/** A host (DNS name, IPv4 or bracketed IPv6) and an optional port. */
const HOST_AND_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:(\d{1,5}))?$/i;
const ORIGIN_FORM =
  'write it as scheme://host[:port] with nothing after the host (for example "https://admin.example.com" or "capacitor://localhost")';

/** A trusted-origin entry in the form requests are compared with, or a `SessionConfigError`. */
function parseTrustedOrigin(entry: string, index: number): string {
  const problem = trustedOriginProblem(entry);
  if (problem === null) return entry.toLowerCase();
  throw new SessionConfigError(
    `createCrossOriginProtection: trustedOrigins[${index}] ${JSON.stringify(entry)} ${problem}.`,
  );
}

/** What is wrong with a trusted-origin entry, as the start of a sentence, or `null`. */
function trustedOriginProblem(entry: string): string | null {
  if (typeof entry !== "string") return `is not a string; ${ORIGIN_FORM}`;
  if (entry.toLowerCase() === "null") {
    return "is the opaque origin that sandboxed frames, file: pages and privacy redirects send; trusting it would trust them all, so remove it";
  }
  const parts = ORIGIN_PARTS.exec(entry);
  if (parts === null || parts[2] === "") return `is not an origin: ${ORIGIN_FORM}`;
  const [, , authority = "", rest = ""] = parts;
  if (authority.includes("@")) return `has user info: remove it and ${ORIGIN_FORM}`;
  if (rest === "/") return `ends in a path: remove the trailing "/"`;
  if (rest !== "") return `has a ${restKind(rest)}, which an Origin never has: ${ORIGIN_FORM}`;
  const hostAndPort = HOST_AND_PORT.exec(authority);
  if (hostAndPort === null || Number(hostAndPort[4] ?? 0) > 65535) {
    return `is not an origin: ${ORIGIN_FORM}`;
  }
  return null;
}

function restKind(rest: string): "path" | "query" | "fragment" {
  if (rest.startsWith("?")) return "query";
  if (rest.startsWith("#")) return "fragment";
  return "path";
}
