import { defineConfig } from "tsup";

/** The build every single-entry package shares: ESM and CommonJS with declarations, for Node 20. */
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
});
