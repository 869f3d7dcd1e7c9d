/**
 * The built packages load under plain `node`, as CommonJS and as ES modules. One file builds
 * core and all three adapters once, so no two test files race on core's `dist/`; each adapter
 * keeps its own fixtures (they find the package by its own name).
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const packages = fileURLToPath(new URL("../../", import.meta.url));
const BUILD_TIMEOUT_MS = 240_000;

beforeAll(() => {
  execFileSync(
    "pnpm",
    [
      "--filter",
      "@sesame/core",
      "--filter",
      "@sesame/express",
      "--filter",
      "@sesame/koa",
      "--filter",
      "@sesame/hono",
      "build",
    ],
    { cwd: packages, stdio: "pipe", timeout: BUILD_TIMEOUT_MS },
  );
}, BUILD_TIMEOUT_MS);

describe.each(["adapter-express", "adapter-koa", "adapter-hono"])("%s, built", (dir) => {
  it.each(["load.cjs", "load.mjs"])("loads and runs a session under plain node (%s)", (file) => {
    const fixture = join(packages, dir, "test", "fixtures", file);
    const output = execFileSync(process.execPath, [fixture], {
      cwd: dirname(fixture),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(output.trim()).toBe("ok");
  });
});
