import { defineConfig, type Options } from "tsup";

/**
 * What every package's build shares: declarations, Node 20 syntax, and `node:` imports kept as
 * written (tsup strips the prefix by default; the `node:` form is the one Node, Bun, Deno and
 * Workers all resolve).
 */
export const sharedOptions = {
  dts: true,
  target: "node20",
  removeNodeProtocol: false,
} as const satisfies Options;

/** The build every single-entry package shares: ES module and CommonJS, each with its types. */
export default defineConfig({
  ...sharedOptions,
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  clean: true,
});
