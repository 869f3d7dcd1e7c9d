/**
 * Preloaded by runtimes/bunfig.toml: "vitest", as imported by core's tests and the conformance
 * suites, becomes the runtimes' shim. Bun's runtime `onResolve` only sees specifiers with a "."
 * or ":", so the shim is registered as a virtual module under the bare name. Bun imports the
 * `expect` package's ESM wrapper with `default` bound to `exports.default`, so its named
 * `expect` comes out undefined; `require` gives the CommonJS exports as Node does.
 */
import { createRequire } from "node:module";
import { plugin } from "bun";
import * as shim from "../harness/vitest.ts";

const expect = shim.withMessages(createRequire(import.meta.url)("expect").expect);

plugin({
  name: "vitest as the runtimes shim",
  setup(build) {
    build.module("vitest", () => ({ exports: { ...shim, expect }, loader: "object" }));
  },
});
