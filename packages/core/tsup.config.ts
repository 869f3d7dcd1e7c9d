import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    "platform/node": "src/platform/node.ts",
    "platform/web": "src/platform/web.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
  external: ["#platform", "vitest"],
});
