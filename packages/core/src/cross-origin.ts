/** Options of {@link createCrossOriginProtection}. */
export interface CrossOriginProtectionOptions {
  /** Origins (`https://app.example.com`) allowed to send unsafe requests from another site. */
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
  const trusted = new Set((options.trustedOrigins ?? []).map(normalizeOrigin));
  const exempt = new Set(options.exemptPaths ?? []);
  return (request) => {
    if (SAFE_METHODS.has(request.method.toUpperCase()) || exempt.has(request.path)) return null;
    const origin = request.origin;
    if (origin !== undefined && trusted.has(normalizeOrigin(origin))) return null;
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

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin.toLowerCase();
  } catch {
    return origin.toLowerCase();
  }
}
