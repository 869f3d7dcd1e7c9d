/**
 * The README's Bun app as a user runs it: `bun app.ts` in a fresh folder (its sessions.db
 * there), resolving the built packages with Bun's own conditions.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startAppProcess } from "../shared/app-process.ts";
import { describeReadmeApp } from "../shared/readme-app-tests.ts";
import { describeReadmeBlock } from "../shared/readme-block-tests.ts";

const app = Bun.fileURLToPath(new URL("./app.ts", import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), "sesame-bun-app-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describeReadmeBlock("runtimes/bun/app.ts");

it("resolves @sesame/core to dist, and #platform there to dist/platform/node.js", () => {
  const script = `console.log(Bun.resolveSync("#platform", Bun.resolveSync("@sesame/core", ${JSON.stringify(app)})))`;
  const resolved = spawnSync(process.execPath, ["-e", script], { cwd, encoding: "utf8" });
  expect(resolved.stderr).toBe("");
  expect(resolved.stdout.trim()).toMatch(/packages\/core\/dist\/platform\/node\.js$/);
});

describeReadmeApp("bun app.ts", () => startAppProcess(process.execPath, [app], cwd), {
  persistent: true,
});
