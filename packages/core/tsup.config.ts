import { defineConfig } from "tsup";
import { sharedOptions } from "../../tsup.package";

const platforms = {
  "platform/node": "src/platform/node.ts",
  "platform/web": "src/platform/web.ts",
};
const external = ["#platform", "vitest"];

/**
 * Two builds that write disjoint files (`.js`/`.d.ts` and `.cjs`/`.d.cts`), so neither cleans
 * the other's output: the `build` script empties `dist` first. `testing` is ES modules only, as
 * vitest is; it shares its chunks with `index`, so both see one `SessionManager` class.
 */
export default defineConfig([
  {
    ...sharedOptions,
    entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts", ...platforms },
    format: ["esm"],
    external,
  },
  {
    ...sharedOptions,
    entry: { index: "src/index.ts", ...platforms },
    format: ["cjs"],
    external,
  },
]);
