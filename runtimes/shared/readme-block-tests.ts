/**
 * The Hono README's runtime pages show whole apps copied from files under runtimes/, which CI
 * runs. Each block follows a marker comment naming its file,
 * `<!-- Copied from runtimes/bun/app.ts … -->`; this test fails when the two differ.
 */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";

const REPO = new URL("../../", import.meta.url);
const README = "packages/adapter-hono/README.md";

/** The code block that follows the marker naming `file`, or `undefined`. */
export function blockAfterMarker(markdown: string, file: string): string | undefined {
  const lines = markdown.split("\n");
  const marker = lines.findIndex((line) => line.startsWith("<!--") && line.includes(file));
  if (marker === -1) return undefined;
  const open = lines.findIndex((line, index) => index > marker && line.startsWith("```"));
  const close = lines.findIndex((line, index) => index > open && line.startsWith("```"));
  if (open === -1 || close === -1) return undefined;
  return `${lines.slice(open + 1, close).join("\n")}\n`;
}

/** Registers the check that the README block marked with `file` (repository path) equals it. */
export function describeReadmeBlock(file: string): void {
  it(`${README} shows ${file} exactly`, async () => {
    const markdown = await readFile(new URL(README, REPO), "utf8");
    const source = await readFile(new URL(file, REPO), "utf8");
    const block = blockAfterMarker(markdown, file);
    expect(block, `no block after a <!-- … ${file} … --> marker`).toBeDefined();
    expect(block).toBe(source);
  });
}
