import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SOURCE = new URL("../src/", import.meta.url).pathname;
/** Names that hold secret material in core: MACs, secrets, expected signatures, token hashes. */
const SECRET = String.raw`\b(mac|macs|expected|secret|secrets|signature|tokenHash)\b`;
const EQUALITY = "(===|!==|==|!=)";
const COMPARED = new RegExp(`${SECRET}\\s*${EQUALITY}|${EQUALITY}\\s*${SECRET}`);

/**
 * Comparisons with `null` or `undefined`, and `typeof` checks, test presence or type, not
 * content: they are not the concern.
 */
function withoutNullChecks(line: string): string {
  return line
    .replace(/\s*[!=]==?\s*(null|undefined)\b/g, "")
    .replace(/typeof\s+\w+\s*[!=]==?\s*"\w+"/g, "");
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("constant-time comparisons (a lint rule over core's sources)", () => {
  it("never compares secret material with an equality operator", () => {
    const offenders = sourceFiles(SOURCE).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, index) => ({ line: line.trim(), where: `${file}:${index + 1}` }))
        .filter(({ line }) => !line.startsWith("*") && !line.startsWith("//"))
        .filter(({ line }) => COMPARED.test(withoutNullChecks(line))),
    );
    expect(offenders).toEqual([]);
  });

  it("catches the comparison it is there to catch", () => {
    expect(COMPARED.test("if (mac === expected) return token;")).toBe(true);
    expect(COMPARED.test("return expected !== provided;")).toBe(true);
    expect(COMPARED.test("if (platform.timingSafeEqual(expected, mac)) return token;")).toBe(false);
    expect(COMPARED.test(withoutNullChecks("if (secret === null || secret === undefined)"))).toBe(
      false,
    );
  });
});
