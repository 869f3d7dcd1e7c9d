/**
 * Markdown helpers for the report.
 *
 * @module
 */

/** Nanoseconds as microseconds with two decimals. */
export const us = (ns: number): string => (ns / 1000).toFixed(2);

/** A rounded number with thousands separators. */
export const int = (value: number): string => Math.round(value).toLocaleString("en-US");

/** A number with `digits` decimals, or "–" when it is not finite. */
export const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "–";

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
