/**
 * The README's Deno app as a user runs it, with the permissions its page lists, in a fresh
 * folder (its sessions.db there), resolving the built packages with Deno's own conditions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startAppProcess } from "../shared/app-process.ts";
import { describeReadmeApp } from "../shared/readme-app-tests.ts";
import { describeReadmeBlock } from "../shared/readme-block-tests.ts";

const app = new URL("./app.ts", import.meta.url).pathname;
const config = new URL("../deno.json", import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), "sesame-deno-app-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
/** The README's command, with this folder's deno.json in place of the one `deno add` writes. */
const PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-env=PORT",
  "--allow-read=.",
  "--allow-write=.",
];

describeReadmeBlock("runtimes/deno/app.ts");

it("resolves @sesame/core to dist, and #platform there to dist/platform/web.js", async () => {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", config, app],
    cwd,
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules: { specifier: string }[];
  };
  const core = graph.modules
    .map((module) => module.specifier)
    .filter((specifier) => specifier.includes("/packages/core/"));
  expect(core.some((specifier) => specifier.endsWith("/dist/platform/web.js"))).toBe(true);
  expect(core.filter((specifier) => !specifier.includes("/packages/core/dist/"))).toEqual([]);
});

describeReadmeApp(
  "deno run app.ts",
  () => startAppProcess(Deno.execPath(), ["run", "--config", config, ...PERMISSIONS, app], cwd),
  { persistent: true },
);
