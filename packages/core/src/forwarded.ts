import { SessionConfigError } from "./errors.js";

/**
 * Which `X-Forwarded-*` entries to believe: `false` (or `0`) none; `true` the entry of the one
 * proxy in front of the app (the rightmost); a number `n` the entry of the outermost of `n`
 * proxies (the `n`-th from the right), as Express's numeric `trust proxy`. Entries further left
 * were written by the client, whatever the header says.
 */
export type TrustProxy = boolean | number;

/**
 * The number of trusted proxies `trustProxy` stands for, or a `SessionConfigError` saying how to
 * fix it. Call it once when a middleware is built.
 *
 * @example
 * ```ts
 * resolveTrustedHops(true); // 1
 * resolveTrustedHops(2); // 2
 * ```
 */
export function resolveTrustedHops(trustProxy: TrustProxy | undefined): number {
  if (trustProxy === undefined || trustProxy === false) return 0;
  if (trustProxy === true) return 1;
  if (typeof trustProxy !== "number" || !Number.isInteger(trustProxy) || trustProxy < 0) {
    throw new SessionConfigError(
      `trustProxy must be true, false or the number of proxies in front of the app, got ${String(trustProxy)}.`,
    );
  }
  return trustProxy;
}

/**
 * The entry of a comma-separated `X-Forwarded-*` header that the outermost of `hops` trusted
 * proxies wrote: the `hops`-th from the right (the leftmost when there are fewer), or
 * `undefined` with no entries or no trusted hop. Several header lines arrive joined with `", "`,
 * and read as one list.
 *
 * @example
 * ```ts
 * pickForwardedEntry("203.0.113.66, 198.51.100.7", 1); // "198.51.100.7": the client wrote the first
 * ```
 */
export function pickForwardedEntry(
  header: string | null | undefined,
  hops: number,
): string | undefined {
  if (header === null || header === undefined || hops < 1) return undefined;
  const entries = header
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return entries[Math.max(0, entries.length - hops)];
}
